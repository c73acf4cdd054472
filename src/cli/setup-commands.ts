import { createInterface } from 'node:readline/promises';
import { CLIENTS, isClient } from '../setup/clients.js';
import { serverEntry } from '../setup/server-entry.js';
import { setupClient } from '../setup/setup.js';
import { paint } from './format.js';

export interface SetupOptions {
  print: boolean;
  json: boolean;
  env: Record<string, string>;
  allow: string[];
  approve: boolean;
}

const print = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

/** For Codex without --approve, on a terminal: ask, saying what approval means for Codex's sandbox. */
async function askApproval(): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(
      "Codex asks approval for tools that change things, and `codex exec` refuses them. Let backburner's tools run without asking?\n" +
        "Tasks then run outside Codex's sandbox, guarded by backburner's policy instead. [y/N] ",
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

/** `backburner setup CLIENT`: writes (or with --print shows) the client's config for this installation. */
export async function setupCommand(client: string | undefined, options: SetupOptions): Promise<void> {
  if (client === undefined || !isClient(client))
    throw new Error(
      `setup needs a client: one of ${CLIENTS.join(', ')}${client === undefined ? '' : `; got '${client}'`}`,
    );
  let approve = options.approve;
  if (client === 'codex' && !approve && !options.print && process.stdin.isTTY) approve = await askApproval();
  const result = setupClient({
    client,
    entry: serverEntry({ env: options.env, allow: options.allow }),
    print: options.print,
    approve,
  });
  if (options.json) {
    print(JSON.stringify(result, null, 2));
    return;
  }
  if (options.print) {
    print(paint('gray', `# ${result.path} would become:`));
    print(result.config);
  } else {
    print(
      `${paint('green', 'wrote')} ${result.path}${result.backup === undefined ? '' : ` (the old one is ${result.backup})`}`,
    );
  }
  for (const note of result.notes) print(`- ${note}`);
}
