import { homedir } from 'node:os';
import { join } from 'node:path';

/** The MCP clients `backburner setup` knows, and where each keeps its list of servers. */
export const CLIENTS = ['claude-code', 'claude-desktop', 'cursor', 'vscode', 'codex', 'gemini'] as const;
export type ClientName = (typeof CLIENTS)[number];

export interface ClientConfig {
  name: ClientName;
  /** What people call it. */
  title: string;
  path: string;
  format: 'json' | 'toml';
  /** Where in the file the servers are: a key path (`mcpServers`, `servers`, `mcp_servers`). */
  serversKey: string;
  /** Whether an entry names its transport (`"type": "stdio"`). */
  typed: boolean;
}

/** Where an application keeps its settings on this platform (the XDG folder on Linux). */
function appData(env: NodeJS.ProcessEnv, home: string): string {
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support');
  if (process.platform === 'win32') return env.APPDATA ?? join(home, 'AppData', 'Roaming');
  return env.XDG_CONFIG_HOME ?? join(home, '.config');
}

/** Each client's user-level configuration file, as that client reads it. */
export function clientConfig(name: ClientName, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const home = homedir();
  switch (name) {
    case 'claude-code':
      return {
        name,
        title: 'Claude Code',
        path: join(home, '.claude.json'),
        format: 'json',
        serversKey: 'mcpServers',
        typed: true,
      };
    case 'claude-desktop':
      return {
        name,
        title: 'Claude Desktop',
        path: join(appData(env, home), 'Claude', 'claude_desktop_config.json'),
        format: 'json',
        serversKey: 'mcpServers',
        typed: false,
      };
    case 'cursor':
      return {
        name,
        title: 'Cursor',
        path: join(home, '.cursor', 'mcp.json'),
        format: 'json',
        serversKey: 'mcpServers',
        typed: false,
      };
    case 'vscode':
      return {
        name,
        title: 'VS Code',
        path: join(appData(env, home), 'Code', 'User', 'mcp.json'),
        format: 'json',
        serversKey: 'servers',
        typed: true,
      };
    case 'codex':
      return {
        name,
        title: 'Codex',
        path: join(env.CODEX_HOME ?? join(home, '.codex'), 'config.toml'),
        format: 'toml',
        serversKey: 'mcp_servers',
        typed: false,
      };
    case 'gemini':
      return {
        name,
        title: 'Gemini CLI',
        path: join(home, '.gemini', 'settings.json'),
        format: 'json',
        serversKey: 'mcpServers',
        typed: false,
      };
  }
}

export function isClient(name: string): name is ClientName {
  return (CLIENTS as readonly string[]).includes(name);
}
