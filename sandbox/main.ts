/**
 * Sandbox entry: `npm run sandbox`. Env: SANDBOX_HOST (127.0.0.1), SANDBOX_PORT (4010; 0 = any free
 * port), SANDBOX_SEED, SANDBOX_STATE_FILE, SANDBOX_PLATFORM_PORTS (`shopee=4011,tiktok-shop=4012`: each
 * platform also at the root of a port of its own, for clients that sign their whole URL path).
 * Prints one `SANDBOX_READY {json}` line that tooling waits for.
 */
import { z } from 'zod';
import { buildSandbox, listenOnOwnPorts } from './server.js';

const env = z
  .object({
    SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
    SANDBOX_PORT: z.coerce.number().int().min(0).max(65_535).default(4010),
    SANDBOX_SEED: z.string().min(1).optional(),
    SANDBOX_STATE_FILE: z.string().min(1).optional(),
    SANDBOX_LOG: z.enum(['true', 'false']).default('false'),
    SANDBOX_PLATFORM_PORTS: z
      .string()
      .regex(/^([a-z-]+=\d{1,5})(,[a-z-]+=\d{1,5})*$/, 'a list such as shopee=4011,tiktok-shop=4012')
      .optional(),
  })
  .parse(process.env);

const sandbox = await buildSandbox({
  logger: env.SANDBOX_LOG === 'true',
  ...(env.SANDBOX_SEED === undefined
    ? {}
    : { seed: /^\d+$/.test(env.SANDBOX_SEED) ? Number(env.SANDBOX_SEED) : env.SANDBOX_SEED }),
  ...(env.SANDBOX_STATE_FILE === undefined ? {} : { stateFile: env.SANDBOX_STATE_FILE }),
});
await sandbox.app.listen({ host: env.SANDBOX_HOST, port: env.SANDBOX_PORT });

const base = sandbox.ctx.baseUrl();
const urls: Record<string, string> = { control: `${base}/__sandbox` };
for (const platform of sandbox.platforms) urls[platform.name] = `${base}${platform.prefix}`;
const ownPorts = await listenOnOwnPorts(
  sandbox,
  env.SANDBOX_HOST,
  (env.SANDBOX_PLATFORM_PORTS?.split(',') ?? []).map((pair) => {
    const [platform = '', port = '0'] = pair.split('=');
    return { platform, port: Number(port) };
  }),
);
for (const [name, url] of Object.entries(urls)) process.stdout.write(`sandbox ${name.padEnd(14)} ${url}\n`);
for (const [name, url] of Object.entries(ownPorts.urls)) {
  process.stdout.write(`sandbox ${name.padEnd(14)} ${url}   (own port: the platform's paths at the root)\n`);
}
process.stdout.write(`SANDBOX_READY ${JSON.stringify({ ...urls, ownPorts: ownPorts.urls })}\n`);

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`sandbox: ${signal}, shutting down\n`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  Promise.all([ownPorts.close(), sandbox.close()]).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`sandbox: shutdown failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
