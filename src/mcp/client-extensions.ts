import { CLIENT_CAPABILITIES_META_KEY, type ClientCapabilities } from '@modelcontextprotocol/server';

/** The client capabilities a 2026-07-28 request carries in its `_meta` envelope, if it carries them. */
export function envelopeCapabilities(envelope: unknown): ClientCapabilities | undefined {
  if (typeof envelope !== 'object' || envelope === null) return undefined;
  const capabilities = (envelope as Record<string, unknown>)[CLIENT_CAPABILITIES_META_KEY];
  return typeof capabilities === 'object' && capabilities !== null
    ? (capabilities as ClientCapabilities)
    : undefined;
}

/** Whether client capabilities list an extension (by its identifier) with settings, however empty. */
export function declaresExtension(capabilities: ClientCapabilities | undefined, extension: string): boolean {
  const declared = (capabilities?.extensions as Record<string, unknown> | null | undefined)?.[extension];
  return declared !== undefined && declared !== null;
}
