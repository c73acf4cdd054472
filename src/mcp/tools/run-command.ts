import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import { answerWithTask, declaresTasksExtension, type TaskTiming } from '../tasks-extension.js';
import type { Backburner } from '../../client/backburner.js';
import { answerAfterWaiting } from '../render.js';
import {
  commandArguments,
  schedulingArguments,
  interactionArguments,
  RUNS_A_COMMAND,
  insightShape,
  outputWhenDone,
  taskRecordShape,
  waitSecondsArgument,
} from '../schemas.js';

/** How long a client without the tasks extension waits in one run_command call, by default. */
export const RUN_COMMAND_WAIT_SECONDS = 10;

export function registerRunCommand(server: McpServer, backburner: Backburner, timing: TaskTiming): void {
  server.registerTool(
    'run_command',
    {
      title: 'Run a command and get its result',
      description:
        'Run a shell command and answer with its exit code, summary and output. A command that ends within ' +
        `wait_seconds (default ${RUN_COMMAND_WAIT_SECONDS}) is answered in this call; a longer one keeps running ` +
        'as a background task, and the answer gives its task_id: then call wait_tasks to wait for it, ' +
        'task_result for its output, cancel_task to stop it. Clients that support the MCP tasks extension ' +
        'get a task handle instead and poll it with tasks/get.',
      inputSchema: z.object({
        ...commandArguments,
        ...schedulingArguments,
        ...interactionArguments,
        wait_seconds: waitSecondsArgument(RUN_COMMAND_WAIT_SECONDS),
      }),
      outputSchema: z.object({ ...taskRecordShape, ...insightShape, ...outputWhenDone }),
      annotations: RUNS_A_COMMAND,
    },
    async (args, ctx) => {
      const task = await backburner.start(args);
      if (declaresTasksExtension(ctx)) return answerWithTask(backburner, task.task_id, timing);
      return answerAfterWaiting(backburner, task.task_id, args.wait_seconds ?? RUN_COMMAND_WAIT_SECONDS);
    },
  );
}
