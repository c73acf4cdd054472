/** Stable codes, so that adapters and tests can tell errors apart without parsing messages. */
export type ErrorCode =
  | 'TASK_NOT_FOUND'
  | 'INVALID_ARGUMENT'
  | 'COMMAND_REFUSED'
  | 'DAEMON_UNAVAILABLE'
  | 'HOME_UNSAFE'
  | 'INTERNAL';

export class BackburnerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'BackburnerError';
    this.code = code;
  }
}

export const invalidArgument = (message: string): BackburnerError =>
  new BackburnerError('INVALID_ARGUMENT', message);

export const taskNotFound = (id: string): BackburnerError =>
  new BackburnerError('TASK_NOT_FOUND', `no task with id '${id}'`);

/** Quotes a user-supplied value for an error message, short enough to stay readable. */
export function quote(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
