#!/usr/bin/env bash
# `npm run cli -- <command>`: the admin CLI against the service's Redis and PostgreSQL (the same
# DATABASE_URL / REDIS_URL as `npm start`). Rebuilds first when a source file is newer than the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env-defaults.sh service
[ -f node_modules/.package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error >&2
[ -f src/infrastructure/prisma/generated/client.ts ] || npx prisma generate >/dev/null
# Against a stamp, not dist/cli.js: an incremental tsc rewrites only the files whose output changed, so after
# most edits dist/cli.js would stay older than the source and every run would build again.
if [ ! -f dist/cli.js ] || [ ! -f dist/.cli-built ] || [ -n "$(find src -name '*.ts' -newer dist/.cli-built -print -quit)" ]; then
  # Stamped as of the build's start: a source edited while tsc runs is built again next time.
  mkdir -p dist && stamp="dist/.cli-building.$$" && touch "$stamp"
  npx tsc -p tsconfig.build.json >&2
  mv -f "$stamp" dist/.cli-built
fi
exec node dist/cli.js "$@"
