#!/usr/bin/env bash
# Provision this machine for the tests: the one path taken by `npm test` and `.ci/run`.
#
# 1. System packages the tests need (the PACKAGES table below): what is missing is installed with
#    apt-get when running as root; otherwise the script stops at once and prints the exact command.
# 2. The local services (NATS 4222 with JetStream, PostgreSQL 5432, Redis 6379 on loopback): started
#    the documented way (README "Requirements") when they do not answer; same rule when not root.
#
#   tools/provision.sh            check, install what is missing, start what is down
#   tools/provision.sh --dry-run  only print what it would do (exit 0), change nothing
#   tools/provision.sh --check    like --dry-run, but exit 1 when anything is missing or down
#
# RN_PROVISION=skip skips it (for a machine whose services run elsewhere: set RN_NATS_URL,
# RN_DATABASE_URL and RN_REDIS_URL to point at them).
set -euo pipefail

# ---- What the tests need. One entry per Debian package: "package|proof", where the proof is a
# command on the PATH (or in /usr/sbin, /sbin) or an absolute path (a glob may match several).
# Add yours here, with a comment saying which tests need it.
PACKAGES=(
  "nats-server|nats-server"                       # the event store (JetStream) every service uses
  "postgresql|/usr/lib/postgresql/*/bin/postgres" # read models, migrations
  "redis-server|redis-server"                     # rate limits, sessions, gateway caches
  "chromium|chromium"                             # browser e2e (zero-trust, bot challenge), playwright-core
  "pebble|pebble"                                 # the ACME e2e (a local ACME CA)
  "iproute2|ss"                                   # ss -K cuts tunnels in the CLI e2e; ip for namespaces
  "bsdutils|script"                               # a pseudo-terminal for the CLI login e2e
  "wireguard-go|wireguard-go"                     # userspace WireGuard for the WireGuard e2e
  "wireguard-tools|wg"                            # wg: keys and interface setup
  "nftables|nft"                                  # packet filtering in the WireGuard/L4 e2e
  "iperf3|iperf3"                                 # throughput through the TCP port proxy
  "curl|curl"                                     # the README quickstart e2e runs its commands as written
  "jq|jq"                                         # … which read JSON answers with jq
)

# ---- The local services: "name|port|how to start it (run as root)".
SERVICES=(
  "PostgreSQL|5432|start_postgres"
  "Redis|6379|start_redis"
  "NATS|4222|start_nats"
)

MODE=run
case "${1:-}" in
  "") ;;
  --dry-run) MODE=dry ;;
  --check) MODE=check ;;
  -h | --help)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "provision: unknown option '$1' (use --dry-run, --check or no option)" >&2
    exit 2
    ;;
esac
if [ "${RN_PROVISION:-}" = skip ]; then
  echo "provision: skipped (RN_PROVISION=skip)"
  exit 0
fi

SELF="tools/provision.sh"
# sbin directories are searched too (a user's PATH often lacks them); the test of this script empties them.
SEARCH_PATH="$PATH:${PROVISION_SBIN-/usr/local/sbin:/usr/sbin:/sbin}"
say() { printf 'provision: %s\n' "$*"; }
is_root() { [ "$(id -u)" -eq 0 ]; }

present() { # proof
  local proof="$1"
  if [ "${proof#/}" != "$proof" ]; then
    compgen -G "$proof" >/dev/null
  else
    PATH="$SEARCH_PATH" command -v "$proof" >/dev/null 2>&1
  fi
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # port name seconds
  local port="$1" name="$2" limit="${3:-30}" waited=0
  until listening "$port"; do
    if [ "$waited" -ge $((limit * 2)) ]; then
      say "$name did not come up on 127.0.0.1:$port within ${limit}s" >&2
      return 1
    fi
    if [ $((waited % 4)) -eq 0 ]; then say "waiting for $name on 127.0.0.1:$port ($((waited / 2))s/${limit}s)"; fi
    sleep 0.5
    waited=$((waited + 1))
  done
  say "$name answers on 127.0.0.1:$port"
}

start_postgres() {
  local version
  version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)"
  if [ -z "$version" ]; then
    say "PostgreSQL is installed but has no cluster: pg_createcluster --start <version> main" >&2
    return 1
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
}
start_redis() {
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/rustronaut.log
}
start_nats() {
  mkdir -p /var/lib/nats-server
  PATH="$SEARCH_PATH" start-stop-daemon --start --oknodo --background --exec "$(PATH="$SEARCH_PATH" command -v nats-server)" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
}

# A freshly installed Debian PostgreSQL asks for a password over TCP; the tests connect as
# postgres@127.0.0.1 without one. Only for a cluster this script installed: trust loopback.
trust_loopback() {
  local hba
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    [ -f "$hba" ] || continue
    grep -q '^host all all 127.0.0.1/32 trust' "$hba" && continue
    say "trusting loopback connections in $hba (a test machine; the tests connect as postgres@127.0.0.1)"
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  done
}

# ---- 1. Packages
missing=()
for entry in "${PACKAGES[@]}"; do
  pkg="${entry%%|*}"
  proof="${entry#*|}"
  present "$proof" || missing+=("$pkg")
done

problems=no
install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]:-}"
installed_postgres=no
if [ ${#missing[@]} -eq 0 ]; then
  say "system packages: all ${#PACKAGES[@]} present"
elif [ "$MODE" != run ]; then
  say "missing packages: ${missing[*]}"
  say "would run: $install_cmd"
  [ "$MODE" = check ] && problems=yes
elif is_root && command -v apt-get >/dev/null; then
  say "installing: ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  case " ${missing[*]} " in *" postgresql "*) installed_postgres=yes ;; esac
else
  say "missing packages: ${missing[*]}" >&2
  if command -v apt-get >/dev/null; then
    say "run as root, then run the tests again:" >&2
    printf '\n  sudo sh -c "%s"\n\n' "$install_cmd" >&2
    printf '  (or: sudo %s, which also starts the local services)\n\n' "$SELF" >&2
  else
    say "no apt-get here: install the equivalents of these Debian packages, then run the tests again" >&2
  fi
  exit 1
fi
if [ "$installed_postgres" = yes ]; then trust_loopback; fi

# ---- 2. Services
down=()
for entry in "${SERVICES[@]}"; do
  IFS='|' read -r name port starter <<<"$entry"
  if listening "$port"; then
    say "$name answers on 127.0.0.1:$port"
  else
    down+=("$entry")
  fi
done
if [ ${#down[@]} -eq 0 ]; then
  [ "$problems" = yes ] && exit 1
  exit 0
fi
if [ "$MODE" != run ]; then
  for entry in "${down[@]}"; do
    IFS='|' read -r name port starter <<<"$entry"
    say "$name is down on 127.0.0.1:$port; would start it ($starter)"
  done
  [ "$MODE" = check ] && exit 1
  [ "$problems" = yes ] && exit 1
  exit 0
fi
if ! is_root; then
  for entry in "${down[@]}"; do
    IFS='|' read -r name port _ <<<"$entry"
    say "$name does not answer on 127.0.0.1:$port" >&2
  done
  say "start them as root, then run the tests again:" >&2
  printf '\n  sudo %s\n\n' "$SELF" >&2
  exit 1
fi
for entry in "${down[@]}"; do
  IFS='|' read -r name port starter <<<"$entry"
  say "starting $name"
  "$starter"
  wait_for "$port" "$name" 30
done
