import type { ClientName } from './clients.js';

/**
 * What each client really does with backburner, as observed in its real CLI (issue 15's findings): the
 * notes `setup` prints, and the README's per-client sections say the same.
 */
export function clientNotes(client: ClientName, approve: boolean): string[] {
  const policy =
    "backburner's command policy (BACKBURNER_ALLOW / BACKBURNER_DENY, the policy file) guards what tasks run, not the client's sandbox: tasks run in the daemon, outside it";
  switch (client) {
    case 'claude-code':
      return [
        'Check it with `claude mcp list` (it starts the server and says "Connected").',
        'Interactive sessions use the MCP Tasks extension: a run_command that takes longer than a second moves to the background and its result arrives later; `claude -p` takes the plain path (run_command waits up to wait_seconds, then start_task/wait_tasks).',
        "The model reads each tool result's structured content (JSON), not its text.",
        policy,
      ];
    case 'claude-desktop':
      return [
        'Restart Claude Desktop to load it.',
        'Claude Desktop gives up on a tool call after about 60 s: wait_tasks never waits longer than 50 s and says how to go on.',
        policy,
      ];
    case 'cursor':
      return ['Cursor loads it on its next start (or from Settings → MCP).', policy];
    case 'vscode':
      return [
        'VS Code (Copilot agent mode) lists it under MCP servers; start it from there the first time.',
        policy,
      ];
    case 'codex':
      return [
        'Check it with `codex mcp list`.',
        approve
          ? 'default_tools_approval_mode = "approve" is set: Codex runs start_task, run_command, send_input, cancel_task and the other tools that change things without asking. Tasks run in the backburner daemon, OUTSIDE Codex\'s sandbox: a task can write where the sandbox would not let Codex write.'
          : 'Codex asks approval for tools that are not read-only, and `codex exec` refuses them ("requires approval, but approval policy is never"). Run `backburner setup codex --approve` to let them run; tasks then run outside Codex\'s sandbox.',
        'Codex speaks MCP 2025-06-18 without the Tasks extension: run_command answers within wait_seconds, then use wait_tasks. It shows the model the structured result and does not say when a result was an error, so errors carry an `error` object in the structured result too.',
        policy,
      ];
    case 'gemini':
      return ['Gemini CLI lists it with `/mcp` in a session.', policy];
  }
}
