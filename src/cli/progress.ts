/** A one-line progress bar on stderr, drawn only when stderr is a terminal (never into a pipe or a log). */
export interface Progress {
  advance(by: number): void;
  done(): void;
}

const WIDTH = 24;

export function createProgress(
  write: (text: string) => void,
  isTty: boolean,
  label: string,
  total: number,
): Progress {
  if (!isTty || total <= 1) return { advance: () => undefined, done: () => undefined };
  let current = 0;
  const draw = (): void => {
    const filled = Math.round((current / total) * WIDTH);
    write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${current}/${total}`);
  };
  draw();
  return {
    advance: (by) => {
      current = Math.min(total, current + by);
      draw();
    },
    done: () => {
      write('\r\x1b[2K');
    },
  };
}
