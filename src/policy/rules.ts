import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument } from '../shared/errors.js';

/** One allow or deny rule, with where it came from so that a refusal can name it. */
export interface Rule {
  pattern: RegExp;
  /** The variable or file that holds the rule. */
  source: string;
  reason?: string;
}

export interface Policy {
  allow: Rule[];
  deny: Rule[];
  /** Names of sensitive variables (PATH, LD_PRELOAD, ...) that commands may set under an allow list. */
  allowEnv: Rule[];
}

export interface PolicyEnv {
  BACKBURNER_ALLOW?: string | undefined;
  BACKBURNER_DENY?: string | undefined;
  BACKBURNER_ALLOW_ENV?: string | undefined;
  BACKBURNER_POLICY?: string | undefined;
}

function compile(text: string, source: string, reason?: string, whole = false): Rule {
  try {
    // Variable names are matched whole and case-sensitively, as the environment knows them.
    const pattern = whole ? new RegExp(`^(?:${text})$`) : new RegExp(text, 'i');
    const rule: Rule = { pattern, source };
    if (reason !== undefined) rule.reason = reason;
    return rule;
  } catch (error) {
    throw invalidArgument(
      `invalid pattern '${text}' in ${source}: ${(error as Error).message}; fix it in the server's configuration`,
    );
  }
}

/** The original's variables: comma-separated, case-insensitive regular expressions. */
function fromVariable(
  name: 'BACKBURNER_ALLOW' | 'BACKBURNER_DENY' | 'BACKBURNER_ALLOW_ENV',
  text: string | undefined,
): Rule[] {
  if (text === undefined || text.trim() === '') return [];
  return text
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '')
    .map((pattern) => compile(pattern, name, undefined, name === 'BACKBURNER_ALLOW_ENV'));
}

type FileRule = string | { pattern: string; reason?: string };

function fromFile(path: string, list: 'allow' | 'deny' | 'allow_env', entries: unknown): Rule[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw invalidArgument(`${path}: "${list}" must be an array of patterns`);
  return (entries as FileRule[]).map((entry, index) => {
    const whole = list === 'allow_env';
    if (typeof entry === 'string') return compile(entry, path, undefined, whole);
    if (typeof entry === 'object' && entry !== null && typeof entry.pattern === 'string') {
      if (entry.reason !== undefined && typeof entry.reason !== 'string') {
        throw invalidArgument(`${path}: ${list}[${index}].reason must be a string`);
      }
      return compile(entry.pattern, path, entry.reason, whole);
    }
    throw invalidArgument(
      `${path}: ${list}[${index}] must be a pattern string or { "pattern": ..., "reason": ... }`,
    );
  });
}

/**
 * The policy in force for a caller: its BACKBURNER_ALLOW / BACKBURNER_DENY variables and the policy
 * file (BACKBURNER_POLICY, or policy.json in the home), read afresh on every call. Rules from all
 * sources combine; deny wins. A policy file that cannot be read or parsed refuses everything: a
 * broken policy must not quietly become no policy.
 */
export function loadPolicy(env: PolicyEnv, home: string): Policy {
  const policy: Policy = {
    allow: fromVariable('BACKBURNER_ALLOW', env.BACKBURNER_ALLOW),
    deny: fromVariable('BACKBURNER_DENY', env.BACKBURNER_DENY),
    allowEnv: fromVariable('BACKBURNER_ALLOW_ENV', env.BACKBURNER_ALLOW_ENV),
  };
  const explicit = env.BACKBURNER_POLICY !== undefined && env.BACKBURNER_POLICY.trim() !== '';
  const path = explicit ? (env.BACKBURNER_POLICY as string) : join(home, 'policy.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return policy;
    throw invalidArgument(
      `cannot read the policy file ${path} (BACKBURNER_POLICY): ${(error as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidArgument(`the policy file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument(
      `the policy file ${path} must hold an object such as {"allow": [...], "deny": [...]}`,
    );
  }
  const file = parsed as { allow?: unknown; deny?: unknown; allow_env?: unknown };
  policy.allow.push(...fromFile(path, 'allow', file.allow));
  policy.deny.push(...fromFile(path, 'deny', file.deny));
  policy.allowEnv.push(...fromFile(path, 'allow_env', file.allow_env));
  return policy;
}
