/**
 * Output as a person would have seen it on a terminal: colours and cursor codes removed, and a line
 * that a progress bar redrew with carriage returns reduced to its last state.
 */

// CSI (ESC [ or the 8-bit U+009B, params, final), OSC (ESC ] ... BEL or ESC \), character-set
// designations (ESC ( B, as `tput sgr0` prints), and the remaining two-byte ESC sequences (ESC 7 and
// ESC 8 save and restore the cursor). Node's util.stripVTControlCharacters knows most of these too, but
// reads ESC 7 followed by digits as one longer sequence: "ESC 7 100%" would lose its "100".
const ANSI =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[()*+\-./][ -~]|\u001b[0-9=>@-Z\\-_]/g;

export function cleanLine(line: string): string {
  let text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const lastReturn = text.lastIndexOf('\r');
  if (lastReturn !== -1) text = text.slice(lastReturn + 1);
  return text;
}

export function cleanOutput(text: string): string {
  const stripped = text.includes('\u001b') || text.includes('\u009b') ? text.replace(ANSI, '') : text;
  if (!stripped.includes('\r')) return stripped;
  return stripped.split('\n').map(cleanLine).join('\n');
}
