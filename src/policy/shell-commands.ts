import { createRequire } from 'node:module';
import type shModule from 'mvdan-sh';

type ShNode = Record<string, unknown>;
type Syntax = (typeof shModule)['syntax'];

let loaded: Syntax | undefined;
/**
 * The parser takes about 300 ms to load, so it is loaded on first use: a server without a policy never
 * pays for it, and cold start stays close to a bare SDK server's.
 */
function shSyntax(): Syntax {
  loaded ??= (createRequire(import.meta.url)('mvdan-sh') as typeof shModule).syntax;
  return loaded;
}

/** One command the shell would run, as the policy sees it. */
export interface ShellCommand {
  /** The command as words (after quote removal); dynamic words keep their source text. */
  text: string;
  /** The command name, or null when the shell computes it at run time ($cmd, globs, $'...'). */
  name: string | null;
  /** The wrappers it was found inside, outermost first ("sudo", "bash -c", "find -exec"...). */
  via: string[];
  /** Set on a wrapper (nohup, env, sh -c, ...) whose wrapped command was found and listed too. */
  wraps?: boolean;
}

export type ParseOutcome = { ok: true; commands: ShellCommand[] } | { ok: false; error: string };

const MAX_DEPTH = 8;

/** Variables that change what a later command name means, or what it loads: kept in the command text. */
const DANGEROUS_ASSIGNMENTS =
  /^(PATH|IFS|ENV|BASH_ENV|SHELLOPTS|BASHOPTS|PS4|PROMPT_COMMAND|CDPATH|NODE_OPTIONS|PYTHONPATH|PYTHONSTARTUP|PERL5OPT|PERL5LIB|RUBYOPT|LD_\w+|DYLD_\w+)$/;

function nodeType(node: unknown): string {
  return shSyntax().NodeType(node as ShNode);
}

/** Removes backslash escapes the way the shell does outside quotes (and drops line continuations). */
const unescape = (value: string): string => value.replace(/\\\n/g, '').replace(/\\(.)/gs, '$1');

interface WordValue {
  /** The value after quote removal, or null when the shell computes it at run time. */
  value: string | null;
  /** True when an unquoted part could still be expanded (globs, braces, tilde). */
  expandable: boolean;
}

function wordValue(word: ShNode): WordValue {
  let value = '';
  let expandable = false;
  for (const part of word.Parts as ShNode[]) {
    const type = nodeType(part);
    if (type === 'Lit') {
      const raw = String(part.Value);
      if (/[*?[{~]/.test(raw.replace(/\\./gs, ''))) expandable = true;
      value += unescape(raw);
    } else if (type === 'SglQuoted') {
      if (part.Dollar === true) return { value: null, expandable }; // $'...' decodes escapes at run time
      value += String(part.Value);
    } else if (type === 'DblQuoted') {
      for (const inner of part.Parts as ShNode[]) {
        if (nodeType(inner) !== 'Lit') return { value: null, expandable };
        value += String(inner.Value).replace(/\\([\\"$`\n])/g, (_, c: string) => (c === '\n' ? '' : c));
      }
    } else {
      return { value: null, expandable };
    }
  }
  return { value, expandable };
}

/** The source text of a word, for showing dynamic words as written. */
function source(line: string, node: ShNode): string {
  const pos = (node.Pos as () => { Offset: () => number })().Offset();
  const end = (node.End as () => { Offset: () => number })().Offset();
  return line.slice(pos, end);
}

/** Parses a command line and lists every command it would run, wrappers unwrapped. */
export function extractCommands(line: string): ParseOutcome {
  const commands: ShellCommand[] = [];
  try {
    collect(line, [], 0, commands);
  } catch (error) {
    const message =
      typeof (error as { Error?: unknown }).Error === 'function'
        ? String((error as { Error: () => string }).Error())
        : (error as Error).message;
    return { ok: false, error: message };
  }
  return { ok: true, commands };
}

function collect(line: string, via: string[], depth: number, into: ShellCommand[]): void {
  if (depth > MAX_DEPTH) throw new Error(`commands nested more than ${MAX_DEPTH} wrappers deep`);
  const file = shSyntax().NewParser().Parse(line, 'command');
  shSyntax().Walk(file, (node) => {
    if (node === null) return true;
    const type = nodeType(node);
    if (type === 'CallExpr') callExpr(line, node, via, depth, into);
    else if (type === 'DeclClause') declClause(line, node, via, into);
    return true;
  });
}

function dangerousAssignments(line: string, assigns: ShNode[]): string[] {
  return assigns
    .filter((assign) => DANGEROUS_ASSIGNMENTS.test(String((assign.Name as ShNode | null)?.Value ?? '')))
    .map((assign) => source(line, assign));
}

function declClause(line: string, node: ShNode, via: string[], into: ShellCommand[]): void {
  // export/declare/local/readonly: only a change of PATH and the like matters to the policy.
  const risky = dangerousAssignments(
    line,
    (node.Args as ShNode[]).filter((arg) => arg.Name !== null),
  );
  if (risky.length > 0)
    into.push({
      text: `${String(node.Variant ? (node.Variant as ShNode).Value : 'export')} ${risky.join(' ')}`,
      name: null,
      via,
    });
}

function callExpr(line: string, node: ShNode, via: string[], depth: number, into: ShellCommand[]): void {
  const assigns = dangerousAssignments(line, node.Assigns as ShNode[]);
  const args = node.Args as ShNode[];
  if (args.length === 0) {
    if (assigns.length > 0) into.push({ text: assigns.join(' '), name: null, via });
    return;
  }
  const words = args.map((word) => ({ ...wordValue(word), source: source(line, word) }));
  const argv = words.map((word) => word.value ?? word.source);
  const first = words[0];
  const name = first === undefined || first.value === null || first.expandable ? null : first.value;
  const command: ShellCommand = { text: [...assigns, ...argv].join(' '), name, via };
  into.push(command);
  if (name !== null && unwrap(name, words, via, depth, into)) command.wraps = true;
}

interface Word {
  value: string | null;
  source: string;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'yash', 'fish']);
/** Wrappers whose options take a value, so that the value is not mistaken for the wrapped command. */
const OPTION_ARGS: Record<string, Set<string>> = {
  env: new Set(['-u', '--unset', '-C', '--chdir', '-S', '--split-string']),
  nice: new Set(['-n', '--adjustment']),
  ionice: new Set(['-c', '-n', '-p', '--class', '--classdata']),
  timeout: new Set(['-s', '--signal', '-k', '--kill-after']),
  sudo: new Set([
    '-u',
    '-g',
    '-h',
    '-p',
    '-C',
    '-U',
    '-r',
    '-t',
    '-D',
    '--user',
    '--group',
    '--host',
    '--prompt',
    '--chdir',
  ]),
  doas: new Set(['-u', '-C']),
  xargs: new Set([
    '-I',
    '-n',
    '-P',
    '-d',
    '-E',
    '-L',
    '-s',
    '-a',
    '--max-args',
    '--max-procs',
    '--delimiter',
    '--arg-file',
    '--replace',
  ]),
  stdbuf: new Set(['-i', '-o', '-e']),
  setsid: new Set([]),
  nohup: new Set([]),
  exec: new Set(['-a']),
  command: new Set([]),
  builtin: new Set([]),
  time: new Set(['-f', '-o', '--format', '--output']),
  taskset: new Set([]),
  chrt: new Set([]),
  unbuffer: new Set([]),
  busybox: new Set([]),
  flock: new Set(['-w', '--timeout', '-E', '--conflict-exit-code']),
  watch: new Set(['-n', '--interval', '-d']),
  parallel: new Set(['-j', '--jobs']),
};
/** Wrappers that take positional words before the command: how many. */
const LEADING_WORDS: Record<string, number> = { timeout: 1, taskset: 1, chrt: 1, flock: 1, chroot: 1 };

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * Finds the command a wrapper runs (sh -c, eval, env, sudo, xargs, find -exec, ...) and collects it too.
 * Returns whether it was a wrapper that wrapped something.
 */
function unwrap(name: string, words: Word[], via: string[], depth: number, into: ShellCommand[]): boolean {
  const before = into.length;
  unwrapInto(name, words, via, depth, into);
  return into.length > before;
}

function unwrapInto(name: string, words: Word[], via: string[], depth: number, into: ShellCommand[]): void {
  const program = basename(name);
  const rest = words.slice(1);
  const dynamic = (what: string): void => {
    into.push({ text: `${what} <computed at run time>`, name: null, via: [...via, program] });
  };
  const nested = (payload: string, wrapper: string): void =>
    collect(payload, [...via, wrapper], depth + 1, into);

  if (SHELLS.has(program)) {
    const flag = rest.findIndex((word) => word.value !== null && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(word.value));
    if (flag === -1) return; // a script file or stdin: not a command line we can see
    const payload = rest[flag + 1];
    if (payload === undefined) return;
    if (payload.value === null) dynamic(`${program} -c`);
    else nested(payload.value, `${program} -c`);
    return;
  }
  if (program === 'eval') {
    if (rest.some((word) => word.value === null)) dynamic('eval');
    else nested(rest.map((word) => word.value).join(' '), 'eval');
    return;
  }
  if (program === 'alias') {
    for (const word of rest) {
      const value = word.value;
      if (value === null) dynamic('alias');
      else if (value.includes('=')) nested(value.slice(value.indexOf('=') + 1), 'alias');
    }
    return;
  }
  if (program === 'find') {
    for (let i = 0; i < rest.length; i++) {
      const flag = rest[i]?.value;
      if (flag !== '-exec' && flag !== '-execdir' && flag !== '-ok' && flag !== '-okdir') continue;
      const end = rest.findIndex((word, j) => j > i && (word.value === ';' || word.value === '+'));
      const inner = rest.slice(i + 1, end === -1 ? undefined : end);
      pushWrapped(inner, [...via, `find ${flag}`], depth, into);
      if (end === -1) break;
      i = end;
    }
    return;
  }
  if (program === 'env' && rest.some((word) => word.value === '-S' || word.value === '--split-string')) {
    const index = rest.findIndex((word) => word.value === '-S' || word.value === '--split-string');
    const payload = rest[index + 1];
    if (payload?.value === null || payload === undefined) dynamic('env -S');
    else nested(payload.value, 'env -S');
    return;
  }
  if (program === 'watch' || program === 'flock') {
    const commandFlag = rest.findIndex((word) => word.value === '-c' || word.value === '--command');
    if (program === 'flock' && commandFlag !== -1) {
      const payload = rest[commandFlag + 1];
      if (payload?.value === null || payload === undefined) dynamic('flock -c');
      else nested(payload.value, 'flock -c');
      return;
    }
    if (program === 'watch') {
      const inner = skipOptions(program, rest);
      if (inner.some((word) => word.value === null)) dynamic('watch');
      else if (inner.length > 0) nested(inner.map((word) => word.value).join(' '), 'watch');
      return;
    }
  }
  const optionArgs = OPTION_ARGS[program];
  if (optionArgs === undefined && LEADING_WORDS[program] === undefined) return; // not a wrapper
  let inner = skipOptions(program, rest);
  if (program === 'env')
    inner = inner.slice(inner.findIndex((word) => word.value === null || !/^\w+=/.test(word.value)));
  inner = inner.slice(LEADING_WORDS[program] ?? 0);
  if (
    inner.length === 0 ||
    (program === 'env' && inner.every((word) => word.value !== null && /^\w+=/.test(word.value)))
  )
    return;
  pushWrapped(inner, [...via, program], depth, into);
}

function skipOptions(program: string, words: Word[]): Word[] {
  const takesValue = OPTION_ARGS[program] ?? new Set<string>();
  let i = 0;
  while (i < words.length) {
    const value = words[i]?.value;
    if (value === null || value === undefined || !value.startsWith('-') || value === '-') break;
    if (value === '--') {
      i++;
      break;
    }
    i += takesValue.has(value) ? 2 : 1;
  }
  return words.slice(i);
}

/** A command given as separate words to a wrapper (sudo cmd args, xargs cmd, find -exec cmd {} ;). */
function pushWrapped(words: Word[], via: string[], depth: number, into: ShellCommand[]): void {
  const [first] = words;
  if (first === undefined) return;
  const argv = words.map((word) => word.value ?? word.source);
  const name = first.value === null || /[*?[{~]/.test(first.source) ? null : first.value;
  const command: ShellCommand = { text: argv.join(' '), name, via };
  into.push(command);
  if (name !== null && unwrap(name, words, via, depth, into)) command.wraps = true;
}
