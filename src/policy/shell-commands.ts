import { createRequire } from 'node:module';
import { scanOptions, WRAPPERS } from './wrappers.js';
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
  /**
   * The command name, or null when it cannot be known before the shell runs the line: computed at run
   * time ($cmd, globs, $(...)), or behind a wrapper option the policy does not know (`unknown`).
   */
  name: string | null;
  /** The wrappers it was found inside, outermost first ("sudo", "bash -c", "find -exec"...). */
  via: string[];
  /** Set on a wrapper (nohup, env, sh -c, ...) whose wrapped command was found and listed too. */
  wraps?: boolean;
  /** Why the command cannot be known, when that is not a computed word. */
  unknown?: string;
}

/** A variable the line sets (or unsets) for some command: environment is policy input. */
export interface Assignment {
  name: string;
  /** The part of the line that sets it, as written. */
  text: string;
}

export type ParseOutcome =
  { ok: true; commands: ShellCommand[]; assignments: Assignment[] } | { ok: false; error: string };

const MAX_DEPTH = 8;

function nodeType(node: unknown): string {
  return shSyntax().NodeType(node as ShNode);
}

/** Removes backslash escapes the way the shell does outside quotes (and drops line continuations). */
const unescape = (value: string): string => value.replace(/\\\n/g, '').replace(/\\(.)/gs, '$1');

interface WordValue {
  /** The value after quote removal, or null when the shell computes it at run time. */
  value: string | null;
  /** True when an unquoted part could still be expanded (globs, tilde). */
  expandable: boolean;
}

function wordValue(word: ShNode): WordValue {
  let value = '';
  let expandable = false;
  for (const part of word.Parts as ShNode[]) {
    const type = nodeType(part);
    if (type === 'Lit') {
      const raw = String(part.Value);
      if (/[*?[~]/.test(raw.replace(/\\./gs, ''))) expandable = true;
      value += unescape(raw);
    } else if (type === 'SglQuoted') {
      // POSIX sh has no $'...': dash reads a literal $ followed by a quoted string.
      value += (part.Dollar === true ? '$' : '') + String(part.Value);
    } else if (type === 'DblQuoted') {
      if (part.Dollar === true) return { value: null, expandable }; // $"..." is a bash locale string
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

/** The source text of a node, for showing dynamic words as written. */
function source(line: string, node: ShNode): string {
  const pos = (node.Pos as () => { Offset: () => number })().Offset();
  const end = (node.End as () => { Offset: () => number })().Offset();
  return line.slice(pos, end);
}

/**
 * Parses a command line in the POSIX dialect of `/bin/sh` (dash on Debian and Ubuntu), which is the
 * shell that runs every task, and lists every command it would run, wrappers unwrapped, and every
 * variable it sets. Bash-only syntax (`[[`, `<(...)`, `|&`, `function`) is a parse error here, as it is
 * for dash: a line is judged by the shell that will run it (ADR 0009).
 */
export function extractCommands(line: string): ParseOutcome {
  const found: Found = { commands: [], assignments: [] };
  try {
    collect(line, [], 0, found);
  } catch (error) {
    const message =
      typeof (error as { Error?: unknown }).Error === 'function'
        ? String((error as { Error: () => string }).Error())
        : (error as Error).message;
    return { ok: false, error: message };
  }
  return { ok: true, ...found };
}

interface Found {
  commands: ShellCommand[];
  assignments: Assignment[];
}

/** `${NAME=...}` and `${NAME:=...}` assign NAME when it is unset (or empty). */
const PARAM_ASSIGN = /^\$\{([A-Za-z_]\w*):?=/;
/** Assignments inside `$((...))`: NAME = ..., NAME += ..., NAME <<= ... (not ==). */
const ARITH_ASSIGN = /([A-Za-z_]\w*)\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)/g;

function collect(line: string, via: string[], depth: number, found: Found): void {
  if (depth > MAX_DEPTH) throw new Error(`commands nested more than ${MAX_DEPTH} wrappers deep`);
  const sh = shSyntax();
  const file = sh.NewParser(sh.Variant(sh.LangPOSIX)).Parse(line, 'command');
  sh.Walk(file, (node) => {
    if (node === null) return true;
    const type = nodeType(node);
    if (type === 'CallExpr') callExpr(line, node, via, depth, found);
    else if (type === 'WordIter') assign(found, String((node.Name as ShNode).Value), source(line, node));
    else if (type === 'ParamExp') {
      const text = source(line, node);
      const name = PARAM_ASSIGN.exec(text)?.[1];
      if (name !== undefined) assign(found, name, text);
    } else if (type === 'ArithmExp' || type === 'ArithmCmd') {
      const text = source(line, node);
      for (const match of text.matchAll(ARITH_ASSIGN)) assign(found, match[1] as string, text);
    }
    return true;
  });
}

const assign = (found: Found, name: string, text: string): void => {
  found.assignments.push({ name, text });
};

function callExpr(line: string, node: ShNode, via: string[], depth: number, found: Found): void {
  const assigns = (node.Assigns as ShNode[]).map((a) => ({
    name: String((a.Name as ShNode | null)?.Value ?? ''),
    text: source(line, a),
  }));
  for (const a of assigns) assign(found, a.name, a.text);
  const args = node.Args as ShNode[];
  if (args.length === 0) return; // assignments alone: judged as assignments
  const words = args.map((word) => ({ ...wordValue(word), source: source(line, word) }));
  const argv = words.map((word) => word.value ?? word.source);
  const first = words[0];
  const name = first === undefined || first.value === null || first.expandable ? null : first.value;
  const command: ShellCommand = { text: argv.join(' '), name, via };
  found.commands.push(command);
  if (name !== null && unwrap(name, words, via, depth, found)) command.wraps = true;
}

interface Word extends WordValue {
  source: string;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'yash', 'posh']);
const SHELL_FLAGS = new Set('abCeEfhHiklmnprstTuvxBP'.split(''));
const SHELL_LONG_FLAGS = new Set([
  '--login',
  '--noediting',
  '--noprofile',
  '--norc',
  '--posix',
  '--restricted',
  '--verbose',
  '--debugger',
  '--dump-strings',
  '--dump-po-strings',
  '--pretty-print',
]);

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * Finds the command a wrapper runs (sh -c, eval, env, sudo, xargs, find -exec, ...) and collects it too.
 * Returns whether it was a wrapper that wrapped something.
 */
function unwrap(name: string, words: Word[], via: string[], depth: number, found: Found): boolean {
  const before = found.commands.length;
  unwrapInto(name, words, via, depth, found);
  return found.commands.length > before;
}

function unwrapInto(name: string, words: Word[], via: string[], depth: number, found: Found): void {
  const program = basename(name);
  const rest = words.slice(1);
  const dynamic = (what: string): void => {
    found.commands.push({ text: `${what} <computed at run time>`, name: null, via: [...via, program] });
  };
  const unknown = (reason: string): void => {
    found.commands.push({
      text: `${program} ${rest.map((w) => w.source).join(' ')}`,
      name: null,
      via: [...via, program],
      unknown: reason,
    });
  };
  const nested = (payload: string | null, wrapper: string): void => {
    if (payload === null) dynamic(wrapper);
    else collect(payload, [...via, wrapper], depth + 1, found);
  };

  if (SHELLS.has(program)) return shellPayload(program, rest, nested, unknown);
  switch (program) {
    case 'eval':
      return nested(rest.some((w) => w.value === null) ? null : rest.map((w) => w.value).join(' '), 'eval');
    case 'trap':
      // trap ACTION CONDITION...: the action is a command line, run later by this shell.
      if (rest.length >= 2 && rest[0]?.value !== '-') nested(rest[0]?.value ?? null, 'trap');
      return;
    case 'alias':
      for (const word of rest) {
        if (word.value === null) dynamic('alias');
        else if (word.value.includes('=')) nested(word.value.slice(word.value.indexOf('=') + 1), 'alias');
      }
      return;
    case 'export':
    case 'readonly':
    case 'local':
    case 'unset':
      for (const word of rest) {
        const match = /^([A-Za-z_]\w*)(=|$)/.exec(word.value ?? '');
        if (match !== null && (match[2] === '=' || program === 'unset'))
          assign(found, match[1] as string, word.source);
        else if (word.value === null) assign(found, '<computed>', word.source);
      }
      return;
    case 'read':
    case 'getopts':
      // read [-r] NAME...; getopts OPTSTRING NAME: both set variables from input.
      for (const word of program === 'read' ? rest : rest.slice(1)) {
        if (word.value === null) assign(found, '<computed>', word.source);
        else if (!word.value.startsWith('-')) assign(found, word.value, `${program} ${word.source}`);
      }
      return;
    case 'find':
      return findExec(rest, via, depth, found);
    case 'busybox':
      // busybox APPLET ARGS: the applet is the command.
      return pushWrapped(rest, [...via, program], depth, found);
    case 'su':
    case 'runuser':
    case 'script':
      return commandOption(rest, nested, program);
    case 'parallel': {
      const scan = scanOptions(
        program,
        PARALLEL,
        rest.map((w) => w.value),
      );
      if (!scan.ok) return unknown(scan.reason);
      const inner = rest.slice(scan.rest);
      const end = inner.findIndex((w) => w.value !== null && /^:::+$/.test(w.value));
      const command = inner.slice(0, end === -1 ? undefined : end);
      return nested(
        command.some((w) => w.value === null) ? null : command.map((w) => w.value).join(' '),
        'parallel',
      );
    }
  }
  const spec = WRAPPERS[program];
  if (spec === undefined) return; // not a wrapper
  // An assignment word (env's NAME=VALUE) is never an option, even when its value is computed.
  const values = rest.map((w) => (w.value === null && /^[A-Za-z_]\w*=/.test(w.source) ? w.source : w.value));
  const scan = scanOptions(program, spec, values);
  if (!scan.ok) return unknown(scan.reason);
  if (scan.options.some((o) => spec.noCommand?.includes(o.option) === true)) return;
  for (const option of scan.options) {
    // An empty environment has no PATH: the wrapped command is then looked up in the default path.
    if (program === 'env' && ['-i', '--ignore-environment', '-'].includes(option.option))
      assign(found, 'PATH', `env ${option.option} (clears PATH)`);
    if (program === 'env' && (option.option === '-u' || option.option === '--unset'))
      assign(found, option.value ?? '', `env ${option.option} ${option.value ?? ''}`);
  }
  const line = scan.options.find((o) => spec.commandLine?.includes(o.option) === true);
  let inner = rest.slice(scan.rest);
  if (spec.assignments === true) {
    let k = 0;
    while (k < inner.length && /^[A-Za-z_]\w*=/.test(inner[k]?.value ?? inner[k]?.source ?? '')) {
      const word = inner[k] as Word;
      assign(found, word.source.slice(0, word.source.indexOf('=')), word.source);
      k++;
    }
    inner = inner.slice(k);
  }
  if (line !== undefined) {
    // env -S splits its string by its own rules, not the shell's: only plain words are read as a line.
    const plain = program !== 'env' || /^[\w\s./=:,+@%-]*$/.test(line.value ?? '');
    const words = inner.map((w) => w.value);
    if (!plain || words.includes(null)) return dynamic(`${program} ${line.option}`);
    return nested([line.value, ...words].join(' '), `${program} ${line.option}`);
  }
  inner = inner.slice(spec.leading ?? 0);
  if (program === 'flock' && (inner[0]?.value === '-c' || inner[0]?.value === '--command'))
    return nested(inner[1]?.value ?? null, 'flock -c');
  if (inner.length === 0) {
    if (spec.defaultCommand !== undefined)
      found.commands.push({ text: spec.defaultCommand, name: spec.defaultCommand, via: [...via, program] });
    return;
  }
  if (program === 'watch' && !scan.options.some((o) => o.option === '-x' || o.option === '--exec'))
    return nested(inner.some((w) => w.value === null) ? null : inner.map((w) => w.value).join(' '), 'watch');
  pushWrapped(inner, [...via, program], depth, found);
}

const PARALLEL = { valued: ['-j', '--jobs'], flags: ['-k', '--keep-order'] };

/**
 * A shell's options, read as dash and bash read them: with `-c` (alone or in a cluster, anywhere among
 * the options), the first word after the options is the command line. Without it the shell runs a
 * script file or its input, which the policy cannot see: the shell itself must then be allowed.
 */
function shellPayload(
  program: string,
  rest: Word[],
  nested: (payload: string | null, wrapper: string) => void,
  unknown: (reason: string) => void,
): void {
  let command = false;
  let i = 0;
  for (; i < rest.length; i++) {
    const word = rest[i]?.value;
    if (word === null || word === undefined) return unknown(`${program}: an argument computed at run time`);
    if (word === '--' || word === '-') {
      i++;
      break;
    }
    if (word.startsWith('--')) {
      if (word === '--rcfile' || word === '--init-file') i++;
      else if (!SHELL_LONG_FLAGS.has(word))
        return unknown(`${program}: an option it does not know, '${word}'`);
      continue;
    }
    if (!/^[-+]/.test(word)) break;
    for (const flag of word.slice(1)) {
      if (flag === 'c') command = true;
      else if (flag === 'o' || flag === 'O') i++;
      else if (!SHELL_FLAGS.has(flag)) return unknown(`${program}: an option it does not know, '-${flag}'`);
    }
  }
  if (!command) return;
  if (i >= rest.length) return;
  nested(rest[i]?.value ?? null, `${program} -c`);
}

/** `su -c LINE`, `script -c LINE`: a command line given to an option, wherever it stands. */
function commandOption(
  rest: Word[],
  nested: (payload: string | null, wrapper: string) => void,
  program: string,
): void {
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]?.value ?? '';
    if (word === '-c' || word === '--command') nested(rest[i + 1]?.value ?? null, `${program} -c`);
    else if (word.startsWith('--command=')) nested(word.slice('--command='.length), `${program} -c`);
    else if (/^-[a-zA-Z]*c$/.test(word)) nested(rest[i + 1]?.value ?? null, `${program} -c`);
  }
}

function findExec(rest: Word[], via: string[], depth: number, found: Found): void {
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]?.value;
    if (flag !== '-exec' && flag !== '-execdir' && flag !== '-ok' && flag !== '-okdir') continue;
    const end = rest.findIndex((word, j) => j > i && (word.value === ';' || word.value === '+'));
    const inner = rest.slice(i + 1, end === -1 ? undefined : end);
    pushWrapped(inner, [...via, `find ${flag}`], depth, found);
    if (end === -1) break;
    i = end;
  }
}

/** A command given as separate words to a wrapper (sudo cmd args, xargs cmd, find -exec cmd {} ;). */
function pushWrapped(words: Word[], via: string[], depth: number, found: Found): void {
  const [first] = words;
  if (first === undefined) return;
  const argv = words.map((word) => word.value ?? word.source);
  const name = first.value === null || first.expandable ? null : first.value;
  const command: ShellCommand = { text: argv.join(' '), name, via };
  found.commands.push(command);
  if (name !== null && unwrap(name, words, via, depth, found)) command.wraps = true;
}
