// Drives a command through a real pseudo-terminal with tmux, as a person at a keyboard would:
// start it in a detached session, read the screen with capture-pane, type with send-keys.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

export const haveTmux = tmuxAvailable();
export const NO_TMUX = 'tmux is not installed (apt-get install tmux; .ci/run installs it)';
const isCI = !!process.env.CI && process.env.CI !== '0' && process.env.CI.toLowerCase() !== 'false';

/**
 * For a terminal suite's beforeAll: whether tmux is there. On CI a missing tmux is a broken runner,
 * not a reason to skip, so it throws there; elsewhere the suite's tests skip themselves.
 */
export function terminalTestsCanRun(): boolean {
  if (haveTmux) return true;
  if (isCI) throw new Error(`${NO_TMUX}, and CI is set: the terminal tests cannot run`);
  return false;
}

export interface TmuxServerOptions {
  /** The server's whole environment: every session (and so every command) inherits it. */
  env: Record<string, string | undefined>;
  width?: number;
  height?: number;
}

/** One private tmux server (own socket, no user config); `kill()` ends it and all its sessions. */
export class TmuxServer {
  readonly socket = `noxus-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly env: Record<string, string>;
  private sessions = 0;

  constructor(private readonly opts: TmuxServerOptions) {
    this.env = {};
    for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) this.env[k] = v;
  }

  tmux(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'tmux',
        ['-L', this.socket, '-f', '/dev/null', ...args],
        { env: this.env, timeout: 10_000 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`tmux ${args.join(' ')} failed: ${stderr || err.message}`));
          else resolve(stdout);
        },
      );
    });
  }

  /**
   * Runs `argv` (no shell) in a new session. After the command ends, the pane prints
   * `[exit N]` and stays open so that the last screen can still be read.
   */
  async run(argv: string[], cwd: string): Promise<TmuxSession> {
    const name = `s${++this.sessions}`;
    const wrapper = '"$@"; printf "\\n[exit %s]\\n" "$?"; exec sleep 3600';
    await this.tmux([
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      String(this.opts.width ?? 200),
      '-y',
      String(this.opts.height ?? 50),
      '-c',
      cwd,
      '--',
      'sh',
      '-c',
      wrapper,
      'sh',
      ...argv,
    ]);
    // Keep the whole transcript: nothing may scroll out of reach.
    await this.tmux(['set-option', '-t', name, 'history-limit', '5000']);
    return new TmuxSession(this, name);
  }

  /** Ends the server and every session, and removes its socket file (tmux leaves it behind). */
  async kill(): Promise<void> {
    const socketPath = (await this.tmux(['display-message', '-p', '#{socket_path}']).catch(() => '')).trim();
    await this.tmux(['kill-server']).catch(() => {});
    if (socketPath) rmSync(socketPath, { force: true });
  }
}

export interface MenuChoice {
  label: string;
  active: boolean;
  checked?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TmuxSession {
  constructor(
    private readonly server: TmuxServer,
    readonly name: string,
  ) {}

  /** The visible screen plus the scrollback, trailing blanks removed. */
  async screen(): Promise<string> {
    const out = await this.server.tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', this.name]);
    return out
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .trimEnd();
  }

  /** Polls the screen until `test` matches; fails with the last screen after `timeoutMs`. */
  async waitFor(
    test: string | RegExp | ((screen: string) => boolean),
    what: string = String(test),
    timeoutMs = 20_000,
  ): Promise<string> {
    const ok =
      typeof test === 'function'
        ? test
        : typeof test === 'string'
          ? (s: string) => s.includes(test)
          : (s: string) => test.test(s);
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.screen();
      if (ok(last)) return last;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}; the screen:\n${last}`);
      }
      await sleep(100);
    }
  }

  /** Types text literally (no key names interpreted). */
  async type(text: string): Promise<void> {
    await this.server.tmux(['send-keys', '-t', this.name, '-l', text]);
  }

  /** Presses keys by tmux name: Enter, Up, Down, Space, ... */
  async press(...keys: string[]): Promise<void> {
    await this.server.tmux(['send-keys', '-t', this.name, ...keys]);
  }

  /**
   * The choices of the open select/checkbox prompt whose question is `message`, read from the
   * screen (inquirer draws `❯` before the active choice, `◉`/`◯` for checked/unchecked).
   */
  static menu(screen: string, message: string): MenuChoice[] {
    const lines = screen.split('\n');
    let start = -1;
    for (let i = lines.length - 1; i >= 0; i--) {
      if (lines[i]?.startsWith(`? ${message}`)) {
        start = i;
        break;
      }
    }
    if (start < 0) return [];
    const choices: MenuChoice[] = [];
    for (const line of lines.slice(start + 1)) {
      const box = /^([❯> ])([◯◉]) (.+)$/.exec(line);
      if (box) {
        choices.push({ label: box[3] as string, active: box[1] !== ' ', checked: box[2] === '◉' });
        continue;
      }
      const plain = /^([❯>]| ) (\S.*)$/.exec(line);
      if (plain) {
        choices.push({ label: plain[2] as string, active: plain[1] !== ' ' });
        continue;
      }
      // A description or the key help line: the list is over once choices were seen.
      if (choices.length) break;
    }
    return choices;
  }

  /** Moves the cursor of the open menu `message` to `label` with the arrow keys. */
  async moveTo(message: string, label: string): Promise<void> {
    for (let step = 0; step < 30; step++) {
      const screen = await this.waitFor(
        (s) => TmuxSession.menu(s, message).some((c) => c.active),
        `the menu "${message}"`,
      );
      const choices = TmuxSession.menu(screen, message);
      const target = choices.findIndex((c) => c.label === label);
      if (target < 0) {
        throw new Error(`"${label}" is not a choice of "${message}"; the screen:\n${screen}`);
      }
      const active = choices.findIndex((c) => c.active);
      if (active === target) return;
      await this.press(target > active ? 'Down' : 'Up');
      // Wait for the redraw before reading the cursor again.
      await this.waitFor(
        (s) => TmuxSession.menu(s, message).findIndex((c) => c.active) !== active,
        `the cursor to leave "${choices[active]?.label}" in "${message}"`,
      );
    }
    throw new Error(`could not move to "${label}" in "${message}"`);
  }

  /** Ticks `label` in the open checkbox `message` (moves there, presses space, waits for ◉). */
  async tick(message: string, label: string): Promise<void> {
    await this.moveTo(message, label);
    await this.press('Space');
    await this.waitFor(
      (s) => TmuxSession.menu(s, message).some((c) => c.label === label && c.checked),
      `"${label}" to be ticked in "${message}"`,
    );
  }
}
