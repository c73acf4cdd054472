import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decide } from '../src/policy/decide.js';
import { loadPolicy, type Policy } from '../src/policy/rules.js';
import { extractCommands } from '../src/policy/shell-commands.js';
import { BYPASSES, HOLD_OUT, LEGITIMATE } from './helpers/policy-corpus.js';
import { needsSystemTool } from './helpers/system-tools.js';
import { FUZZ_SEED, seededRandom } from './helpers/random.js';
import { scratchDir } from './helpers/home.js';

/**
 * The differential test: what the policy thinks a line runs, against what /bin/sh really runs. Each line
 * the policy admits is run by the real /bin/sh under strace, in a sandbox where PATH holds only stub
 * programs and the real wrappers; every program it tried to execute must be one the policy extracted,
 * at the path the policy's PATH lookup gives. A program that ran and that the policy did not see fails.
 */

const GENERATED = 2000;

/** Programs that are stubs in the sandbox: `ok` and `fine` are allowed; `evil` and `bad` are not. */
const STUBS = ['ok', 'fine', 'evil', 'bad', 'echo', 'pytest', 'make', 'ls'];
/** Real programs the sandbox links in, so that their own option parsing and PATH lookup are exercised. */
const REAL = ['env', 'timeout', 'nice', 'nohup', 'xargs', 'stdbuf', 'setsid', 'sh', 'dash'];

/**
 * Lines of fuzzed separators, redirections, quoting, expansions, wrappers and structures. `lean` is the
 * share of names and arguments drawn from the allowed, harmless ones, so that enough lines are admitted
 * under an allow list to be traced.
 */
function generator(next: () => number, evilDir: string, lean = 0): () => string {
  const pick = (items: readonly string[]): string => items[Math.floor(next() * items.length)] as string;
  const leaning = (items: readonly string[], harmless: readonly string[]): string =>
    next() < lean ? pick(harmless) : pick(items);
  const names = [
    'ok',
    'fine',
    'evil',
    'bad',
    "'o'k",
    '"fine"',
    'o\\k',
    'ev""il',
    './evil',
    './ok',
    'ev?l',
    './ev*',
    '[e]vil',
    '$x',
    '$(printf evil)',
    '`printf bad`',
    '${y:-evil}',
    "$'evil'",
    '{ok,evil}',
  ];
  const args = ['', ' a', ' -x', ' "$(evil)"', ' `bad`', ' $((1+1))', ' >/dev/null', ' 2>&1', ' <&-'];
  const wrappers = [
    '',
    '',
    '',
    'env ',
    'env -i ',
    'env -u CI ',
    'env -uCI ',
    'env CI=1 ',
    `env PATH=${evilDir} `,
    'env -- ',
    'env -C . ',
    'env --chdir=. ',
    'env -0 ',
    'timeout 5 ',
    'timeout -k 1 5 ',
    'timeout -s KILL 5 ',
    'timeout --kill-after=1 5 ',
    'timeout --foreground 5 ',
    'timeout --sig=TERM 5 ',
    'nice ',
    'nice -n 3 ',
    'nice -3 ',
    'nice --adjustment=3 ',
    'nice --adj 3 ',
    'nohup ',
    'stdbuf -o0 ',
    'stdbuf -o 0 ',
    'setsid ',
    'setsid -w ',
    'command ',
    'exec ',
    'xargs ',
    'xargs -n 1 ',
    'xargs -E x ',
    'xargs -a /dev/null ',
    'xargs -I{} ',
    'xargs -0 ',
    'xargs -r ',
    `PATH=${evilDir} `,
    'CI=1 ',
    'IFS=x ',
  ];
  const separators = ['; ', ' && ', ' || ', ' | ', ' & ', '\n', ' &>/dev/null ', ' >/dev/null; ', ' 2>&1 | '];
  const simple = (): string =>
    `${pick(wrappers)}${leaning(names, ['ok', 'fine', "'o'k", '"fine"', 'o\\k'])}${leaning(args, ['', ' a', ' -x', ' >/dev/null'])}`;
  const segment = (depth: number): string => {
    const inner = depth > 0 && next() < 0.35 ? segment(depth - 1) : simple();
    switch (Math.floor(next() * 14)) {
      case 0:
        return `( ${inner} )`;
      case 1:
        return `{ ${inner}; }`;
      case 2:
        return `if ${simple()}; then ${inner}; fi`;
      case 3:
        return `! ${inner}`;
      case 4:
        return `for i in 1; do ${inner}; done`;
      case 5:
        return `ok "$(${inner})"`;
      case 6:
        return inner.includes("'") ? inner : `sh -c '${inner}'`;
      case 7:
        return inner.includes("'")
          ? inner
          : `${pick(['sh -e -c', 'sh -c -e', 'eval', 'dash -c'])} '${inner}'`;
      case 8:
        return inner.includes("'") ? inner : `trap '${inner}' EXIT`;
      case 9:
        return `echo ${evilDir} | { read PATH; ${inner}; }`;
      case 10:
        return `case a in a) ${inner};; esac`;
      default:
        return inner;
    }
  };
  return () => {
    const parts = [segment(2)];
    const more = Math.floor(next() * 3);
    for (let i = 0; i < more; i++) parts.push(pick(separators), segment(1));
    return parts.join('');
  };
}

interface Sandbox {
  root: string;
  bin: string;
  evil: string;
  work: string;
}

function makeSandbox(): Sandbox {
  const root = scratchDir('differential');
  const sandbox = { root, bin: join(root, 'bin'), evil: join(root, 'evil'), work: join(root, 'work') };
  for (const dir of [sandbox.bin, sandbox.evil, sandbox.work, join(root, 'home')]) mkdirSync(dir);
  for (const dir of [sandbox.bin, sandbox.evil, sandbox.work]) {
    for (const name of STUBS) {
      writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n');
      chmodSync(join(dir, name), 0o755);
    }
  }
  for (const name of REAL) {
    const real = ['/usr/bin', '/bin'].map((d) => join(d, name)).find((path) => isExecutable(path));
    if (real !== undefined) symlinkSync(real, join(sandbox.bin, name));
  }
  return sandbox;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The programs /bin/sh tried to execute for `line` (the shell itself left out), as absolute paths. */
function traced(sandbox: Sandbox, line: string, index: number): Promise<string[]> {
  const out = join(sandbox.root, `trace-${index}`);
  return new Promise((resolvePaths, reject) => {
    const child = execFile(
      STRACE,
      [
        '-f',
        '-qq',
        '-s',
        '4096',
        '-e',
        'trace=execve',
        '-e',
        'signal=none',
        '-o',
        out,
        '/bin/sh',
        '-c',
        line,
      ],
      { cwd: sandbox.work, env: { PATH: sandbox.bin, HOME: join(sandbox.root, 'home') }, timeout: 20_000 },
      (error) => {
        if (error !== null && (error as { killed?: boolean }).killed === true) {
          reject(new Error(`strace of ${JSON.stringify(line)} did not end`));
          return;
        }
        let text: string;
        try {
          text = readFileSync(out, 'utf8');
        } catch (readError) {
          reject(readError as Error);
          return;
        }
        rmSync(out, { force: true });
        const paths = [...text.matchAll(/execve\("((?:[^"\\]|\\.)*)"/g)].map((m) =>
          resolve(sandbox.work, m[1] ?? ''),
        );
        resolvePaths(paths.slice(1)); // the first is /bin/sh itself
      },
    );
    child.stdin?.end();
  });
}

/** Where the policy expects each command it extracted to be found, with PATH = the sandbox's bin. */
function expectedPaths(sandbox: Sandbox, line: string): Set<string> | null {
  const parsed = extractCommands(line);
  if (!parsed.ok) return null;
  const paths = new Set<string>();
  for (const command of parsed.commands) {
    if (command.name === null) return null;
    paths.add(
      command.name.includes('/') ? resolve(sandbox.work, command.name) : join(sandbox.bin, command.name),
    );
  }
  return paths;
}

interface Case {
  line: string;
  policy: Policy;
}

const base = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * Under an allow list a program must be the very file the policy looked up (a changed PATH runs another
 * file of the same name); a deny list is about names, so there the names must agree.
 */
const unseenBy = (policy: Policy, expected: Set<string>, ran: string[]): string[] => {
  if (policy.allow.length > 0) return ran.filter((path) => !expected.has(path));
  const names = new Set([...expected].map(base));
  return ran.filter((path) => !names.has(base(path)));
};

async function check(sandbox: Sandbox, cases: Case[]): Promise<{ ran: number; failures: string[] }> {
  const admitted = cases.filter(({ line, policy }) => decide(line, policy).allowed);
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < admitted.length) {
      const index = next++;
      const { line, policy } = admitted[index] as Case;
      const expected = expectedPaths(sandbox, line);
      if (expected === null) {
        failures.push(`${JSON.stringify(line)}: admitted although the policy could not list its commands`);
        continue;
      }
      const ran = await traced(sandbox, line, index);
      const unseen = unseenBy(policy, expected, ran);
      if (unseen.length > 0)
        failures.push(
          `${JSON.stringify(line)} ran ${unseen.map((p) => p.replace(sandbox.root, '<sandbox>')).join(', ')}, which the policy did not see`,
        );
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { ran: admitted.length, failures };
}

const skip = needsSystemTool('strace', 'The differential test of the policy against /bin/sh');
/** Found on the test's own PATH: the traced shell gets only the sandbox's. */
const STRACE =
  skip === false ? execFileSync('sh', ['-c', 'command -v strace'], { encoding: 'utf8' }).trim() : '';

describe(`the policy agrees with /bin/sh (seed ${FUZZ_SEED}; replay with FUZZ_SEED)`, { skip }, () => {
  let sandbox: Sandbox;
  before(() => (sandbox = makeSandbox()));
  after(() => rmSync(sandbox.root, { recursive: true, force: true }));

  it('every program a generated line ran under an allow list was seen and admitted by the policy', async () => {
    const allow = loadPolicy({ BACKBURNER_ALLOW: '^(ok|fine)( |$)' }, '/nonexistent');
    const generate = generator(seededRandom(FUZZ_SEED), sandbox.evil, 0.8);
    const lines = Array.from({ length: GENERATED }, generate);
    const { ran, failures } = await check(
      sandbox,
      lines.map((line) => ({ line, policy: allow })),
    );
    assert.deepEqual(failures, []);
    assert.ok(ran >= GENERATED / 10, `enough admitted lines ran to mean something (${ran} of ${GENERATED})`);
    // Nothing the allow list admitted ran a program it does not allow: checked by the paths above, since
    // the sandbox's PATH holds evil and bad too.
  });

  it('under a deny list, no admitted line ran a denied program', async () => {
    const deny = loadPolicy({ BACKBURNER_DENY: '^(evil|bad)( |$)' }, '/nonexistent');
    const generate = generator(seededRandom(FUZZ_SEED + 1), sandbox.evil);
    const lines = Array.from({ length: GENERATED / 2 }, generate);
    const { failures } = await check(
      sandbox,
      lines.map((line) => ({ line, policy: deny })),
    );
    assert.deepEqual(failures, []);
  });

  it('the policy corpus and the hold-out agree with /bin/sh too', async () => {
    const strict = loadPolicy(
      { BACKBURNER_ALLOW: '^pytest( |$),^echo ,^make( |$),^ls( |$)' },
      '/nonexistent',
    );
    const echoLs = loadPolicy({ BACKBURNER_ALLOW: '^echo( |$),^ls( |$)' }, '/nonexistent');
    const cases = [
      ...[...BYPASSES, ...LEGITIMATE].map((line) => ({ line, policy: strict })),
      ...HOLD_OUT.map(([line]) => ({ line, policy: echoLs })),
    ];
    const { ran, failures } = await check(sandbox, cases);
    assert.deepEqual(failures, []);
    assert.ok(ran >= LEGITIMATE.length, 'the legitimate lines ran');
    assert.equal(dirname(sandbox.bin), sandbox.root);
  });
});
