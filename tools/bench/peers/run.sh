#!/usr/bin/env bash
# Runs the shared peer harness with this repository's gateway as its candidate.
#
#   tools/bench/peers/run.sh [results-dir]        (or: npm run bench:peers -- [results-dir])
#
# Settings are the harness's own environment variables, passed through: SECTIONS, DURATION, REPS,
# WARMUP, HTTP_CASES, TARGETS, IDLE_N, TCP_DURATION, UDP_DURATION, PROXY_WORKERS, …
# BENCH_HARNESS points at the harness (default: shared/bench beside the repository).
# The candidate is the production gateway (production-candidate.ts): its settings come from the
# environment as for npm start, e.g. RN_GATEWAY_WORKERS=2 for two data-plane workers.
# SKIP_BUILD=1 skips the build.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
harness="${BENCH_HARNESS:-$repo/../shared/bench}"
if [ ! -x "$harness/peers.sh" ]; then
  echo "run.sh: no peer harness at $harness (set BENCH_HARNESS to the directory holding peers.sh)" >&2
  exit 2
fi
if [ ! -d "$harness/node_modules" ]; then
  echo "run.sh: the harness is not installed; run $harness/install-peers.sh once" >&2
  exit 2
fi

out="${1:-${BENCH_OUT:-}}"
if [ -z "$out" ]; then out="$(mktemp -d -t rn-bench-peers-XXXXXX)"; fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
case "$out/" in
  "$harness"/*) echo "run.sh: write results outside the harness directory ($harness)" >&2; exit 2 ;;
esac

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$repo" && node tools/build/build.js)
fi
main="$repo/dist/apps/gateway/src/main.js"
[ -f "$main" ] || { echo "run.sh: $main is missing (build failed?)" >&2; exit 2; }
command -v nats-server >/dev/null || { echo "run.sh: nats-server is not on PATH (the candidate ships its access log to NATS)" >&2; exit 2; }

export BENCH_OUT="$out"
export CANDIDATE_CMD="${CANDIDATE_CMD:-exec $repo/node_modules/.bin/tsx $repo/tools/bench/peers/production-candidate.ts}"
echo "peer run: results in $out"
status=0
(cd "$harness" && ./peers.sh) || status=$?
echo
if [ -f "$out/report.md" ]; then echo "report: $out/report.md"; else echo "no report written (exit $status); logs in $out/logs" >&2; fi
exit "$status"
