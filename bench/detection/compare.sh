#!/usr/bin/env bash
# The sensor's poll at scale, this tree against another commit, side by
# side in one run: bench/detection/DetectionPoll is built against
# each tree's OneWaySensor.Core (it uses only public API, so a commit from
# before it existed works too), then the two run in turn, one process each
# round (old new old new ...). Each process warms up, then times its own
# rounds of 10 polls and reports their median; this prints the median, min
# and max of those medians per build, the ratio new/old, and the bytes each
# allocated a poll. MODE=engine (the default) times the detection engine's
# pass, MODE=read the flow table's reading of every flow.
# Usage: bench/detection/compare.sh OLD_COMMIT [FLOWS] [ROUNDS]
#   defaults: FLOWS 200000 (bench/scale's 100 000 conversations, two flows
#   each), ROUNDS 5; WARM (30) polls before timing, TIMED (7) rounds of 10
#   polls in each process.
set -euo pipefail
cd "$(dirname "$0")/../.."
old=${1:?usage: bench/detection/compare.sh OLD_COMMIT [FLOWS] [ROUNDS]}
flows=${2:-200000}
rounds=${3:-5}
warm=${WARM:-30}
timed=${TIMED:-7}
mode=${MODE:-engine}
git rev-parse --verify --quiet "$old^{commit}" >/dev/null || { echo "compare.sh: not a commit: $old" >&2; exit 2; }
command -v bc >/dev/null || { echo "compare.sh: bc is not installed (apt-get install bc, or run make bench-detection)" >&2; exit 2; }
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --quiet --detach "$work/old" "$old"
# the probe of this tree, in the old tree at the same place, so its reference finds the old Core
mkdir -p "$work/old/bench/detection"
rm -rf "$work/old/bench/detection/DetectionPoll"
cp -r bench/detection/DetectionPoll "$work/old/bench/detection/"
rm -rf "$work/old/bench/detection/DetectionPoll/bin" "$work/old/bench/detection/DetectionPoll/obj"
for tree in old new; do
  src=$([ "$tree" = old ] && echo "$work/old" || echo .)
  dotnet build "$src/bench/detection/DetectionPoll" -c Release -o "$work/bin-$tree" --nologo -v quiet -clp:ErrorsOnly > "$work/build.log" 2>&1 ||
    { echo "compare.sh: building the probe against the $tree tree failed:" >&2; cat "$work/build.log" >&2; exit 1; }
done
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r); $(date -u '+%F %T') UTC"
echo "old $(git rev-parse --short "$old"), new $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- sensor || echo ' + uncommitted changes'); $flows flows, $rounds rounds, timing the $mode"
for r in $(seq "$rounds"); do
  for tree in old new; do
    "$work/bin-$tree/DetectionPoll" "$flows" "$warm" "$timed" "$mode" | awk -v t="$tree" '{ print t, $1, $4 }' >> "$work/results"
  done
done
summary() { # build -> "median min max bytes"
  awk -v t="$1" '$1 == t { print $2 }' "$work/results" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f %.2f %.2f", v[int((NR + 1) / 2)], v[1], v[NR] }'
  awk -v t="$1" '$1 == t { b = $3 } END { printf " %d\n", b }' "$work/results"
}
read -r om omin omax ob <<< "$(summary old)"
read -r nm nmin nmax nb <<< "$(summary new)"
printf '%-5s %12s %8s %8s %14s\n' build "ms/poll med" min max "bytes/poll"
printf '%-5s %12s %8s %8s %14s\n' old "$om" "$omin" "$omax" "$ob"
printf '%-5s %12s %8s %8s %14s\n' new "$nm" "$nmin" "$nmax" "$nb"
printf "new/old (medians): %.2f\n" "$(echo "scale=4; $nm / $om" | bc)"
