import { ProtocolError, type CallToolResult, type McpServer } from '@modelcontextprotocol/server';
import { BackburnerError } from '../shared/errors.js';

/** A failed tool call as a result: the message as text, and the same plainly in the structured result. */
export function errorResult(error: unknown): CallToolResult {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof BackburnerError ? error.code : 'INTERNAL';
  return {
    isError: true,
    content: [{ type: 'text', text: message }],
    structuredContent: { error: { code, message } },
  };
}

type Handler = (...args: unknown[]) => Promise<unknown>;

/**
 * Makes every tool registered on `server` answer a failure with `errorResult`: some clients (Codex) show
 * the model only the structured result and do not say it was an error, so the structured result must say
 * so itself. Protocol errors (which are not tool failures) still go up as they are.
 */
export function structuredToolErrors(server: McpServer): void {
  const register = server.registerTool.bind(server) as (
    name: string,
    config: unknown,
    handler: Handler,
  ) => unknown;
  (server as unknown as { registerTool: typeof register }).registerTool = (name, config, handler) =>
    register(name, config, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        if (error instanceof ProtocolError) throw error;
        return errorResult(error);
      }
    });
}
