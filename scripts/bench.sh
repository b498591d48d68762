#!/usr/bin/env bash
# `npm run bench`: set up (dependencies, Redis, PostgreSQL, migrations, build), then run bench/run.ts, which
# starts the built app and a bare Fastify server on 127.0.0.1, load-tests them with autocannon and times the
# order worker, then compares the cost of logging every request, of 2,000 open event streams and of rate
# limiting (bench/run.ts says how). Prints markdown tables and writes bench/results/latest.json. Not part of
# `npm test`.
#
# It has its own database and Redis db index (wiped at every run), so it never touches the service's or
# the tests' data. Override them with BENCH_DATABASE_URL / BENCH_REDIS_URL (the database name must contain
# "bench" and the Redis URL must name a db index other than 0: bench/run.ts refuses to wipe anything else).
#
# Knobs (env): BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (50), BENCH_PIPELINING (1),
# BENCH_WARMUP (s, 2), BENCH_DRAIN_ORDERS (20000), BENCH_DRAIN_ITEMS_PER_ORDER (2), BENCH_SALE_ITEMS (10000),
# BENCH_UNITS_PER_ITEM (200), BENCH_STREAMS (2000: open event streams during the second purchase run).
set -euo pipefail
cd "$(dirname "$0")/.."

# Not DATABASE_URL / REDIS_URL from the environment: those name the service's data.
export DATABASE_URL="${BENCH_DATABASE_URL:-postgresql://flashsale:flashsale@127.0.0.1:5432/flashsale_bench}"
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/13}"
# setup.sh keeps these (env-defaults.sh only fills in unset URLs) and creates the database if it is missing.
bash scripts/setup.sh

# BENCH_STREAMS open event streams take as many sockets in the app and in the stream client (children of the
# bench, which inherit this limit): raise the soft limit on open files to the hard one if it is lower than
# what they need (plus room for Redis, PostgreSQL and autocannon connections). bench/run.ts reports the
# limit each of them had.
want_files=$(( ${BENCH_STREAMS:-2000} + 4096 ))
soft_files=$(ulimit -Sn)
if [ "$soft_files" != unlimited ] && [ "$soft_files" -lt "$want_files" ]; then
  hard_files=$(ulimit -Hn)
  if [ "$hard_files" = unlimited ] || [ "$hard_files" -ge "$want_files" ]; then
    ulimit -Sn "$want_files"
  else
    ulimit -Sn "$hard_files"
    printf '\033[1m[bench]\033[0m open-file limit is %s (hard): %s streams may not all open\n' "$hard_files" "${BENCH_STREAMS:-2000}" >&2
  fi
fi

# exec: Ctrl-C and SIGTERM reach the bench process itself, which stops every child it started.
exec node -r ts-node/register/transpile-only bench/run.ts
