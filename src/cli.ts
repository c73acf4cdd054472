#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Backburner } from './client/backburner.js';
import {
  cancelCommand,
  listCommand,
  logsCommand,
  statusCommand,
  waitCommand,
  policyCheckCommand,
  type CommandOptions,
  workersCommand,
} from './cli/commands.js';
import { addCommand, parseEnvPairs, queueCommand, restartCommand } from './cli/schedule-commands.js';
import { attachCommand, sendCommand, waitUntilCommand } from './cli/interaction-commands.js';
import { setupCommand } from './cli/setup-commands.js';
import { doctorCommand } from './cli/doctor-command.js';
import { topCommand } from './cli/top.js';
import { CLIENTS, isClient } from './setup/clients.js';
import { readSettings } from './shared/config.js';
import { runDaemon } from './daemon/daemon.js';
import { BackburnerError } from './shared/errors.js';
import { serveMcpOverHttp, serveMcpStdio } from './mcp/server.js';
import { DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT } from './mcp/http/server.js';
import { loadOrCreateToken } from './http/token.js';
import { VERSION } from './version.js';
import { dashboardHandler } from './dashboard/dashboard.js';
import { dashboardCommand } from './cli/dashboard-command.js';
import { workerCommand } from './cli/worker-command.js';

const USAGE = `backburner ${VERSION}: durable background tasks for AI agents, over MCP

Usage:
  backburner serve               run the MCP server on stdio (the default when stdin is not a terminal)
  backburner serve --http [--host H] [--port P]
                                 serve MCP over Streamable HTTP at http://H:P/mcp (default
                                 ${DEFAULT_HTTP_HOST}:${DEFAULT_HTTP_PORT}); every request needs the bearer token
  backburner dashboard [--host H] [--port P] [--print]
                                 open the web dashboard of a running serve --http in your browser
                                 through a one-time login link (--print: only print the link)
  backburner worker --redis URL [--name N] [--queue Q]... [--concurrency N] [--tag T]... [--lost-after S]
                                 run tasks sent to these queues from any host, here, until stopped
  backburner workers             the workers alive now: host, queues, tags, tasks running of how many
  backburner token               print the HTTP bearer token (created on first use, kept in the home)
  backburner daemon              run the daemon in the foreground (normally started on demand)
  backburner ls [--limit N] [--status S] [--label L] [--queue Q] [--cursor C]
                                 list tasks, newest first (--cursor: the page after the one that printed C)
  backburner status ID           show one task (a unique prefix of 4+ characters works as ID)
  backburner logs ID [-n N] [-f] print a task's output (the last N lines; -f follows it until it ends)
  backburner cancel ID           cancel a task and its whole process tree
  backburner add [--queue Q] [--after ID]... [--retries N] [--retry-delay S] [--retry-interrupted]
                 [--not-before T] [--label L] [--cwd D] [--timeout S] [--env NAME=VALUE]...
                 [--stdin pipe] [--tty [--cols C] [--rows R]] [--ready REGEX] -- CMD...
                                 start a task (T: an ISO time or seconds from now); one CMD word is a
                                 whole command line, several are quoted for the shell one by one;
                                 --stdin pipe: input through send; --tty: on a terminal; --ready: the
                                 line that says it is ready
  backburner send ID [TEXT] [--end] [--secret]
                                 type TEXT (or what is piped in) into a task's input; --end closes it
  backburner attach ID           follow a task's output and type into it; Ctrl-] detaches
  backburner wait ID --until REGEX [--timeout S]
                                 until a line of its output (from the start) matches (exit 0), it
                                 ends (1), or time runs out (124)
  backburner restart ID [--env NAME=VALUE]...
                                 start a new task like ID (its env values must be given again)
  backburner queue [ls]          the queues: limit, running and waiting counts
  backburner queue set Q --max-parallel N | pause Q | resume Q
  backburner policy check "CMD"  say whether CMD would be allowed to run, and which rule decided
  backburner setup CLIENT [--print] [--env NAME=VALUE]... [--allow REGEX]... [--approve]
                                 add backburner to a client's config (claude-code, claude-desktop,
                                 cursor, vscode, codex, gemini), keeping the rest, with a backup;
                                 --approve (Codex) lets its tools run without asking
  backburner doctor [--json]     check this installation and explain each problem with its fix
  backburner top                 a live full-screen view: tasks, progress, the selected task's output;
                                 ↑/↓ select, c cancel, f follow, q quit
  backburner wait ID... [--all] [--timeout S]
                                 wait until any (or, with --all, every) task has ended; exit code 0
                                 when they all completed, 1 when one did not, 124 on timeout

Options:
  --json       machine-readable output
  -h, --help   this help
  --version    the version

Environment: BACKBURNER_HOME (default ~/.backburner), BACKBURNER_ALLOW, BACKBURNER_DENY, BACKBURNER_POLICY,
BACKBURNER_KILL_GRACE_SECONDS, BACKBURNER_DAEMON_IDLE_SECONDS, BACKBURNER_MAX_LOG_BYTES,
BACKBURNER_MAX_HOME_BYTES, BACKBURNER_RETENTION_DAYS, BACKBURNER_MAX_MEMORY_MB, BACKBURNER_MAX_CPU_SECONDS,
BACKBURNER_TOKEN, BACKBURNER_ALLOWED_HOSTS, BACKBURNER_ALLOWED_ORIGINS. See the README.`;

class UsageError extends Error {}

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${name} must be a positive integer, got '${text}'`);
  return value;
}

function nonNegativeInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text)) throw new UsageError(`${name} must be a whole number, got '${text}'`);
  return value;
}

function nonNegativeNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new UsageError(`${name} must be a number of seconds, got '${text}'`);
  return value;
}

function envPairs(pairs: string[] | undefined): Record<string, string> {
  try {
    return parseEnvPairs(pairs ?? []);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function portNumber(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535)
    throw new UsageError(`--port must be a port number (0 to 65535), got '${text}'`);
  return value;
}

async function main(argv: string[]): Promise<number> {
  // A worker has options of its own (several --queue and --tag): it parses them itself.
  if (argv[0] === 'worker') return workerCommand(argv.slice(1));
  // `add` takes a command after `--`: what follows it is the command's, never backburner's options.
  const dashes = argv[0] === 'add' ? argv.indexOf('--') : -1;
  const commandWords = dashes === -1 ? undefined : argv.slice(dashes + 1);
  const { values, positionals } = parseArgs({
    args: dashes === -1 ? argv : argv.slice(0, dashes),
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      lines: { type: 'string', short: 'n' },
      follow: { type: 'boolean', short: 'f', default: false },
      limit: { type: 'string' },
      status: { type: 'string' },
      label: { type: 'string' },
      cursor: { type: 'string' },
      all: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      queue: { type: 'string' },
      after: { type: 'string', multiple: true },
      retries: { type: 'string' },
      'retry-delay': { type: 'string' },
      'retry-interrupted': { type: 'boolean', default: false },
      'not-before': { type: 'string' },
      cwd: { type: 'string' },
      env: { type: 'string', multiple: true },
      'max-parallel': { type: 'string' },
      stdin: { type: 'string' },
      tty: { type: 'boolean', default: false },
      cols: { type: 'string' },
      rows: { type: 'string' },
      ready: { type: 'string' },
      end: { type: 'boolean', default: false },
      secret: { type: 'boolean', default: false },
      until: { type: 'string' },
      print: { type: 'boolean', default: false },
      allow: { type: 'string', multiple: true },
      approve: { type: 'boolean', default: false },
      http: { type: 'boolean', default: false },
      host: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.version) {
    console.log(VERSION);
    return 0;
  }
  const [verb, id, ...rest] = positionals;
  if (values.help || verb === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (verb === undefined && process.stdin.isTTY) {
    console.log(USAGE);
    return 0;
  }
  if (verb === 'daemon') {
    await runDaemon();
    return -1; // keeps running
  }
  if (verb === 'serve' && values.http) {
    const port = values.port === undefined ? DEFAULT_HTTP_PORT : portNumber(values.port);
    const backburner = new Backburner(readSettings().home, process.env, process.cwd(), {
      keepDaemonAlive: true,
    });
    await serveMcpOverHttp(backburner, {
      host: values.host ?? DEFAULT_HTTP_HOST,
      port,
      web: ({ activity, token }) => dashboardHandler({ backburner, activity, token }),
    });
    return -1;
  }
  if (verb === 'dashboard') {
    return dashboardCommand({
      home: new Backburner(readSettings().home).paths.root,
      host: values.host ?? DEFAULT_HTTP_HOST,
      port: values.port === undefined ? DEFAULT_HTTP_PORT : portNumber(values.port),
      print: values.print,
    });
  }
  if (values.host !== undefined || values.port !== undefined)
    throw new UsageError('--host and --port go with serve --http and dashboard');
  if (verb === 'doctor') return doctorCommand(values.json);
  if (verb === 'token') {
    console.log(loadOrCreateToken(new Backburner(readSettings().home).paths.root));
    return 0;
  }
  if (verb === undefined || verb === 'serve') {
    serveMcpStdio(new Backburner(readSettings().home, process.env, process.cwd(), { keepDaemonAlive: true }));
    return -1;
  }
  const backburner = new Backburner(readSettings().home);
  const options: CommandOptions = {
    json: values.json,
    follow: values.follow,
    lines: positiveInteger('-n', values.lines),
    limit: positiveInteger('--limit', values.limit),
    status: values.status,
    label: values.label,
    cursor: values.cursor,
    queue: values.queue,
  };
  try {
    if (verb === 'workers') {
      await workersCommand(backburner, options);
      return 0;
    }
    if (verb === 'ls' || verb === 'list') {
      await listCommand(backburner, options);
      return 0;
    }
    if (verb === 'policy') {
      if (id !== 'check' || rest.length === 0)
        throw new UsageError('usage: backburner policy check "<command>"');
      return policyCheckCommand(backburner, rest.join(' '), options);
    }
    if (verb === 'add') {
      const words = commandWords ?? positionals.slice(1);
      if (words.length === 0) throw new UsageError('usage: backburner add [options] -- CMD...');
      await addCommand(backburner, words, {
        json: values.json,
        queue: values.queue,
        after: values.after ?? [],
        retries: nonNegativeInteger('--retries', values.retries),
        retryDelaySeconds: nonNegativeNumber('--retry-delay', values['retry-delay']),
        retryInterrupted: values['retry-interrupted'],
        notBefore: values['not-before'],
        label: values.label,
        cwd: values.cwd,
        timeoutSeconds: nonNegativeNumber('--timeout', values.timeout),
        env: envPairs(values.env),
        stdin: values.stdin,
        tty: values.tty,
        cols: positiveInteger('--cols', values.cols),
        rows: positiveInteger('--rows', values.rows),
        ready: values.ready,
      });
      return 0;
    }
    if (verb === 'setup') {
      if (id === undefined || !isClient(id))
        throw new UsageError(
          `setup needs a client: one of ${CLIENTS.join(', ')}${id === undefined ? '' : `; got '${id}'`}`,
        );
      if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
      await setupCommand(id, {
        print: values.print,
        json: values.json,
        env: envPairs(values.env),
        allow: values.allow ?? [],
        approve: values.approve,
      });
      return 0;
    }
    if (verb === 'top') return await topCommand(backburner);
    if (verb === 'send') {
      if (id === undefined || rest.length > 1)
        throw new UsageError('usage: backburner send ID [TEXT] [--end] [--secret]');
      await sendCommand(backburner, id, rest[0], {
        end: values.end,
        secret: values.secret,
        json: values.json,
      });
      return 0;
    }
    if (verb === 'attach') {
      if (id === undefined || rest.length > 0) throw new UsageError('usage: backburner attach ID');
      return await attachCommand(backburner, id);
    }
    if (verb === 'restart') {
      if (id === undefined || rest.length > 0)
        throw new UsageError('usage: backburner restart ID [--env NAME=VALUE]...');
      await restartCommand(backburner, id, envPairs(values.env), values.json);
      return 0;
    }
    if (verb === 'queue') {
      const [name, ...extra] = rest;
      if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
      await queueCommand(
        backburner,
        id,
        name,
        positiveInteger('--max-parallel', values['max-parallel']),
        values.json,
      );
      return 0;
    }
    if (verb === 'wait' && values.until !== undefined) {
      if (id === undefined || rest.length > 0)
        throw new UsageError('usage: backburner wait ID --until REGEX [--timeout S]');
      return await waitUntilCommand(
        backburner,
        id,
        values.until,
        positiveInteger('--timeout', values.timeout),
        values.json,
      );
    }
    if (verb === 'wait') {
      if (id === undefined) throw new UsageError('wait needs one or more task ids');
      return await waitCommand(
        backburner,
        [id, ...rest],
        values.all,
        positiveInteger('--timeout', values.timeout),
        options,
      );
    }
    if (verb !== 'status' && verb !== 'logs' && verb !== 'cancel')
      throw new UsageError(`unknown command '${verb}'`);
    if (id === undefined) throw new UsageError(`${verb} needs a task id`);
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    if (verb === 'status') await statusCommand(backburner, id, options);
    else if (verb === 'logs') await logsCommand(backburner, id, options);
    else await cancelCommand(backburner, id, options);
    return 0;
  } finally {
    backburner.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`backburner: ${message}\n`);
    if (usage) process.stderr.write("run 'backburner --help' for usage\n");
    process.exitCode = usage
      ? 2
      : error instanceof BackburnerError && error.code === 'TASK_NOT_FOUND'
        ? 3
        : 1;
  },
);
