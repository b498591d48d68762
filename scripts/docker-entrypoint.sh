#!/bin/sh
# Container entrypoint: apply pending migrations (offline-capable engine, see prisma/engine/README.md), then
# replace this shell with the app so it receives SIGTERM directly. MIGRATE_ON_START=false skips migrations
# (when a release job runs them instead).
set -e
if [ "${MIGRATE_ON_START:-true}" != "false" ]; then
  node node_modules/prisma/build/index.js migrate deploy
fi
exec "$@"
