import { BackburnerError, invalidArgument } from './errors.js';

/**
 * The original backburner's command policy: comma-separated regular expressions in BACKBURNER_DENY and
 * BACKBURNER_ALLOW, matched case-insensitively anywhere in the raw command text; deny is checked first
 * and wins; with no allow list everything not denied may run. The variables are read on every call so
 * that a change takes effect without a restart. (A shell-aware policy is a later issue.)
 */
export interface PolicyEnv {
  BACKBURNER_ALLOW?: string | undefined;
  BACKBURNER_DENY?: string | undefined;
}

function parsePatterns(variable: 'BACKBURNER_ALLOW' | 'BACKBURNER_DENY', text: string | undefined): RegExp[] {
  if (text === undefined || text.trim() === '') return [];
  return text
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '')
    .map((pattern) => {
      try {
        return new RegExp(pattern, 'i');
      } catch (error) {
        throw invalidArgument(
          `invalid pattern '${pattern}' in ${variable}: ${(error as Error).message}; fix the variable in the server's configuration`,
        );
      }
    });
}

/** Throws COMMAND_REFUSED, naming the rule, when the policy does not let `command` run. */
export function enforcePolicy(command: string, env: PolicyEnv): void {
  for (const rule of parsePatterns('BACKBURNER_DENY', env.BACKBURNER_DENY)) {
    if (rule.test(command)) {
      throw new BackburnerError(
        'COMMAND_REFUSED',
        `command refused: matches deny pattern '${rule.source}' (BACKBURNER_DENY)`,
      );
    }
  }
  const allow = parsePatterns('BACKBURNER_ALLOW', env.BACKBURNER_ALLOW);
  if (allow.length > 0 && !allow.some((rule) => rule.test(command))) {
    throw new BackburnerError(
      'COMMAND_REFUSED',
      `command refused: does not match any allow pattern (BACKBURNER_ALLOW: ${allow.map((r) => `'${r.source}'`).join(', ')})`,
    );
  }
}
