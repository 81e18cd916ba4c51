#!/usr/bin/env bash
# Runs the shared peer harness with this repository's gateway as its candidate.
#
#   tools/bench/peers/run.sh [results-dir]                     (or: npm run bench:peers -- [results-dir])
#   tools/bench/peers/run.sh --baseline <git-ref> [results-dir]
#
# Settings are the harness's own environment variables, passed through: SECTIONS, DURATION, REPS,
# WARMUP, HTTP_CASES, TARGETS, IDLE_N, TCP_DURATION, UDP_DURATION, PROXY_WORKERS, …
# BENCH_HARNESS points at the harness (default: shared/bench beside the repository).
# The candidate is the production gateway (production-candidate.ts): its settings come from the
# environment as for npm start, e.g. RN_GATEWAY_WORKERS=2 for two data-plane workers.
# SKIP_BUILD=1 skips the build.
#
# --baseline <git-ref>: before/after in one invocation. The ref's gateway is built in a clone of
# this repository (kept in BENCH_BASELINE_DIR, default a temp directory named after the commit, and
# reused while it holds that commit's build). One harness run measures the peers with this
# checkout's gateway (REPS=1; --no-peers skips it); then REPS rounds, each one harness run per side
# measuring the candidate and the upstream directly (TARGETS="direct-<upstream> candidate", REPS=1,
# the SECTIONS among http tcp udp tunnel), odd rounds before first, even rounds after first. Both sides are started by this checkout's
# production-candidate.ts with the same settings. before-after.md (and .json) in the results
# directory give each side's figures and the after/before ratio per round.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
here="$repo/tools/bench/peers"
harness="${BENCH_HARNESS:-$repo/../shared/bench}"

baseline=""
peers=1
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) baseline="${2:?--baseline needs a git ref}"; shift 2 ;;
    --baseline=*) baseline="${1#--baseline=}"; shift ;;
    --no-peers) peers=0; shift ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) out="$1"; shift ;;
  esac
done

if [ ! -x "$harness/peers.sh" ]; then
  echo "run.sh: no peer harness at $harness (set BENCH_HARNESS to the directory holding peers.sh)" >&2
  exit 2
fi
if [ ! -d "$harness/node_modules" ]; then
  echo "run.sh: the harness is not installed; run $harness/install-peers.sh once" >&2
  exit 2
fi

out="${out:-${BENCH_OUT:-}}"
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

tsx="$repo/node_modules/.bin/tsx"
candidate_cmd() {  # candidate_cmd [gateway main.js]: the harness's CANDIDATE_CMD for that gateway
  printf 'exec %q %q' "$tsx" "$here/production-candidate.ts"
  [ $# -gt 0 ] && printf ' %q' "$1"
  return 0
}

if [ -z "$baseline" ]; then
  export BENCH_OUT="$out"
  export CANDIDATE_CMD="${CANDIDATE_CMD:-$(candidate_cmd)}"
  echo "peer run: results in $out"
  status=0
  (cd "$harness" && ./peers.sh) || status=$?
  echo
  if [ -f "$out/report.md" ]; then echo "report: $out/report.md"; else echo "no report written (exit $status); logs in $out/logs" >&2; fi
  exit "$status"
fi

# ---- before/after ------------------------------------------------------------------------------
commit="$(git -C "$repo" rev-parse --verify --quiet "$baseline^{commit}")" \
  || { echo "run.sh: --baseline $baseline is not a commit of this repository" >&2; exit 2; }
before_dir="${BENCH_BASELINE_DIR:-${TMPDIR:-/tmp}/rn-bench-baseline-${commit:0:12}}"
before_main="$before_dir/dist/apps/gateway/src/main.js"
if [ "$(cat "$before_dir/.bench-built" 2>/dev/null)" = "$commit" ] && [ -f "$before_main" ]; then
  echo "baseline: ${commit:0:12}'s gateway already built in $before_dir"
else
  if [ ! -d "$before_dir/.git" ]; then
    echo "baseline: cloning ${commit:0:12} into $before_dir"
    git clone -q --no-checkout "$repo" "$before_dir"
  fi
  [ "$(git -C "$before_dir" rev-parse HEAD 2>/dev/null)" = "$commit" ] || git -C "$before_dir" checkout -q --detach "$commit"
  echo "baseline: npm ci and build in $before_dir"
  (cd "$before_dir" && npm ci --no-audit --no-fund && node tools/build/build.js)
  [ -f "$before_main" ] || { echo "run.sh: the baseline build left no $before_main" >&2; exit 2; }
  echo "$commit" >"$before_dir/.bench-built"
fi

describe() { git -C "$1" log -1 --format='%h %ad %s' --date=short "${2:-HEAD}" | cut -c1-120; }
before_label="$(describe "$repo" "$commit")"
case "$before_label" in "$baseline "*) ;; *) before_label="$baseline = $before_label" ;; esac
after_label="$(describe "$repo")"
if [ -n "$(git -C "$repo" status --porcelain -- apps libs)" ]; then
  after_label="$after_label, with uncommitted changes under apps/ and libs/"
fi
rounds="${REPS:-3}"
echo "before/after: results in $out"
echo "  before: $before_label"
echo "  after:  $after_label"

harness_run() {  # harness_run DIR VAR=value...: one harness run with those settings, load average kept
  local dir="$1"; shift
  mkdir -p "$dir"
  cat /proc/loadavg >"$dir/load.txt"
  local status=0
  (cd "$harness" && env BENCH_OUT="$dir" "$@" ./peers.sh) >"$dir/peers.out" 2>&1 || status=$?
  cat /proc/loadavg >>"$dir/load.txt"
  [ "$status" = 0 ] || echo "  (harness exit $status; see $dir/peers.out)"
  return 0
}

upstream="${UPSTREAM:-auto}"
if [ "$peers" = 1 ]; then
  echo "peers (REPS=1) with the current gateway: $out/peers"
  harness_run "$out/peers" REPS=1 UPSTREAM="$upstream" CANDIDATE_CMD="$(candidate_cmd "$main")"
  [ -f "$out/peers/report.md" ] && echo "  report: $out/peers/report.md"
  # Both sides measure against the upstream the peers run chose.
  if [ "$upstream" = auto ]; then
    upstream="$(sed -n 's/^upstream: \([a-z]*\) .*/\1/p' "$out/peers/versions.txt" 2>/dev/null)"
  fi
fi
[ "$upstream" = node ] || upstream=nginx
# The rounds run the sections that have candidate rows (idle and wg are left to the peers run).
round_sections=""
for s in ${SECTIONS:-http idle tcp udp tunnel wg}; do
  case "$s" in http | tcp | udp | tunnel) round_sections="$round_sections $s" ;; esac
done
round_sections="${round_sections# }"
[ -n "$round_sections" ] || { echo "run.sh: SECTIONS has none of http tcp udp tunnel to compare" >&2; exit 2; }

for round in $(seq 1 "$rounds"); do
  order="before after"
  [ $((round % 2)) = 0 ] && order="after before"
  for side in $order; do
    gateway="$main"
    [ "$side" = before ] && gateway="$before_main"
    echo "round $round/$rounds: $side"
    harness_run "$out/rounds/$round-$side" REPS=1 SECTIONS="$round_sections" UPSTREAM="$upstream" TARGETS="direct-$upstream candidate" \
      CANDIDATE_CMD="$(candidate_cmd "$gateway")"
  done
done

echo
"$tsx" "$here/before-after.ts" "$out" "$before_label" "$after_label"
echo "before/after: $out/before-after.md"
