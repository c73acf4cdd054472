import { useEffect, useRef, useState } from 'preact/hooks';
import { cleanLine } from '../shared/format.js';
import { api, ApiError } from './api.js';

/** The most lines the page holds at once: a 1 GiB log is paged through, never sent whole. */
const MAX_LINES = 5000;
const PAGE_LINES = 500;

interface Block {
  /** Where the block's output starts in the log (a cursor), for paging back from it. */
  start: string;
  lines: string[];
}

const splitLines = (text: string): string[] => (text === '' ? [] : text.split('\n'));

/**
 * A task's output: the last lines, then followed live through the task's event stream; earlier pages
 * loaded on demand (the tools' tail before a cursor). Whole blocks fall off the top past MAX_LINES.
 */
export function FollowedOutput({ taskId, running }: { taskId: string; running: boolean }) {
  const [blocks, setBlocks] = useState<Block[]>([]);
  const [partial, setPartial] = useState('');
  const [follow, setFollow] = useState(true);
  const [note, setNote] = useState('');
  const [generation, setGeneration] = useState(0);
  const view = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let closed = false;
    let source: EventSource | undefined;
    setBlocks([]);
    setPartial('');
    setNote('');
    api
      .output(taskId, { tail: PAGE_LINES, before: 'end', max_bytes: 1024 * 1024 })
      .then((page) => {
        if (closed) return;
        setBlocks([{ start: page.start_cursor ?? '0', lines: splitLines(page.output) }]);
        if (page.dropped_bytes !== undefined)
          setNote(`the log cap dropped ${page.dropped_bytes} bytes from the middle`);
        source = api.taskEvents(taskId, page.next_cursor);
        let carry = '';
        source.addEventListener('output', (event) => {
          const { text, next_cursor: _next } = JSON.parse((event as MessageEvent<string>).data) as {
            text: string;
            next_cursor: string;
          };
          const pieces = (carry + text).split('\n');
          carry = pieces.pop() ?? '';
          const complete = pieces;
          setPartial(carry);
          if (complete.length === 0) return;
          setBlocks((current) => {
            // The first streamed text continues the tail's last line when that had no newline yet.
            const next = [...current, { start: _next, lines: complete }];
            let total = next.reduce((sum, block) => sum + block.lines.length, 0);
            while (total > MAX_LINES && next.length > 1) total -= next.shift()?.lines.length ?? 0;
            return next;
          });
        });
      })
      .catch((error: unknown) => setNote(error instanceof ApiError ? error.message : String(error)));
    return () => {
      closed = true;
      source?.close();
    };
  }, [taskId, generation]);

  useEffect(() => {
    const element = view.current;
    if (follow && element !== null) element.scrollTop = element.scrollHeight;
  }, [blocks, partial, follow]);

  const loadEarlier = async (): Promise<void> => {
    const top = blocks[0];
    if (top === undefined || top.start === '0') return;
    const page = await api.output(taskId, { tail: PAGE_LINES, before: top.start, max_bytes: 1024 * 1024 });
    setFollow(false);
    setBlocks((current) => {
      const next = [{ start: page.start_cursor ?? '0', lines: splitLines(page.output) }, ...current];
      let total = next.reduce((sum, block) => sum + block.lines.length, 0);
      while (total > MAX_LINES && next.length > 1) total -= next.pop()?.lines.length ?? 0;
      return next;
    });
  };

  const lines = blocks.flatMap((block) => block.lines);
  const atStart = blocks[0]?.start === '0';
  return (
    <div class="output">
      <div class="output-tools">
        <button type="button" disabled={atStart} onClick={() => void loadEarlier()}>
          {atStart ? 'start of output' : `earlier ${PAGE_LINES} lines`}
        </button>
        <label>
          <input
            type="checkbox"
            checked={follow}
            onChange={(event) => setFollow(event.currentTarget.checked)}
          />{' '}
          follow the end{running ? ' (live)' : ''}
        </label>
        {!follow && (
          <button
            type="button"
            onClick={() => {
              setFollow(true);
              setGeneration((value) => value + 1);
            }}
          >
            jump to the end
          </button>
        )}
        {note !== '' && <span class="note">{note}</span>}
      </div>
      <pre
        class="log"
        ref={view}
        data-testid="output"
        onScroll={(event) => {
          const element = event.currentTarget;
          const atEnd = element.scrollHeight - element.scrollTop - element.clientHeight < 4;
          if (atEnd !== follow && blocks.length > 0) setFollow(atEnd);
        }}
      >
        {lines.map((line) => cleanLine(line)).join('\n')}
        {partial !== '' && `${lines.length > 0 ? '\n' : ''}${cleanLine(partial)}`}
      </pre>
    </div>
  );
}

/** Grep over the whole log on the server (the tools' grep), matches highlighted. */
export function GrepOutput({ taskId }: { taskId: string }) {
  const [pattern, setPattern] = useState('');
  const [result, setResult] = useState<{ lines: string[]; count: number; regex: RegExp } | undefined>();
  const [error, setError] = useState('');

  const search = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError('');
    try {
      const regex = new RegExp(pattern, 'g');
      const page = await api.output(taskId, { grep: pattern, max_matches: 500, max_bytes: 1024 * 1024 });
      setResult({ lines: splitLines(page.output), count: page.match_count ?? 0, regex });
    } catch (caught) {
      setResult(undefined);
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };

  return (
    <div class="grep">
      <form onSubmit={(event) => void search(event)}>
        <input
          name="grep"
          placeholder="regular expression, e.g. error|warning"
          value={pattern}
          onInput={(event) => setPattern(event.currentTarget.value)}
        />
        <button type="submit" disabled={pattern === ''}>
          grep
        </button>
      </form>
      {error !== '' && <p class="error">{error}</p>}
      {result !== undefined && (
        <>
          <p class="muted" data-testid="match-count">
            {result.count} matching line{result.count === 1 ? '' : 's'}
            {result.count > result.lines.length ? ` (showing ${result.lines.length})` : ''}
          </p>
          <pre class="log matches">
            {result.lines.map((entry) => (
              <MatchLine entry={entry} regex={result.regex} />
            ))}
          </pre>
        </>
      )}
    </div>
  );
}

function MatchLine({ entry, regex }: { entry: string; regex: RegExp }) {
  const parsed = /^(\d+)([:-])(.*)$/.exec(entry);
  if (parsed === null) return <div class="separator">{entry}</div>;
  const [, number, kind, text = ''] = parsed;
  const parts: preact.ComponentChildren[] = [];
  let last = 0;
  if (kind === ':') {
    regex.lastIndex = 0;
    for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
      if (match[0] === '') {
        regex.lastIndex++;
        continue;
      }
      parts.push(text.slice(last, match.index), <mark>{match[0]}</mark>);
      last = match.index + match[0].length;
    }
  }
  parts.push(text.slice(last));
  return (
    <div class={kind === ':' ? 'match' : 'context'}>
      <span class="line-number">{number}</span>
      {parts}
    </div>
  );
}
