/** A one-line progress bar on standard error (only when it is a terminal). */
export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream, label: string, total: number): Progress {
  let lastDraw = 0;
  let drawn = false;
  const width = 30;
  return {
    update(done: number, t: number = total) {
      const now = Date.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      const frac = t > 0 ? Math.min(1, done / t) : 0;
      const filled = Math.round(frac * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
