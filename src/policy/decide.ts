import { isSensitiveVariable } from './environment.js';
import { extractCommands, type Assignment } from './shell-commands.js';
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
  'posh',
  'eval',
  'env',
  'nohup',
  'timeout',
  'nice',
  'ionice',
  'exec',
  'command',
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

/** What a caller asks to run: the line, and the names of the variables its `env` argument sets. */
export interface RunRequest {
  envNames?: readonly string[];
}

/**
 * Decides whether a command line may run. Deny rules are tried against the raw line and against every
 * command the shell would run; allow rules must admit every command. Under any rule set, a line that
 * cannot be parsed as `/bin/sh` reads it, or whose command names are computed at run time or hidden
 * behind wrapper options the policy does not know, is refused: neither list can be checked against
 * it. Under an allow list, setting a sensitive variable (PATH, LD_*, ...; `isSensitiveVariable`) in the
 * line or through `env` is refused unless `allow_env` names it.
 */
export function decide(line: string, policy: Policy, request: RunRequest = {}): Decision {
  for (const rule of policy.deny) {
    if (rule.pattern.test(line)) {
      return { allowed: false, rule, message: `command refused: matches deny pattern ${describe(rule)}` };
    }
  }
  if (policy.allow.length === 0 && policy.deny.length === 0)
    return { allowed: true, message: 'allowed: no policy is set' };
  const lists = listNames(policy);
  const parsed = extractCommands(line);
  if (!parsed.ok) {
    return {
      allowed: false,
      message: `command refused: the line cannot be parsed as /bin/sh (a POSIX shell) reads it (${parsed.error}), and with ${lists} set only lines whose every command can be checked may run`,
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
  for (const command of parsed.commands) {
    if (command.name !== null) continue;
    const why =
      command.unknown !== undefined
        ? `runs a command the policy cannot find (${command.unknown})`
        : 'computes its command name at run time';
    return {
      allowed: false,
      part: command.text,
      message: `command refused: the part ${quoted(command.text)} ${why}, so it cannot be checked against ${lists}`,
    };
  }
  if (policy.allow.length === 0) return { allowed: true, message: 'allowed: no deny pattern matches' };
  const variables: Assignment[] = [
    ...parsed.assignments,
    ...(request.envNames ?? []).map((name) => ({ name, text: `env argument ${name}` })),
  ];
  const variable = variables.find(
    (a) => isSensitiveVariable(a.name) && !policy.allowEnv.some((rule) => rule.pattern.test(a.name)),
  );
  if (variable !== undefined) {
    return {
      allowed: false,
      part: variable.text,
      message: `command refused: ${quoted(variable.text)} sets ${variable.name}, which changes what an allowed command runs or loads; with an allow list set it needs an allow_env rule naming it (BACKBURNER_ALLOW_ENV or "allow_env" in the policy file)`,
    };
  }
  const sources = [...new Set(policy.allow.map((rule) => rule.source))].join(', ');
  const allowList = `${sources}: ${policy.allow.map((rule) => `'${rule.pattern.source}'`).join(', ')}`;
  for (const command of parsed.commands) {
    const name = command.name as string;
    if (command.wraps === true && TRANSPARENT.has(name.slice(name.lastIndexOf('/') + 1))) continue;
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

const listNames = (policy: Policy): string =>
  policy.allow.length > 0 ? 'an allow list (BACKBURNER_ALLOW or a policy file)' : 'a deny list';
