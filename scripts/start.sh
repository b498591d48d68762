#!/usr/bin/env bash
# `npm start`: set up (dependencies, Redis, PostgreSQL, migrations, build) and serve the API with a live sale.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env-defaults.sh service
bash scripts/setup.sh
exec node dist/main.js
