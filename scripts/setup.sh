#!/usr/bin/env bash
# Brings a fresh Debian/Ubuntu machine (or a developer's laptop) to the point where the service or the
# test suite can run: dependencies, Redis, PostgreSQL, the Prisma client, migrations and the build.
# Every step is idempotent and cheap when already done, so `npm start` and `npm test` can always call it.
#
#   scripts/setup.sh           set up for the service (DATABASE_URL / REDIS_URL or their defaults)
#   scripts/setup.sh --test    set up for the test suite (its own database and Redis db index)
#   scripts/setup.sh --fleet   set up for `npm run fleet`: Redis, redis-tools and HAProxy installed, but no
#                              Redis started (the fleet runs its own nodes)
#
# It never uses Docker: docker-compose.yml is for users; this must work where no engine runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=service
[ "${1:-}" = "--test" ] && MODE=test
[ "${1:-}" = "--fleet" ] && MODE=fleet

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/env-defaults.sh
source scripts/env-defaults.sh "$([ "$MODE" = test ] && echo test || echo service)"

as_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  as_root && command -v apt-get >/dev/null || return 1
  log "installing $* with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

# --- 0. Node.js (package.json "engines") --------------------------------------------------------------
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || die "Node.js $(node -v) is too old: Flashsale needs Node.js 20.19 or newer"

# --- 1. npm dependencies (reinstalled when the lockfile changed) -------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- 2. Redis ----------------------------------------------------------------------------------------
# Parse host/port out of REDIS_URL (redis://[user:pass@]host:port[/db]).
redis_hostport=${REDIS_URL:-}; redis_hostport=${redis_hostport#*://}; redis_hostport=${redis_hostport##*@}; redis_hostport=${redis_hostport%%/*}
REDIS_HOST=${redis_hostport%%:*}; REDIS_PORT=${redis_hostport##*:}
[ "$REDIS_PORT" = "$REDIS_HOST" ] && REDIS_PORT=6379
redis_up() { node scripts/wait-for.mjs redis "$REDIS_URL" "${1:-0}" >/dev/null 2>&1; }
# REDIS_URL as shown in messages: without its password.
redis_shown=$(printf '%s' "${REDIS_URL:-}" | sed -E 's#://[^@]*@#://#')
if [ "$MODE" = fleet ]; then
  command -v redis-server >/dev/null || apt_install redis-server \
    || die "Redis is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server redis-tools)."
  redis_major=$(redis-server --version | sed -E 's/.* v=([0-9]+).*/\1/')
  [ "${redis_major:-0}" -ge 7 ] || die "redis-server $(redis-server --version | sed -E 's/.* v=([^ ]+).*/\1/') is too old: Flashsale needs Redis 7.0 or newer"
elif [ -n "${REDIS_SENTINELS:-}${REDIS_CLUSTER_NODES:-}" ]; then
  log "using the configured Redis ${REDIS_CLUSTER_NODES:+Cluster at $REDIS_CLUSTER_NODES}${REDIS_SENTINELS:+Sentinel at $REDIS_SENTINELS}"
elif ! redis_up; then
  case "$REDIS_HOST" in 127.0.0.1|localhost|::1) ;; *) die "Redis at $redis_shown is not reachable (set REDIS_URL to a running Redis)";; esac
  if ! command -v redis-server >/dev/null; then
    apt_install redis-server || die "Redis is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server) or point REDIS_URL at a running Redis 7."
    # Under systemd the package starts its own server (no AOF) on 6379 at once; ours must be the one that
    # answers, or the app would run on a Redis that a restart empties.
    if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
      log "stopping the packaged redis-server service (no AOF); setup starts its own"
      systemctl disable --now redis-server >/dev/null 2>&1 || systemctl stop redis-server
    fi
  fi
  mkdir -p "$ROOT/.data/redis"
  log "starting redis-server on 127.0.0.1:$REDIS_PORT (AOF on, data in .data/redis)"
  # AOF with fsync every second and no eviction: see README "Durability".
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$ROOT/.data/redis" \
    --appendonly yes --appendfsync everysec --save '' --maxmemory-policy noeviction \
    --logfile "$ROOT/.data/redis/redis.log" --pidfile "$ROOT/.data/redis/redis.pid"
  redis_up 10000 || die "redis-server did not come up; see .data/redis/redis.log"
  # The server that answers must be the one just started (another could hold the port: a packaged service).
  if command -v redis-cli >/dev/null; then
    aof=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" config get appendonly 2>/dev/null | tail -1 || true)
    [ "$aof" = yes ] || die "the Redis answering on 127.0.0.1:$REDIS_PORT is not the one setup started (appendonly=$aof); stop it (e.g. systemctl disable --now redis-server) and run this again"
  fi
fi
# Sharded pub/sub (SPUBLISH) and XTRIM MINID, used by the sale scripts, came with Redis 7.0 and 6.2.
[ "$MODE" = fleet ] || [ -n "${REDIS_SENTINELS:-}${REDIS_CLUSTER_NODES:-}" ] || redis_version=$(node scripts/wait-for.mjs redis-version "$REDIS_URL" 7) \
  || die "Redis $redis_version at $redis_shown is too old: Flashsale needs Redis 7.0 or newer (Debian 12 and Ubuntu 24.04 ship it; elsewhere use the packages of redis.io or docker-compose.yml)"

# --- 3. PostgreSQL -----------------------------------------------------------------------------------
pg_hostport=${DATABASE_URL#*://}; pg_hostport=${pg_hostport##*@}; pg_hostport=${pg_hostport%%/*}; pg_hostport=${pg_hostport%%\?*}
PG_HOST=${pg_hostport%%:*}; PG_PORT=${pg_hostport##*:}
[ "$PG_PORT" = "$PG_HOST" ] && PG_PORT=5432
pg_server_up() { node scripts/wait-for.mjs tcp "$PG_HOST:$PG_PORT" "${1:-0}" >/dev/null 2>&1; }
if ! pg_server_up; then
  case "$PG_HOST" in 127.0.0.1|localhost|::1) ;; *) die "PostgreSQL at $PG_HOST:$PG_PORT is not reachable (set DATABASE_URL to a running PostgreSQL)";; esac
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql || die "PostgreSQL is not installed. Install it (Debian/Ubuntu: sudo apt-get install postgresql) or point DATABASE_URL at a running PostgreSQL 13+."
  fi
  cluster=$(pg_lsclusters --no-header 2>/dev/null | awk -v p="$PG_PORT" '$3==p {print $1" "$2; exit}')
  [ -n "$cluster" ] || die "no PostgreSQL cluster listens on port $PG_PORT (pg_lsclusters); create one with pg_createcluster or change DATABASE_URL"
  log "starting PostgreSQL cluster $cluster"
  if as_root; then pg_ctlcluster $cluster start || true; else pg_ctlcluster $cluster start || die "cannot start PostgreSQL $cluster as $(id -un); start it (sudo pg_ctlcluster $cluster start)"; fi
  pg_server_up 20000 || die "PostgreSQL did not come up on $PG_HOST:$PG_PORT"
fi

# The role and database named in DATABASE_URL: created through the local superuser when we can.
if ! node scripts/wait-for.mjs postgres "$DATABASE_URL" 0 >/dev/null 2>&1; then
  # Decoded as the client decodes them (p%40ss is the password p@ss), and handed to psql as variables set on
  # its standard input (not its command line, where ps would show the password), so no character of a name or
  # password can break the SQL.
  url_parts=$(node -e '
    const u = new URL(process.argv[1]);
    const [user, pass, db] = [u.username, u.password, u.pathname.slice(1)].map(decodeURIComponent);
    if ([user, pass, db].some((v) => /[\r\n]/.test(v))) throw new Error("a line break in the user, password or database name");
    // psql quoting: quotes doubled, backslashes escaped (psql reads \n and the like inside quotes).
    const quoted = (v) => "\x27" + v.replace(/\\/g, "\\\\").replace(/\x27/g, "\x27\x27") + "\x27";
    process.stdout.write([user, db, `\\set user ${quoted(user)}`, `\\set pass ${quoted(pass)}`, `\\set db ${quoted(db)}`].join("\n"));
  ' "$DATABASE_URL") || die "DATABASE_URL is not a URL that parses: $(printf '%s' "$DATABASE_URL" | sed -E 's#://[^@]*@#://#')"
  { IFS= read -r PG_USER; IFS= read -r PG_DB; } <<<"$url_parts"
  # Only a PostgreSQL on this machine: a remote server's roles are its administrator's business.
  if as_root && id postgres >/dev/null 2>&1 && case "$PG_HOST" in 127.0.0.1|localhost|::1) true;; *) false;; esac; then
    log "creating PostgreSQL role '$PG_USER' and database '$PG_DB'"
    { tail -n 3 <<<"$url_parts"; echo; cat <<'SQL'; } | runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -p "$PG_PORT" >/dev/null
SELECT format('CREATE ROLE %I', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user')\gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L CREATEDB', :'user', :'pass')\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SQL
  fi
  node scripts/wait-for.mjs postgres "$DATABASE_URL" 5000 >/dev/null 2>&1 \
    || die "cannot log in to PostgreSQL with DATABASE_URL ($PG_USER@$PG_HOST:$PG_PORT/$PG_DB); create that role and database or change DATABASE_URL"
fi

# --- 4. Prisma client and migrations (offline-capable, see prisma/engine/README.md) -----------------
if [ ! -f src/infrastructure/prisma/generated/client.ts ] || [ prisma/schema.prisma -nt src/infrastructure/prisma/generated/client.ts ]; then
  log "generating the Prisma client"
  npx prisma generate >/dev/null
fi
log "applying migrations to $(printf '%s' "$DATABASE_URL" | sed -E 's#://[^@]*@#://#')"
npx prisma migrate deploy >/dev/null

# --- Browser for the browser tests (--test only) -------------------------------------------------------
# test/browser/ drives Debian's Chromium through playwright-core. Installed when missing and we can (root with
# apt-get); otherwise skipped here, and those tests fail saying what to install.
if [ "$MODE" = test ] && [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ] && [ ! -x /usr/bin/chromium-browser ]; then
  apt_install chromium || apt_install chromium-browser || true
fi

# --- The fleet (npm run fleet, and the fleet's fault tests): redis-server/redis-cli run Cluster and Sentinel
# nodes on loopback ports, HAProxy balances the API instances. Installed when missing and we can.
if [ "$MODE" = test ]; then
  command -v redis-cli >/dev/null || apt_install redis-tools || true
  command -v haproxy >/dev/null || apt_install haproxy || true
  command -v haproxy >/dev/null || log "HAProxy is missing (Debian/Ubuntu: apt-get install haproxy): the fleet tests will fail saying so"
elif [ "$MODE" = fleet ]; then
  command -v redis-cli >/dev/null || apt_install redis-tools || die "redis-cli is missing (Debian/Ubuntu: sudo apt-get install redis-tools)"
  command -v haproxy >/dev/null || apt_install haproxy || die "HAProxy is missing (Debian/Ubuntu: sudo apt-get install haproxy)"
fi

# --- 5. Build -----------------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-}" != 1 ]; then
  log "building (tsc)"
  npx tsc -p tsconfig.build.json
fi
log "ready ($MODE)"
