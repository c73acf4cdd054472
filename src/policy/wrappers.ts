/**
 * Programs that run another program given as their arguments, with the option tables of the versions
 * Debian and Ubuntu ship (GNU coreutils, findutils, util-linux, sudo). The table is what lets the policy
 * find the wrapped command: an option that takes a value must not have its value taken for the command,
 * so an option a table does not know is never guessed at: the policy refuses the line.
 *
 * All of these stop reading options at the first word that is not one (getopt's "+" mode), and `--`
 * ends the options.
 */
export interface WrapperSpec {
  /** Options that take a value: the next word, or attached (`-uNAME`, `--unset=NAME`). */
  valued: readonly string[];
  /** Options that take none. */
  flags: readonly string[];
  /** Options whose value is optional and only ever attached (`-i{}`, `--replace=X`). */
  optional?: readonly string[];
  /** Words after the options and before the command (timeout's duration, taskset's mask). */
  leading?: number;
  /** NAME=VALUE words between the options and the command set the command's environment (env). */
  assignments?: boolean;
  /** Options after which no command runs at all (`command -v`). */
  noCommand?: readonly string[];
  /** Options whose value is a whole command line, run by a shell (`flock -c`, `su -c`). */
  commandLine?: readonly string[];
  /** What runs when no command is given (`xargs` runs `echo`). */
  defaultCommand?: string;
  /** Leading words that are options in an old style (`nice -10`). */
  legacy?: RegExp;
}

const HELP = ['--help', '--version'];

export const WRAPPERS: Readonly<Record<string, WrapperSpec>> = {
  env: {
    valued: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string', '-a', '--argv0'],
    flags: ['-i', '--ignore-environment', '-0', '--null', '-v', '--debug', '--list-signal-handling', ...HELP],
    optional: ['--default-signal', '--ignore-signal', '--block-signal'],
    assignments: true,
    commandLine: ['-S', '--split-string'],
    legacy: /^-$/,
  },
  nice: { valued: ['-n', '--adjustment'], flags: HELP, legacy: /^--?\d+$/ },
  nohup: { valued: [], flags: HELP },
  timeout: {
    valued: ['-s', '--signal', '-k', '--kill-after'],
    flags: ['--preserve-status', '--foreground', '-v', '--verbose', ...HELP],
    leading: 1,
  },
  xargs: {
    valued: [
      '-a',
      '--arg-file',
      '-d',
      '--delimiter',
      '-E',
      '-I',
      '-L',
      '-n',
      '--max-args',
      '-P',
      '--max-procs',
      '-s',
      '--max-chars',
      '--process-slot-var',
    ],
    flags: [
      '-0',
      '--null',
      '-o',
      '--open-tty',
      '-p',
      '--interactive',
      '-r',
      '--no-run-if-empty',
      '-t',
      '--verbose',
      '-x',
      '--exit',
      '--show-limits',
      ...HELP,
    ],
    optional: ['-e', '--eof', '-i', '--replace', '-l', '--max-lines'],
    defaultCommand: 'echo',
  },
  stdbuf: { valued: ['-i', '--input', '-o', '--output', '-e', '--error'], flags: HELP },
  setsid: { valued: [], flags: ['-c', '--ctty', '-f', '--fork', '-w', '--wait', '-h', '-V', ...HELP] },
  ionice: {
    valued: ['-c', '--class', '-n', '--classdata', '-p', '--pid', '-P', '--pgid', '-u', '--uid'],
    flags: ['-t', '--ignore', '-h', '-V', ...HELP],
  },
  taskset: {
    valued: [],
    flags: ['-a', '--all-tasks', '-p', '--pid', '-c', '--cpu-list', '-h', '-V', ...HELP],
    leading: 1,
  },
  chrt: {
    valued: ['-T', '--sched-runtime', '-P', '--sched-period', '-D', '--sched-deadline'],
    flags: [
      '-b',
      '--batch',
      '-d',
      '--deadline',
      '-f',
      '--fifo',
      '-i',
      '--idle',
      '-o',
      '--other',
      '-r',
      '--rr',
      '-a',
      '--all-tasks',
      '-m',
      '--max',
      '-p',
      '--pid',
      '-R',
      '--reset-on-fork',
      '-v',
      '--verbose',
      '-h',
      '-V',
      ...HELP,
    ],
    leading: 1,
  },
  flock: {
    valued: ['-w', '--wait', '--timeout', '-E', '--conflict-exit-code', '-c', '--command'],
    flags: [
      '-s',
      '--shared',
      '-x',
      '-e',
      '--exclusive',
      '-u',
      '--unlock',
      '-n',
      '--nb',
      '--nonblock',
      '-o',
      '--close',
      '-F',
      '--no-fork',
      '--verbose',
      '-h',
      '-V',
      ...HELP,
    ],
    leading: 1,
    commandLine: ['-c', '--command'],
  },
  time: {
    valued: ['-f', '--format', '-o', '--output'],
    flags: ['-a', '--append', '-p', '--portability', '-v', '--verbose', '-q', '--quiet', ...HELP],
  },
  chroot: { valued: ['--userspec', '--groups'], flags: ['--skip-chdir', ...HELP], leading: 1 },
  sudo: {
    valued: [
      '-C',
      '--close-from',
      '-D',
      '--chdir',
      '-g',
      '--group',
      '-h',
      '--host',
      '-p',
      '--prompt',
      '-R',
      '--chroot',
      '-r',
      '--role',
      '-t',
      '--type',
      '-T',
      '--command-timeout',
      '-U',
      '--other-user',
      '-u',
      '--user',
    ],
    flags: [
      '-A',
      '--askpass',
      '-B',
      '--bell',
      '-b',
      '--background',
      '-E',
      '-e',
      '--edit',
      '-H',
      '--set-home',
      '-i',
      '--login',
      '-K',
      '--remove-timestamp',
      '-k',
      '--reset-timestamp',
      '-l',
      '--list',
      '-N',
      '--no-update',
      '-n',
      '--non-interactive',
      '-P',
      '--preserve-groups',
      '-S',
      '--stdin',
      '-s',
      '--shell',
      '-V',
      '-v',
      '--validate',
      ...HELP,
    ],
    optional: ['--preserve-env'],
  },
  doas: { valued: ['-C', '-u'], flags: ['-L', '-n', '-s'] },
  // dash's exec takes no options; `command -v`/`-V` only say what a name is.
  exec: { valued: [], flags: [] },
  command: { valued: [], flags: ['-p', '-v', '-V'], noCommand: ['-v', '-V'] },
  unbuffer: { valued: [], flags: ['-p'] },
  watch: {
    valued: ['-n', '--interval', '-q', '--equexit'],
    flags: [
      '-b',
      '--beep',
      '-c',
      '--color',
      '-C',
      '--no-color',
      '-e',
      '--errexit',
      '-g',
      '--chgexit',
      '-t',
      '--no-title',
      '-w',
      '--no-wrap',
      '-x',
      '--exec',
      '-p',
      '--precise',
      '-r',
      '--no-rerun',
      '-h',
      '-v',
      ...HELP,
    ],
    optional: ['-d', '--differences'],
  },
};

export type OptionScan =
  | {
      ok: true;
      /** The words after the options (and after `--`). */
      rest: number;
      /** Options seen, by their canonical spelling, with their values. */
      options: { option: string; value: string | null }[];
    }
  | { ok: false; reason: string };

/** Finds the long option a word names, by its full name or a unique prefix as getopt_long allows. */
function longOption(spec: WrapperSpec, name: string): string | null | 'ambiguous' {
  const all = [...spec.valued, ...spec.flags, ...(spec.optional ?? [])].filter((o) => o.startsWith('--'));
  if (all.includes(name)) return name;
  const matches = [...new Set(all.filter((o) => o.startsWith(name)))];
  if (matches.length === 1) return matches[0] ?? null;
  return matches.length === 0 ? null : 'ambiguous';
}

/**
 * Reads a wrapper's options from `words` (its arguments, after its name) as the program itself would.
 * Words that are not static text (`null`) end the scan: what follows cannot be told apart.
 */
export function scanOptions(program: string, spec: WrapperSpec, words: (string | null)[]): OptionScan {
  const options: { option: string; value: string | null }[] = [];
  let i = 0;
  /** An option's value given as the next word: taken, or why it cannot be. */
  const takeNextWord = (option: string, written: string): string | null => {
    const value = words[i + 1];
    if (value === undefined) return `${program}: '${written}' needs a value`;
    if (value === null) return `${program}: the value of '${written}' is computed at run time`;
    options.push({ option, value });
    i++;
    return null;
  };
  while (i < words.length) {
    const word = words[i];
    // A computed word could be an option (or `--`): nothing after it can be read.
    if (word === null) return { ok: false, reason: `${program}: an argument computed at run time` };
    if (word === undefined) break;
    if (word === '--') return { ok: true, rest: i + 1, options };
    if (spec.legacy?.test(word) === true) {
      options.push({ option: word, value: null });
      i++;
      continue;
    }
    if (!word.startsWith('-') || word === '-') break;
    if (word.startsWith('--')) {
      const [name = '', attached] = splitOnce(word, '=');
      const option = longOption(spec, name);
      if (option === 'ambiguous') return { ok: false, reason: `${program}: ambiguous option '${name}'` };
      if (option === null) return { ok: false, reason: `${program}: an option it does not know, '${name}'` };
      if (spec.valued.includes(option)) {
        if (attached !== undefined) options.push({ option, value: attached });
        else {
          const failure = takeNextWord(option, name);
          if (failure !== null) return { ok: false, reason: failure };
        }
      } else if (spec.optional?.includes(option) === true) {
        options.push({ option, value: attached ?? null });
      } else {
        if (attached !== undefined) return { ok: false, reason: `${program}: '${name}' takes no value` };
        options.push({ option, value: null });
      }
      i++;
      continue;
    }
    // A cluster of short options: -abc, or -uNAME, or -u NAME.
    for (let k = 1; k < word.length; k++) {
      const option = `-${word[k] as string}`;
      const attached = word.slice(k + 1);
      if (spec.valued.includes(option)) {
        if (attached !== '') options.push({ option, value: attached });
        else {
          const failure = takeNextWord(option, option);
          if (failure !== null) return { ok: false, reason: failure };
        }
        break;
      }
      if (spec.optional?.includes(option) === true) {
        options.push({ option, value: attached === '' ? null : attached });
        break;
      }
      if (!spec.flags.includes(option))
        return { ok: false, reason: `${program}: an option it does not know, '${option}'` };
      options.push({ option, value: null });
    }
    i++;
  }
  return { ok: true, rest: i, options };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
