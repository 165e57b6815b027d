/**
 * `npm start` shows its children's pino lines readably (pino-pretty) instead of raw JSON. Only the
 * dev stack's terminal output changes: the processes themselves still write JSON, as in production,
 * and lines that are not pino records (SANDBOX_READY, stack traces) pass through untouched.
 */
import { prettyFactory } from 'pino-pretty';

export type LogFormat = 'pretty' | 'json';

/** Turns one output line of a child into the lines to print (without the `[name]` prefix). */
export type LineFormatter = (line: string) => string[];

export const rawLines: LineFormatter = (line) => [line];

export function prettyLines({ colorize }: { colorize: boolean }): LineFormatter {
  const pretty = prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: false,
  });
  return (line) => {
    if (!isPinoRecord(line)) return [line];
    return pretty(line).replace(/\n$/, '').split('\n');
  };
}

export function lineFormatter(format: LogFormat, colorize: boolean): LineFormatter {
  return format === 'pretty' ? prettyLines({ colorize }) : rawLines;
}

function isPinoRecord(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && 'level' in parsed && 'time' in parsed;
  } catch {
    return false;
  }
}
