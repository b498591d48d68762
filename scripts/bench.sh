#!/usr/bin/env bash
# `npm run bench`: set up (dependencies, Redis, PostgreSQL, migrations, build, wrk), then run bench/run.ts,
# which starts the built app (`node dist/main.js`) and the ceiling servers on 127.0.0.1 as children, loads
# each scenario with wrk, and prints one markdown table (req/s, ratio to a bare Fastify POST route measured
# around each slice of the run, p50/p99, app and Redis CPU µs per request, the targets of issue 11) plus the worker drain,
# memory and details. Writes bench/results/latest.json. Not part of `npm test`. Exits 1 if any scenario got
# answers it did not expect (a 500 or a 429 where none should be is a broken scenario, not a fast one).
#
# It has its own database and Redis db index (wiped before each world and at the end), so it never touches
# the service's or the tests' data. Override them with BENCH_DATABASE_URL / BENCH_REDIS_URL (the database
# name must contain "bench" and the Redis URL must name a db index other than 0: the bench refuses to wipe
# anything else).
#
# Knobs (environment):
#   BENCH_ONLY=a,b          run only these scenarios or groups (names: README "Benchmark", or a wrong one
#                           lists them); the bare route always runs (every ratio needs it). Arguments do the
#                           same: `npm run bench -- fleet` is BENCH_ONLY=fleet. The fleet group runs only when
#                           named (about four minutes more)
#   BENCH_DURATION=10       seconds of each measured wrk run (3 is enough to try a change)
#   BENCH_WARMUP=2          seconds of the warm-up run before each (thrown away but for unexpected answers)
#   BENCH_SLICES=5          each measured run cut into this many slices, each after a 1 s warm-up and between
#   BENCH_BARE_SLICE=2      runs of the bare route of this many seconds: a row's ratio is the mean of its
#                           slices' ratios to the bare runs on either side (0 for either: one run, and ratios
#                           against the bare route's first and last runs)
#   BENCH_CONNECTIONS=64    wrk -c
#   BENCH_THREADS=1         wrk -t. One: on a 2-core machine the app's event loop takes one core and Redis,
#                           PostgreSQL and wrk share the other; one wrk thread drives ~100k req/s with its Lua
#                           checks, more than any route here, and a second would only take CPU from the app
#   BENCH_SALE_ITEMS=10000  items of the recurring sale (and of the sale in the memory figures)
#   BENCH_UNITS_PER_ITEM=200  units of each, so the buy scenarios never run out
#   BENCH_STREAMS=2000      open GET /sales/:id/events streams (the streams scenario and the memory figures)
#   BENCH_SESSION_USERS=96  users signed in for AUTH_MODE=session (more than BENCH_CONNECTIONS; each costs
#                           two scrypt hashes, about 0.4 s of CPU each)
#   BENCH_DRAIN_ORDERS=20000, BENCH_DRAIN_ITEMS_PER_ORDER=2   the worker drain's backlog
#   BENCH_PROFILE=1         app instances run under node --cpu-prof: one .cpuprofile each in
#                           bench/results/profiles/; `npx ts-node bench/profile-summary.ts <file>` says where
#                           the time went. Profiling slows the app: its figures are not comparable
#   BENCH_APP_NODE_ARGS="--single-threaded-gc"   node flags for the app instances (V8 settings to try)
set -euo pipefail
cd "$(dirname "$0")/.."

# Not DATABASE_URL / REDIS_URL from the environment: those name the service's data.
export DATABASE_URL="${BENCH_DATABASE_URL:-postgresql://flashsale:flashsale@127.0.0.1:5432/flashsale_bench}"
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/13}"
# setup.sh keeps these (env-defaults.sh only fills in unset URLs) and creates the database if it is missing.
bash scripts/setup.sh

# wrk (Debian's package) makes the load; installed like setup.sh installs Redis and PostgreSQL.
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    printf '\033[1m[bench]\033[0m installing wrk with apt-get\n' >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; then
      apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    fi
  else
    printf '\033[31m[bench] wrk is not installed. Install it (Debian/Ubuntu: sudo apt-get install wrk) and run again.\033[0m\n' >&2
    exit 1
  fi
fi

# BENCH_STREAMS open event streams take as many sockets in the app and in the stream client (children of the
# bench, which inherit this limit): raise the soft limit on open files to the hard one if it is lower than
# what they need (plus room for Redis, PostgreSQL and wrk connections).
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

# `npm run bench -- fleet refusals`: the groups or scenarios to run, like BENCH_ONLY.
if [ $# -gt 0 ]; then BENCH_ONLY=$(IFS=,; echo "$*"); export BENCH_ONLY; fi

# exec: Ctrl-C and SIGTERM reach the bench process itself, which stops every child it started.
exec node -r ts-node/register/transpile-only bench/run.ts
