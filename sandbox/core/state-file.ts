import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OffsetClock } from './clock.js';
import type { PlatformModule } from './contract.js';

interface SandboxSnapshot {
  version: 1;
  savedAt: string;
  clockOffsetMs: number;
  platforms: Record<string, unknown>;
}

export interface StateFile {
  load(): Promise<boolean>;
  /** Debounced save after a change. */
  changed(): void;
  /** Writes now if anything changed since the last write. */
  flush(): Promise<void>;
}

/**
 * Optional persistence of all platform state (not call logs or deliveries) in one JSON file, so a demo
 * survives a restart. Writes go to a temporary file first so a crash never leaves half a file.
 */
export function createStateFile(
  path: string,
  clock: OffsetClock,
  platforms: PlatformModule[],
  debounceMs = 250,
): StateFile {
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let writing: Promise<void> = Promise.resolve();

  const write = async (): Promise<void> => {
    dirty = false;
    const snapshot: SandboxSnapshot = {
      version: 1,
      savedAt: new Date(clock.nowMs()).toISOString(),
      clockOffsetMs: clock.offsetMs(),
      platforms: Object.fromEntries(platforms.map((p) => [p.name, p.control.snapshot()])),
    };
    const temporary = `${path}.tmp`;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, JSON.stringify(snapshot));
    await rename(temporary, path);
  };
  const flush = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    await writing;
    if (dirty) {
      writing = write();
      await writing;
    }
  };

  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
      const snapshot = JSON.parse(text) as Partial<SandboxSnapshot>;
      if (snapshot.version !== 1) throw new Error(`${path}: unsupported sandbox state version`);
      clock.restoreOffset(snapshot.clockOffsetMs ?? 0);
      for (const platform of platforms) {
        const state = snapshot.platforms?.[platform.name];
        if (state !== undefined) platform.control.restore(state);
      }
      return true;
    },
    changed() {
      dirty = true;
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        writing = writing.then(write).catch((err: unknown) => {
          process.stderr.write(`sandbox: could not save state: ${String(err)}\n`);
        });
      }, debounceMs);
      timer.unref();
    },
    flush,
  };
}
