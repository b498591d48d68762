#!/usr/bin/env bash
# `npm run fleet [-- --sentinel] [-- --any-ports]`: set up (dependencies, redis-server and redis-tools,
# HAProxy, PostgreSQL, migrations, build), then run scripts/fleet/run.ts, which starts on loopback ports a
# Redis Cluster of 3 primaries and 3 replicas (--sentinel: a primary, 2 replicas and 3 sentinels), 3 API
# instances with WORKER_ENABLED=false, 1 order worker and HAProxy in front of the instances, waits for a live
# sale, prints where everything is, and stops it all on Ctrl-C or SIGTERM.
#
# Its PostgreSQL database is its own (FLEET_DATABASE_URL, default flashsale_fleet): its Redis starts empty
# each time, and the scheduler loads the current sale from PostgreSQL's view of it. Other settings of the app
# (AUTH_MODE, RATE_LIMIT_*, SALE_*, ...) are passed on to every instance from the environment.
# Knobs: FLEET_PORT (3100), FLEET_REDIS_PORT (7101), FLEET_DIR (.data/fleet: logs, and Redis data while it runs).
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${FLEET_DATABASE_URL:-postgresql://flashsale:flashsale@127.0.0.1:5432/flashsale_fleet}"
bash scripts/setup.sh --fleet

# The same local admin token as `npm start` (made once into .data/admin-token), unless one is given.
if [ -z "${ADMIN_TOKEN:-}" ]; then
  mkdir -p .data
  [ -s .data/admin-token ] || (umask 077 && node -e "process.stdout.write(require('crypto').randomBytes(24).toString('base64url'))" > .data/admin-token)
  export ADMIN_TOKEN="$(cat .data/admin-token)"
fi

# exec: Ctrl-C and SIGTERM reach the runner itself, which stops every child in order.
exec node -r ts-node/register/transpile-only scripts/fleet/run.ts "$@"
