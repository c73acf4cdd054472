import { randomBytes } from 'node:crypto';
import { tokenMatches } from '../http/token.js';

/** How long a login link works after `backburner dashboard` asked for it. */
export const LOGIN_CODE_TTL_MS = 2 * 60 * 1000;
/** A session ends this long after its last request (a browser left open all day keeps working). */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Bounds on what a flood of requests can make the server hold. */
const MAX_LOGIN_CODES = 64;
const MAX_SESSIONS = 64;

export const SESSION_COOKIE = 'backburner_session';

export interface DashboardSession {
  id: string;
  /** Sent back in a header with every state-changing request: a page of another origin cannot know it. */
  csrf: string;
  lastSeen: number;
}

const secret = (): string => randomBytes(32).toString('base64url');

/**
 * The dashboard's logins, in the memory of the serving process: one-time login codes (handed to whoever
 * holds the bearer token) and the sessions they open. A code is spent on first use and lives two
 * minutes, so the login URL left in a browser's history opens nothing; the session itself lives only in
 * an HttpOnly cookie, so the page's scripts never see it. A restart of the server logs everyone out.
 */
export class DashboardSessions {
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, DashboardSession>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new one-time login code. */
  issueCode(): string {
    this.sweep();
    if (this.codes.size >= MAX_LOGIN_CODES) {
      const oldest = this.codes.keys().next().value;
      if (oldest !== undefined) this.codes.delete(oldest);
    }
    const code = secret();
    this.codes.set(code, this.now() + LOGIN_CODE_TTL_MS);
    return code;
  }

  /** Spends a login code: the new session, or undefined for a code that is unknown, spent or expired. */
  redeem(code: string): DashboardSession | undefined {
    this.sweep();
    let found: string | undefined;
    // Compared in constant time, like the bearer token: the time taken tells nothing about the codes.
    for (const known of this.codes.keys()) if (tokenMatches(known, code)) found = known;
    if (found === undefined) return undefined;
    this.codes.delete(found);
    if (this.sessions.size >= MAX_SESSIONS) this.forgetLeastRecentlySeen();
    const session: DashboardSession = { id: secret(), csrf: secret(), lastSeen: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session a request's cookie names, refreshed; undefined without a live one. */
  fromCookieHeader(header: string | null): DashboardSession | undefined {
    const id = cookieValue(header, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    if (this.now() - session.lastSeen > SESSION_IDLE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  end(session: DashboardSession): void {
    this.sessions.delete(session.id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [code, expires] of this.codes) if (expires <= now) this.codes.delete(code);
    for (const [id, session] of this.sessions)
      if (now - session.lastSeen > SESSION_IDLE_MS) this.sessions.delete(id);
  }

  private forgetLeastRecentlySeen(): void {
    let oldest: DashboardSession | undefined;
    for (const session of this.sessions.values())
      if (oldest === undefined || session.lastSeen < oldest.lastSeen) oldest = session;
    if (oldest !== undefined) this.sessions.delete(oldest.id);
  }
}

/** One cookie's value from a `Cookie` header. */
export function cookieValue(header: string | null, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
