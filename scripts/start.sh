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
url="http://${HOST:-127.0.0.1}:${PORT:-3000}"
cat >&2 <<BANNER

  Flashsale is starting on $url
    storefront  $url/
    dashboard   $url/admin   admin token: $ADMIN_TOKEN
    API         $url/sales/active, POST $url/checkout, POST $url/purchase (see README.md)
    metrics     $url/metrics
  Accounts (AUTH_MODE=${AUTH_MODE:-session}): sign up on the storefront; with no SMTP_URL the sign-in code
  is printed in this log and kept for: npm run cli -- mail:outbox

BANNER
exec node dist/main.js
