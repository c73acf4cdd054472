import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { baseEnv, runCli, scratchDir } from './helpers/home.js';
import { CLI } from './helpers/paths.js';
import { clientCli } from './helpers/system-tools.js';
import { homedir } from 'node:os';
import { CLIENTS, clientConfig } from '../src/setup/clients.js';
import { clientNotes } from '../src/setup/client-notes.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const LIMIT = { timeout: 180_000 };

/** A person's machine in a folder: HOME, XDG and CODEX homes, and a backburner home, all fresh. */
function machine(): {
  home: string;
  env: Record<string, string>;
  cli: (args: string[]) => { stdout: string; stderr: string; code: number };
} {
  const home = scratchDir('setup');
  const env = {
    ...baseEnv(),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    BACKBURNER_HOME: join(home, 'bb'),
  };
  delete (env as Record<string, string | undefined>).CODEX_HOME;
  return { home, env, cli: (args: string[]) => runCli(args, env) };
}

const stopDaemon = (bbHome: string): void => {
  try {
    process.kill(Number(readFileSync(join(bbHome, 'daemon.pid'), 'utf8')), 'SIGTERM');
  } catch {
    // none ran
  }
};

describe('backburner setup: every client’s config, merged, with a backup', LIMIT, () => {
  const made: string[] = [];
  after(() => {
    for (const home of made) {
      stopDaemon(join(home, 'bb'));
      rmSync(home, { recursive: true, force: true });
    }
  });

  const json = [
    ['claude-code', '.claude.json', 'mcpServers', true],
    ['claude-desktop', '.config/Claude/claude_desktop_config.json', 'mcpServers', false],
    ['cursor', '.cursor/mcp.json', 'mcpServers', false],
    ['vscode', '.config/Code/User/mcp.json', 'servers', true],
    ['gemini', '.gemini/settings.json', 'mcpServers', false],
  ] as const;
  for (const [client, file, key, typed] of json) {
    it(`${client}: keeps other servers, settings and comments; writes the entry for this checkout`, () => {
      const { home, env, cli } = machine();
      made.push(home);
      const path = join(home, file);
      mkdirSync(join(path, '..'), { recursive: true });
      const original = `{\n  // a comment the user wrote\n  "theme": "dark",\n  "${key}": {\n    "other": { "command": "other-server" }\n  }\n}\n`;
      writeFileSync(path, original, { mode: 0o640 });
      const printed = cli([
        'setup',
        client,
        '--print',
        '--env',
        'FOO=bar',
        '--allow',
        '^npm test$',
        '--allow',
        '^make',
      ]);
      assert.equal(printed.code, 0, printed.stderr);
      assert.equal(readFileSync(path, 'utf8'), original, '--print writes nothing');
      const wrote = cli(['setup', client, '--env', 'FOO=bar', '--allow', '^npm test$', '--allow', '^make']);
      assert.equal(wrote.code, 0, wrote.stderr);
      assert.match(
        wrote.stdout,
        new RegExp(
          `wrote ${path.replace(/[.]/g, '\\.')} \\(the old one is ${path.replace(/[.]/g, '\\.')}\\.backburner-backup\\)`,
        ),
      );
      const text = readFileSync(path, 'utf8');
      assert.ok(text.includes('// a comment the user wrote'), 'the comment is kept');
      assert.ok(printed.stdout.includes(text.trim()), '--print showed what was then written');
      const config = JSON.parse(text.replace(/\/\/.*\n/, '')) as Record<string, Record<string, unknown>>;
      assert.equal(config.theme, 'dark');
      assert.deepEqual(config[key]?.other, { command: 'other-server' });
      assert.deepEqual(config[key]?.backburner, {
        ...(typed ? { type: 'stdio' } : {}),
        command: process.execPath,
        args: [CLI, 'serve'],
        env: { BACKBURNER_HOME: env.BACKBURNER_HOME, FOO: 'bar', BACKBURNER_ALLOW: '^npm test$,^make' },
      });
      assert.equal(readFileSync(`${path}.backburner-backup`, 'utf8'), original);
      assert.equal(statSync(path).mode & 0o777, 0o640, 'the file keeps its mode');
      // Again: the same file, not a second entry.
      assert.equal(
        cli(['setup', client, '--env', 'FOO=bar', '--allow', '^npm test$', '--allow', '^make']).code,
        0,
      );
      assert.equal(readFileSync(path, 'utf8'), text);
    });
  }

  it('codex: TOML merged line by line, approval only when asked, and its meaning said', () => {
    const { home, cli } = machine();
    made.push(home);
    const path = join(home, '.codex', 'config.toml');
    mkdirSync(join(home, '.codex'));
    const original =
      '# my codex settings\nmodel = "o4"\n\n[mcp_servers.other]\ncommand = "other-server"\n\n[mcp_servers.backburner]\ncommand = "stale"\n\n[mcp_servers.backburner.env]\nOLD = "1"\n\n[profiles.fast]\nmodel = "o4-mini"\n';
    writeFileSync(path, original);
    const plain = cli(['setup', 'codex']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /Codex asks approval .* `codex exec` refuses them/);
    let text = readFileSync(path, 'utf8');
    assert.ok(text.startsWith('# my codex settings\nmodel = "o4"\n'), text);
    const parsed = JSON.parse(JSON.stringify(parseToml(text))) as {
      mcp_servers: Record<string, Record<string, unknown>>;
      profiles: unknown;
    };
    assert.deepEqual(parsed.mcp_servers.other, { command: 'other-server' });
    assert.deepEqual(parsed.profiles, { fast: { model: 'o4-mini' } });
    assert.equal(parsed.mcp_servers.backburner?.command, process.execPath);
    assert.equal(parsed.mcp_servers.backburner?.default_tools_approval_mode, undefined);
    assert.deepEqual(Object.keys(parsed.mcp_servers.backburner?.env as object), ['BACKBURNER_HOME']);
    const approved = cli(['setup', 'codex', '--approve']);
    assert.match(approved.stdout, /OUTSIDE Codex's sandbox/);
    text = readFileSync(path, 'utf8');
    assert.equal(
      (parseToml(text) as { mcp_servers: Record<string, Record<string, unknown>> }).mcp_servers.backburner
        ?.default_tools_approval_mode,
      'approve',
    );
    const broken = join(home, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'config.toml'), 'this is = = not toml');
    const refused = runCli(['setup', 'codex'], { ...baseEnv(), HOME: home, CODEX_HOME: broken });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`${join(broken, 'config.toml')} is not valid TOML`));
    assert.equal(readFileSync(join(broken, 'config.toml'), 'utf8'), 'this is = = not toml');
  });

  it('refuses a config it cannot read, naming it, and changes nothing', () => {
    const { home, cli } = machine();
    made.push(home);
    const path = join(home, '.cursor', 'mcp.json');
    mkdirSync(join(home, '.cursor'));
    writeFileSync(path, '{ "mcpServers": { broken');
    const result = cli(['setup', 'cursor']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`${path.replace(/[.]/g, '\\.')} is not valid JSON`));
    assert.equal(readFileSync(path, 'utf8'), '{ "mcpServers": { broken');
    assert.deepEqual(readdirSync(join(home, '.cursor')), ['mcp.json']);
    const unknown = cli(['setup', 'notepad']);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /setup needs a client: one of claude-code, claude-desktop, cursor, vscode, codex, gemini; got 'notepad'/,
    );
  });
});

const claude = clientCli('claude', 'setup read back by the real Claude Code CLI');
const codex = clientCli('codex', 'setup read back by the real Codex CLI');

describe('the real client CLIs read back what setup wrote, and start it', LIMIT, () => {
  let home: string;
  let env: Record<string, string>;
  let cli: (args: string[]) => { stdout: string; stderr: string; code: number };
  before(() => ({ home, env, cli } = machine()));
  after(() => {
    stopDaemon(join(home, 'bb'));
    rmSync(home, { recursive: true, force: true });
  });

  it('claude mcp list: backburner connected', { skip: claude.skip }, () => {
    assert.equal(cli(['setup', 'claude-code']).code, 0);
    const listed = execFileSync(claude.path as string, ['mcp', 'list'], {
      env,
      cwd: home,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.match(listed, new RegExp(`backburner: ${process.execPath} ${CLI} serve - ✔ Connected`));
  });

  it('codex mcp list: backburner with this checkout’s command', { skip: codex.skip }, () => {
    assert.equal(cli(['setup', 'codex', '--approve']).code, 0);
    const listed = JSON.parse(
      execFileSync(codex.path as string, ['mcp', 'list', '--json'], {
        env,
        cwd: home,
        encoding: 'utf8',
        timeout: 120_000,
      }),
    ) as { name: string; enabled: boolean; transport: { command: string; args: string[] } }[];
    const entry = listed.find((server) => server.name === 'backburner');
    assert.deepEqual(
      [entry?.enabled, entry?.transport.command, entry?.transport.args],
      [true, process.execPath, [CLI, 'serve']],
    );
  });
});

describe('the README says, per client, what setup writes and says', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const client of CLIENTS) {
    it(`${client}: its setup command, its file, and every note setup prints`, () => {
      assert.ok(
        readme.includes(`\`backburner setup ${client}\``),
        `the README shows backburner setup ${client}`,
      );
      const file = clientConfig(client, {}).path.replace(homedir(), '~').split('/').pop() ?? '';
      assert.ok(readme.includes(file), `the README names ${file}`);
      for (const note of [...clientNotes(client, false), ...clientNotes(client, true)])
        assert.ok(readme.includes(note), `the README says, for ${client}: ${note}`);
    });
  }
});

describe('backburner doctor: finds and explains what is broken', LIMIT, () => {
  const made: string[] = [];
  after(() => {
    for (const home of made) {
      stopDaemon(join(home, 'bb'));
      rmSync(home, { recursive: true, force: true });
    }
  });
  interface Report {
    ok: boolean;
    checks: { name: string; status: string; detail: string; fix?: string }[];
  }
  const find = (report: Report, name: RegExp) => report.checks.find((check) => name.test(check.name));

  it('a healthy install: every check ok, a task run end to end, and the configured client starts', () => {
    const { home, cli } = machine();
    made.push(home);
    assert.equal(cli(['setup', 'cursor']).code, 0);
    const run = cli(['doctor', '--json']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as Report;
    assert.equal(report.ok, true);
    assert.match(String(find(report, /end to end/)?.detail), /ran `echo` and read its output in \d+ ms/);
    assert.equal(find(report, /^Cursor: backburner/)?.status, 'ok');
    assert.match(
      cli(['doctor']).stdout,
      /✔ native SQLite module \(better-sqlite3\): loads\n[\s\S]*no problem found/,
    );
  });

  it('a home that is not a folder, and a config whose path is wrong: each named, with its fix', () => {
    const { home, env, cli } = machine();
    made.push(home);
    writeFileSync(env.BACKBURNER_HOME as string, 'not a folder');
    assert.equal(cli(['setup', 'claude-code']).code, 0);
    const path = join(home, '.claude.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace(CLI, '/nowhere/backburner/dist/src/cli.js'));
    const run = cli(['doctor', '--json']);
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as Report;
    assert.deepEqual(find(report, /^home /), {
      name: `home ${env.BACKBURNER_HOME}`,
      status: 'fail',
      detail: 'is not a folder',
      fix: 'move it away, or set BACKBURNER_HOME to a folder',
    });
    assert.match(String(find(report, /end to end/)?.detail), /not tried: home .* failed first/);
    const client = find(report, /^Claude Code: backburner/);
    assert.deepEqual(
      [client?.status, client?.detail, client?.fix],
      [
        'fail',
        'the file /nowhere/backburner/dist/src/cli.js it starts does not exist',
        'run `backburner setup claude-code` (it keeps the rest of the file and makes a backup)',
      ],
    );
  });

  it('a missing native module (as when npm 11 blocked its build): named, with the rebuild', () => {
    const { home, env } = machine();
    made.push(home);
    // This package, with a better-sqlite3 whose compiled part is missing.
    const copy = join(home, 'package');
    cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
    mkdirSync(join(copy, 'node_modules'));
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name === 'better-sqlite3' || name.startsWith('.')) continue;
      symlinkSync(join(ROOT, 'node_modules', name), join(copy, 'node_modules', name));
    }
    const sqlite = join(copy, 'node_modules', 'better-sqlite3');
    cpSync(join(ROOT, 'node_modules', 'better-sqlite3'), sqlite, {
      recursive: true,
      filter: (source) => !source.includes(`${join('better-sqlite3', 'build')}`),
    });
    chmodSync(copy, 0o755);
    const doctor = spawnSync(process.execPath, [join(copy, 'dist/src/cli.js'), 'doctor', '--json'], {
      env,
      encoding: 'utf8',
    });
    const { stdout: out, status: code } = doctor;
    assert.equal(code, 1);
    const check = find(JSON.parse(out) as Report, /native SQLite/);
    assert.equal(check?.status, 'fail');
    assert.match(String(check?.detail), /does not load: Could not locate the bindings file/);
    assert.match(String(check?.fix), /npm 11 blocks install scripts.*npm rebuild better-sqlite3/);
  });
});
