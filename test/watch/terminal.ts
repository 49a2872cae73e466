/**
 * A private tmux server (its own -L socket) holding one 160×50 window: a real pseudo-terminal for
 * `flowsig watch`, read with capture-pane and driven with send-keys. Never touches another tmux server.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Terminal {
  screen(): string;
  keys(...keys: string[]): void;
  /** polls the screen (5 times a second) until it shows `text`; throws with the screen after `seconds` */
  waitFor(text: string, seconds: number): Promise<string>;
  /** ends the server and removes its socket */
  close(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `command` (a shell line) in a new window of a private server named `socket`. */
export function openTerminal(socket: string, command: string): Terminal {
  const tmux = (...args: string[]) => execFileSync('tmux', ['-f', '/dev/null', '-L', socket, ...args], { encoding: 'utf8' });
  tmux('new-session', '-d', '-s', 'w', '-x', '160', '-y', '50', command);
  const screen = () => tmux('capture-pane', '-p', '-t', 'w');
  return {
    screen,
    keys: (...keys) => void tmux('send-keys', '-t', 'w', ...keys),
    async waitFor(text, seconds) {
      for (let i = 0; i < seconds * 5; i++) {
        const s = screen();
        if (s.includes(text)) return s;
        await sleep(200);
      }
      throw new Error(`screen never showed "${text}":\n${screen()}`);
    },
    close() {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
    },
  };
}
