#!/usr/bin/env bash
# Fails when the drizzle schema (src/db/schema) and the committed migrations (drizzle/) drift apart:
# runs `drizzle-kit generate` against a scratch copy of drizzle/ (the work tree is never touched)
# and expects it to find nothing to generate.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -f drizzle.config.ts ]]; then
  echo "check-migrations: drizzle.config.ts is missing" >&2
  exit 1
fi

# drizzle-kit prefixes paths with './', so the scratch folder must be relative to the repo root.
mkdir -p .data
scratch="$(mktemp -d .data/drizzle-check.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
if [[ -d drizzle ]]; then cp -R drizzle "$scratch/drizzle"; else mkdir "$scratch/drizzle"; fi

# The project's config with only the output folder changed, so casing/strict/schema stay as committed.
cat >"$scratch/drizzle.config.ts" <<CONFIG
import config from '../../drizzle.config.ts';
export default { ...config, out: './$scratch/drizzle' };
CONFIG

set +e
# No stdin: an ambiguous change (rename or drop?) must fail here, not wait for an answer.
output="$(npx --no-install drizzle-kit generate --config "$scratch/drizzle.config.ts" </dev/null 2>&1)"
status=$?
set -e

if [[ $status -ne 0 ]] || grep -qiE '(^|[^a-z])error' <<<"$output"; then
  echo "$output" >&2
  echo "check-migrations: drizzle-kit generate failed (status $status)" >&2
  exit 1
fi

if ! diff -r drizzle "$scratch/drizzle" >/dev/null 2>&1; then
  echo "check-migrations: the schema in src/db/schema has changes that no committed migration contains." >&2
  echo "Run \`npm run db:generate\`, review the new file in drizzle/ and commit it. Would-be changes:" >&2
  diff -r drizzle "$scratch/drizzle" --brief >&2 || true
  find "$scratch/drizzle" -name '*.sql' -newer "$scratch/drizzle.config.ts" -exec cat {} + >&2 || true
  exit 1
fi

if ! grep -q 'No schema changes' <<<"$output"; then
  echo "$output" >&2
  echo "check-migrations: unexpected drizzle-kit output (expected 'No schema changes')" >&2
  exit 1
fi
echo "check-migrations: schema and committed migrations agree"
