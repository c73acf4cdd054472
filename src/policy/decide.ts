import { extractCommands } from './shell-commands.js';
import type { Policy, Rule } from './rules.js';

export interface Decision {
  allowed: boolean;
  /** Which rule decided, if one did. */
  rule?: Rule;
  /** The part of the line the decision is about, when it is not the whole line. */
  part?: string;
  message: string;
}

/** Wrappers that only run another command: the command they run is what the allow list must admit. */
const TRANSPARENT = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'mksh',
  'ash',
  'yash',
  'fish',
  'eval',
  'env',
  'nohup',
  'timeout',
  'nice',
  'ionice',
  'exec',
  'command',
  'builtin',
  'time',
  'stdbuf',
  'setsid',
  'xargs',
  'watch',
  'flock',
  'taskset',
  'chrt',
  'unbuffer',
  'busybox',
  'parallel',
]);

const describe = (rule: Rule): string =>
  `'${rule.pattern.source}' (${rule.source})${rule.reason ? `: ${rule.reason}` : ''}`;
const quoted = (text: string): string => `'${text.length > 120 ? `${text.slice(0, 117)}...` : text}'`;

/**
 * Decides whether a command line may run. Deny rules are tried against the raw line and against every
 * command the shell would run; allow rules must admit every command. A line that cannot be parsed, or
 * that computes a command name at run time, is refused whenever an allow list is set.
 */
export function decide(line: string, policy: Policy): Decision {
  for (const rule of policy.deny) {
    if (rule.pattern.test(line)) {
      return { allowed: false, rule, message: `command refused: matches deny pattern ${describe(rule)}` };
    }
  }
  if (policy.allow.length === 0 && policy.deny.length === 0)
    return { allowed: true, message: 'allowed: no policy is set' };
  const parsed = extractCommands(line);
  if (!parsed.ok) {
    if (policy.allow.length === 0)
      return { allowed: true, message: 'allowed: no deny pattern matches (the line could not be parsed)' };
    return {
      allowed: false,
      message: `command refused: the line cannot be parsed as a shell command (${parsed.error}), and with an allow list set (BACKBURNER_ALLOW or a policy file) only lines whose every command can be checked may run`,
    };
  }
  for (const command of parsed.commands) {
    for (const rule of policy.deny) {
      if (rule.pattern.test(command.text)) {
        return {
          allowed: false,
          rule,
          part: command.text,
          message: `command refused: the part ${quoted(command.text)} matches deny pattern ${describe(rule)}`,
        };
      }
    }
  }
  if (policy.allow.length === 0) return { allowed: true, message: 'allowed: no deny pattern matches' };
  const sources = [...new Set(policy.allow.map((rule) => rule.source))].join(', ');
  const allowList = `${sources}: ${policy.allow.map((rule) => `'${rule.pattern.source}'`).join(', ')}`;
  for (const command of parsed.commands) {
    if (
      command.wraps === true &&
      command.name !== null &&
      TRANSPARENT.has(command.name.slice(command.name.lastIndexOf('/') + 1))
    )
      continue;
    if (command.name === null) {
      return {
        allowed: false,
        part: command.text,
        message: `command refused: the part ${quoted(command.text)} computes its command name at run time, so it cannot be checked against the allow list (${allowList})`,
      };
    }
    if (!policy.allow.some((rule) => rule.pattern.test(command.text))) {
      return {
        allowed: false,
        part: command.text,
        message: `command refused: does not match any allow pattern (${allowList}): the part ${quoted(command.text)}${command.via.length > 0 ? `, run through ${command.via.join(' > ')},` : ''} matches none of them`,
      };
    }
  }
  return { allowed: true, message: 'allowed: every command matches an allow pattern' };
}
