/**
 * `npm run nightly -- <job> [--day YYYY-MM-DD]` (production image: `node dist/src/cli/nightly.js …`):
 * runs one nightly job now, in this process, for the given Jakarta night (default: yesterday in
 * Jakarta), and prints its summary as JSON. The same code the scheduled job runs; safe while workers
 * run and safe to repeat (the night's `nightly_runs` row is updated, not duplicated). The pulls it
 * queues are run by the workers. Jobs: pull-previous-day, read-back, refresh-tokens, rebuild-rollups.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfigOrExit } from '../config/env.js';
import { createDatabase } from '../db/client.js';
import { createLogger } from '../lib/logger.js';
import { createQueueRedis } from '../lib/redis.js';
import { createQueue } from '../queues/connection.js';
import { NIGHTLY_JOBS, QUEUE } from '../queues/definitions.js';
import { createChannelRuntime } from '../services/channel-runtime.js';
import { nightlyDepsOf, previousJakartaDay, runNightlyJob } from '../services/nightly.js';

const argsSchema = z.object({
  job: z.enum(NIGHTLY_JOBS),
  day: z.iso.date().optional(),
});

/** Parses `<job> [--day YYYY-MM-DD]`; throws a message naming what is wrong. */
export function parseNightlyArgs(argv: string[]): z.infer<typeof argsSchema> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { day: { type: 'string' } },
  });
  const parsed = argsSchema.safeParse({ job: positionals[0], day: values.day });
  if (!parsed.success || positionals.length !== 1) {
    throw new Error(`usage: npm run nightly -- <${NIGHTLY_JOBS.join('|')}> [--day YYYY-MM-DD]`);
  }
  return parsed.data;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  let args: z.infer<typeof argsSchema>;
  try {
    args = parseNightlyArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(64); // EX_USAGE
  }
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel, 'nightly');
  const handle = createDatabase(config.databaseUrl, { max: 3 });
  const redis = createQueueRedis(config.redisUrl);
  const pullQueue = createQueue(QUEUE.pullOrders, redis, config.queuePrefix);
  const runtime = createChannelRuntime({
    db: handle.db,
    redis,
    prefix: config.queuePrefix,
    channels: config.channels,
    imagePolicy: { maxBytes: 5_000_000, timeoutMs: config.channels.httpTimeoutMs, allowedPrivateOrigins: [] },
  });
  let exitCode = 0;
  try {
    const result = await runNightlyJob(
      nightlyDepsOf({ db: handle.db, pullQueue, runtime, config, log }),
      args.job,
      args.day ?? previousJakartaDay(new Date()),
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    process.stderr.write(`nightly ${args.job} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    exitCode = 1;
  } finally {
    await pullQueue.close();
    redis.disconnect();
    await handle.close();
  }
  process.exit(exitCode);
}
