import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import {
  getUiCapability,
  RESOURCE_MIME_TYPE,
  RESOURCE_URI_META_KEY,
} from '@modelcontextprotocol/ext-apps/server';
import { envelopeCapabilities } from '../client-extensions.js';

/** The tools whose results a client that renders apps shows with the tasks view. */
export const TOOLS_SHOWN_WITH_THE_VIEW = ['start_task', 'run_command', 'wait_tasks'] as const;

/**
 * Whether the client behind a request renders MCP Apps (the `io.modelcontextprotocol/ui` extension with
 * our MIME type): a 2026-07-28 request says so in its envelope, a 2025 connection said so in initialize.
 */
export function clientRendersApps(server: McpServer, ctx: ServerContext): boolean {
  const capabilities = envelopeCapabilities(ctx.mcpReq.envelope) ?? server.server.getClientCapabilities();
  const ui = getUiCapability(capabilities);
  return ui !== undefined && (ui.mimeTypes === undefined || ui.mimeTypes.includes(RESOURCE_MIME_TYPE));
}

type Listing = Record<string, unknown>;
type ListHandler = (request: unknown, ctx: ServerContext) => Promise<Listing> | Listing;

/**
 * Keeps the app out of sight of clients that cannot render it, so they see exactly what they saw before
 * apps existed: their tools/list has no app tools and no `_meta.ui`, their resources/list no `ui://`
 * resource. A client that renders apps sees the app tools, and the view linked to the tools above.
 *
 * The SDK's McpServer builds both lists itself, so this wraps its handlers as it installs them; it must
 * run before the first tool or resource is registered.
 */
export function showAppsOnlyToAppClients(server: McpServer, viewUri: string): void {
  const protocol = server.server as unknown as {
    setRequestHandler: (method: string, ...rest: unknown[]) => void;
  };
  const install = protocol.setRequestHandler.bind(protocol);
  protocol.setRequestHandler = (method, ...rest) => {
    const [handler] = rest;
    if (
      rest.length === 1 &&
      typeof handler === 'function' &&
      (method === 'tools/list' || method === 'resources/list')
    ) {
      const list = handler as ListHandler;
      install(method, async (request: unknown, ctx: ServerContext) => {
        const listing = await list(request, ctx);
        const forApps = clientRendersApps(server, ctx);
        return method === 'tools/list' ? toolsFor(listing, forApps, viewUri) : resourcesFor(listing, forApps);
      });
      return;
    }
    install(method, ...rest);
  };
}

const uiOf = (entry: Listing): unknown => (entry._meta as Listing | undefined)?.ui;

function toolsFor(listing: Listing, forApps: boolean, viewUri: string): Listing {
  const tools = (listing.tools ?? []) as Listing[];
  if (!forApps) return { ...listing, tools: tools.filter((tool) => uiOf(tool) === undefined) };
  return {
    ...listing,
    tools: tools.map((tool) =>
      (TOOLS_SHOWN_WITH_THE_VIEW as readonly unknown[]).includes(tool.name)
        ? {
            ...tool,
            _meta: {
              ...(tool._meta as Listing | undefined),
              ui: { resourceUri: viewUri },
              [RESOURCE_URI_META_KEY]: viewUri,
            },
          }
        : tool,
    ),
  };
}

function resourcesFor(listing: Listing, forApps: boolean): Listing {
  if (forApps) return listing;
  const resources = (listing.resources ?? []) as Listing[];
  return { ...listing, resources: resources.filter((resource) => resource.mimeType !== RESOURCE_MIME_TYPE) };
}
