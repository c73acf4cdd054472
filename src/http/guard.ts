import {
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import { tokenMatches } from './token.js';

export interface GuardOptions {
  /** The bearer token every request must present. */
  token: string;
  /** Hostnames the `Host` header may name (besides the loopback names). */
  allowedHosts: string[];
  /** Origin hostnames a browser page may call from (besides the loopback names). */
  allowedOrigins: string[];
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export const isLoopbackHost = (host: string): boolean => LOOPBACK_HOSTS.has(host);

/** A comma-separated list from the environment, trimmed, empty entries dropped. */
export function listFromEnv(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const jsonRpcError = (status: number, message: string, headers: Record<string, string> = {}): Response =>
  Response.json(
    { jsonrpc: '2.0', error: { code: -32001, message }, id: null },
    { status, headers: { ...headers } },
  );

/**
 * DNS-rebinding protection, for every request whatever its path: a `Host` or `Origin` that is not
 * allowed gets 403, as the Streamable HTTP transport asks. Returns the refusal, or undefined.
 */
export function refuseForeignRequest(request: Request, options: GuardOptions): Response | undefined {
  const hostRefusal = hostHeaderValidationResponse(request, [
    ...localhostAllowedHostnames(),
    ...options.allowedHosts,
  ]);
  if (hostRefusal !== undefined) return hostRefusal;
  return originValidationResponse(request, [...localhostAllowedOrigins(), ...options.allowedOrigins]);
}

/** The bearer token check (401 without it or with another). Returns the refusal, or undefined. */
export function refuseWithoutToken(request: Request, token: string): Response | undefined {
  const authorization = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (match?.[1] === undefined) {
    return jsonRpcError(401, 'Unauthorized: send the backburner token as "Authorization: Bearer <token>"', {
      'WWW-Authenticate': 'Bearer realm="backburner"',
    });
  }
  if (!tokenMatches(token, match[1])) {
    return jsonRpcError(401, 'Unauthorized: the bearer token is not the backburner token', {
      'WWW-Authenticate': 'Bearer realm="backburner", error="invalid_token"',
    });
  }
  return undefined;
}

/** Both checks, in that order: what every request to the MCP endpoint passes before any MCP handling. */
export function refuseRequest(request: Request, options: GuardOptions): Response | undefined {
  return refuseForeignRequest(request, options) ?? refuseWithoutToken(request, options.token);
}
