/**
 * Output as a person would have seen it on a terminal: colours and cursor codes removed, and a line
 * that a progress bar redrew with carriage returns reduced to its last state.
 */

// CSI (ESC [ params final), OSC (ESC ] ... BEL or ESC \), and the remaining two-byte ESC sequences.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function cleanLine(line: string): string {
  let text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const lastReturn = text.lastIndexOf('\r');
  if (lastReturn !== -1) text = text.slice(lastReturn + 1);
  return text;
}

export function cleanOutput(text: string): string {
  const stripped = text.includes('\u001b') ? text.replace(ANSI, '') : text;
  if (!stripped.includes('\r')) return stripped;
  return stripped.split('\n').map(cleanLine).join('\n');
}
