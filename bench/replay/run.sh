#!/usr/bin/env bash
# Replay speed, side by side in one run: the sensor's `replay` (with its
# detections, and flow accounting alone) against tshark's flow accounting
# (the closest peer) and tcpdump's bare read (the floor), on the same
# capture, interleaved (A B C D A B C D ...), REPS rounds. Whole commands:
# .NET start-up and JIT are in the sensor's figures.
# Prints median, min and max seconds and packets per second for each, and
# the ratios to the sensor. Usage: bench/replay/run.sh [FLOWS] [REPS]
# OTHER=PATH adds another build of the host (an apphost) running the same
# replay as "sensor" in the same rounds, to compare a change side by side.
set -euo pipefail
cd "$(dirname "$0")/../.."
flows=${1:-20000}
reps=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in tshark tcpdump; do
	command -v "$tool" >/dev/null || { echo "replay bench: $tool is not installed (apt-get install tshark tcpdump)" >&2; exit 1; }
done
[ -x out/onewaysensor ] || { echo "replay bench: out/onewaysensor is not built: run make" >&2; exit 1; }
other=${OTHER:-}
[ -z "$other" ] || [ -x "$other" ] || { echo "replay bench: OTHER is not an executable: $other" >&2; exit 1; }
names="sensor flows tshark tcpdump"
[ -z "$other" ] || names="sensor other flows tshark tcpdump"

capture="$work/bench.pcap"
python3 bench/replay/make-capture.py "$capture" "$flows"
packets=$(tcpdump -r "$capture" -nn 2>/dev/null | wc -l)

declare -A times
run() { # name command...
	local name=$1
	shift
	local start end
	start=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	end=$(date +%s.%N)
	times[$name]+="$(echo "$end - $start" | bc) "
}

for _ in $(seq "$reps"); do
	run sensor out/onewaysensor replay "$capture" --flows /dev/null
	[ -z "$other" ] || run other "$other" replay "$capture" --flows /dev/null
	run flows out/onewaysensor replay "$capture" --flows /dev/null --no-detections
	run tshark tshark -r "$capture" -q -z conv,tcp -z conv,udp
	run tcpdump tcpdump -r "$capture" -w /dev/null
done

source bench/stats.sh
echo "capture: $packets packets, $flows flows, $(du -h "$capture" | cut -f1); $reps rounds, interleaved${other:+; other: $other}"
read -r sensor_median _ <<<"$(echo "${times[sensor]}" | stats 3)"
printf '%-8s %10s %8s %8s %14s %10s\n' tool median_s min_s max_s packets_per_s vs_sensor
for name in $names; do
	read -r median min max <<<"$(echo "${times[$name]}" | stats 3)"
	printf '%-8s %10s %8s %8s %14.0f %10.2f\n' "$name" "$median" "$min" "$max" "$(echo "$packets / $median" | bc -l)" "$(echo "$median / $sensor_median" | bc -l)"
done
