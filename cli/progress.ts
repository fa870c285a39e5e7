/**
 * A one-line progress display for long commands: redrawn in place on stderr when stderr is a
 * terminal, and nothing at all otherwise (a log file or CI output gets no carriage returns).
 */

/** A progress line; `clear` before writing other output to the same terminal, `done` at the end. */
export interface ProgressLine {
  update(text: string): void;
  clear(): void;
  done(): void;
}

/** A progress line on `stream` (stderr by default), silent when that is not a terminal. */
export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  if (!stream.isTTY) return { update() {}, clear() {}, done() {} };
  let shown = false;
  const clear = () => {
    if (shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  return {
    update(text: string) {
      // Cut to the terminal's width: a wrapped line could not be redrawn with \r.
      const width = Math.max(10, (stream.columns || 80) - 1);
      stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      shown = true;
    },
    clear,
    done: clear,
  };
}
