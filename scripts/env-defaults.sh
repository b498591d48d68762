# Sourced by the set-up and run scripts: the one place that holds the local default URLs.
#   source scripts/env-defaults.sh service|test
# The test suite never touches the service's data: it has its own database and Redis db index,
# chosen through TEST_DATABASE_URL / TEST_REDIS_URL (not DATABASE_URL / REDIS_URL).
case "${1:-service}" in
  test)
    export DATABASE_URL="${TEST_DATABASE_URL:-postgresql://flashsale:flashsale@127.0.0.1:5432/flashsale_test}"
    export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
    export FLASHSALE_TEST_ENV=1
    ;;
  *)
    export DATABASE_URL="${DATABASE_URL:-postgresql://flashsale:flashsale@127.0.0.1:5432/flashsale}"
    # A Sentinel set or a Cluster replaces REDIS_URL (the app refuses two topologies at once).
    [ -n "${REDIS_SENTINELS:-}${REDIS_CLUSTER_NODES:-}" ] || export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
    ;;
esac
