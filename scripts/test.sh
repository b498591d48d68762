#!/usr/bin/env bash
# `npm test`: set up everything the suite needs (its own database and Redis db), check types and formatting
# (the settings of .prettierrc; `npm run format` fixes it), run jest.
# Extra arguments go to jest, e.g. `npm test -- test/e2e/health.e2e-spec.ts`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env-defaults.sh test
SKIP_BUILD=${SKIP_BUILD:-0} bash scripts/setup.sh --test
echo "[test] type-checking" >&2
npx tsc -p tsconfig.json
echo "[test] checking formatting" >&2
npx prettier --check --log-level warn "src/**/*.ts" "test/**/*.ts" "bench/**/*.ts"
exec npx jest "$@"
