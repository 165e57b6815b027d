/**
 * Settings of the one-command dev stack (`npm start`). The services it starts read their own
 * configuration through src/config/env.ts; this only decides what to start and where, so it reads the
 * few variables that matter for that, plus DEV_* knobs used by tests.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

const devEnvSchema = z.object({
  /** When set, used as is (no probe, no embedded fallback, no database creation). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  /** Where embedded Postgres keeps its data (persistent) and the sandbox its state. */
  DEV_DATA_DIR: z.string().min(1).default('.data'),
  /** Database created and used on the local or embedded Postgres. */
  DEV_DATABASE_NAME: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ only')
    .default('kriya'),
  /** Port probed for a local Postgres before falling back to the embedded one. */
  DEV_POSTGRES_PROBE_PORT: port.default(5432),
  /** Port probed for a local Redis before falling back to a spawned redis-server. */
  DEV_REDIS_PROBE_PORT: port.default(6379),
  /** Bound on the whole start-up, from the first child spawned to /health/ready answering 200. */
  DEV_READY_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Region CSV imported on every start (idempotent). */
  DEV_REGIONS_CSV: z.string().min(1).default('data/regions/tangsel.csv'),
  /** How the children's log lines are shown: readable (pino-pretty) or as the raw JSON they write. */
  DEV_LOG_FORMAT: z.enum(['pretty', 'json']).default('pretty'),
  /** Seconds between two demo orders in each demo shop (the sandbox's trickle); 0 turns it off. */
  DEV_TRICKLE_SECONDS: z.coerce.number().min(0).max(86_400).default(60),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** API port; unset means 3000, or a free port when 3000 is taken. */
  PORT: port.optional(),
  /** Sandbox port; unset means 4010, or a free port when 4010 is taken. */
  SANDBOX_PORT: port.optional(),
  /** Port of the API's metrics listener; unset means 9464, or a free port when 9464 is taken. */
  METRICS_PORT: port.optional(),
  QUEUE_PREFIX: z.string().min(1).default('kriya'),
  LOG_LEVEL: z.string().min(1).default('info'),
  AUTH_TOKEN_SECRET: z.string().min(32).optional(),
});

export interface DevOptions {
  repoRoot: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  dataDir: string;
  databaseName: string;
  postgresProbePort: number;
  redisProbePort: number;
  readyTimeoutMs: number;
  regionsCsv: string;
  logFormat: 'pretty' | 'json';
  trickleSeconds: number;
  host: string;
  apiPort: number | undefined;
  sandboxPort: number | undefined;
  metricsPort: number | undefined;
  queuePrefix: string;
  logLevel: string;
  authTokenSecret: string | undefined;
}

export function loadDevOptions(repoRoot: string, env: NodeJS.ProcessEnv = process.env): DevOptions {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = devEnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration for npm start:\n${problems}\nSee .env.example.`);
  }
  const e = parsed.data;
  const fromRoot = (p: string) => (isAbsolute(p) ? p : resolve(repoRoot, p));
  return {
    repoRoot,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    dataDir: fromRoot(e.DEV_DATA_DIR),
    databaseName: e.DEV_DATABASE_NAME,
    postgresProbePort: e.DEV_POSTGRES_PROBE_PORT,
    redisProbePort: e.DEV_REDIS_PROBE_PORT,
    readyTimeoutMs: e.DEV_READY_TIMEOUT_MS,
    regionsCsv: fromRoot(e.DEV_REGIONS_CSV),
    logFormat: e.DEV_LOG_FORMAT,
    trickleSeconds: e.DEV_TRICKLE_SECONDS,
    host: e.HOST,
    apiPort: e.PORT,
    sandboxPort: e.SANDBOX_PORT,
    metricsPort: e.METRICS_PORT,
    queuePrefix: e.QUEUE_PREFIX,
    logLevel: e.LOG_LEVEL,
    authTokenSecret: e.AUTH_TOKEN_SECRET,
  };
}
