/**
 * Runs the stack's Node processes (sandbox, API, worker) as children: prefixes their output with
 * `[name]`, notices when one dies, and stops them all on request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type LineFormatter, rawLines } from './log-format.js';

export interface ChildExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

type LineListener = (line: string) => void;

export class ManagedChild {
  private readonly lineListeners = new Set<LineListener>();
  readonly exited: Promise<ChildExit>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    write: (text: string) => void,
    format: LineFormatter = rawLines,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ name, code, signal }));
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        // Listeners see the raw line (SANDBOX_READY and tests match on it); people see the formatted one.
        write(
          format(line)
            .map((shown) => `[${name}] ${shown}\n`)
            .join(''),
        );
        for (const listener of this.lineListeners) listener(line);
      });
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first output line matching `pattern`; rejects when the child exits first or on timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.lineListeners.delete(listener);
      };
      const listener: LineListener = (line) => {
        const match = line.match(pattern);
        if (match) {
          cleanup();
          resolve(match);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`[${this.name}] printed no line matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.lineListeners.add(listener);
      void this.exited.then((exit) => {
        cleanup();
        reject(new Error(`[${this.name}] exited (${describeExit(exit)}) before printing ${pattern}`));
      });
    });
  }
}

export class Supervisor {
  private readonly children: ManagedChild[] = [];
  private stopping = false;
  private onUnexpectedExit: ((exit: ChildExit) => void) | undefined;

  constructor(
    private readonly cwd: string,
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
    private readonly format: LineFormatter = rawLines,
  ) {}

  /** Called once, for the first child that exits while the stack is not stopping. */
  onChildDied(handler: (exit: ChildExit) => void): void {
    this.onUnexpectedExit = handler;
  }

  /** Starts `node --import tsx <entry>` with exactly `env` (no inheritance beyond what the caller passes). */
  start(name: string, entry: string, env: NodeJS.ProcessEnv): ManagedChild {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: this.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const managed = new ManagedChild(name, child, this.write, this.format);
    child.once('error', (err) => this.write(`[${name}] could not start: ${err.message}\n`));
    void managed.exited.then((exit) => {
      if (this.stopping) return;
      const handler = this.onUnexpectedExit;
      this.onUnexpectedExit = undefined;
      handler?.(exit);
    });
    this.children.push(managed);
    return managed;
  }

  /** SIGTERM to every running child, SIGKILL to those still running after `graceMs`; resolves when all exited. */
  async stopAll(graceMs = 10_000): Promise<ChildExit[]> {
    this.stopping = true;
    const running = this.children.filter((c) => c.running);
    for (const managed of running) managed.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const managed of running) {
        if (managed.running) {
          this.write(`[${managed.name}] did not stop within ${graceMs} ms; killing it\n`);
          managed.child.kill('SIGKILL');
        }
      }
    }, graceMs);
    const exits = await Promise.all(this.children.map((c) => c.exited));
    clearTimeout(timer);
    return exits;
  }
}

export function describeExit(exit: ChildExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}
