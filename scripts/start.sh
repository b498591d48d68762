#!/usr/bin/env bash
# `npm start`: set up (dependencies, Redis, PostgreSQL, migrations, build) and serve the API with a live sale.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env-defaults.sh service
bash scripts/setup.sh

# A local admin token for the dashboard, made once and kept in .data/ (git-ignored), unless one is given.
if [ -z "${ADMIN_TOKEN:-}" ]; then
  mkdir -p .data
  [ -s .data/admin-token ] || (umask 077 && node -e "process.stdout.write(require('crypto').randomBytes(24).toString('base64url'))" > .data/admin-token)
  export ADMIN_TOKEN="$(cat .data/admin-token)"
fi
# The demo sale runs behind the waiting room (WAITING_ROOM=off to go without); its HMAC secret is made once
# into .data/ like the admin token, unless one is given. Every instance of a fleet needs the same secret.
export WAITING_ROOM="${WAITING_ROOM:-on}"
if [ -z "${WAITING_ROOM_SECRET:-}" ]; then
  mkdir -p .data
  [ -s .data/waiting-room-secret ] || (umask 077 && node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64url'))" > .data/waiting-room-secret)
  export WAITING_ROOM_SECRET="$(cat .data/waiting-room-secret)"
fi
url="http://${HOST:-127.0.0.1}:${PORT:-3000}"
cat >&2 <<BANNER

  Flashsale is starting on $url
    storefront  $url/   (waiting room: $WAITING_ROOM, at $url/line?sale=<id>)
    dashboard   $url/admin   admin token: $ADMIN_TOKEN
    API         $url/sales/active, POST $url/checkout, POST $url/purchase (see README.md)
    metrics     $url/metrics
  Accounts (AUTH_MODE=${AUTH_MODE:-session}): sign up on the storefront; with no SMTP_URL the sign-in code
  is printed in this log and kept for: npm run cli -- mail:outbox

BANNER
exec node dist/main.js
