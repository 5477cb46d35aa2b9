#!/usr/bin/env bash
# Soak (as root; a benchmark, not a test): the sensor runs for MINUTES under
# continuous mixed traffic from CGROUPS cgroups of its own (UDP and TCP
# echoes, one-way UDP that raises alerts, a new process and new flows every
# round), and every SAMPLE seconds the script records the sensor's RSS, CPU,
# flows, flow map occupancy, every loss counter and the alerts so far. Goal:
# memory flat, nothing lost. Traffic goes to 127.0.0.1 only; every loop ends
# by itself at the deadline; cgroups, peers and the sensor are removed or
# stopped on exit, however it exits.
# Usage: bench/soak/run.sh [MINUTES] [CGROUPS] [SAMPLE]
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=${1:-30}
cgroups=${2:-40}
sample=${3:-30}
seconds=$((minutes * 60))
metrics_port=9478
udp_echo=5401 tcp_echo=5402 udp_sink=5403
work=$(mktemp -d)

[ "$(id -u)" = 0 ] || { echo "soak: run as root" >&2; exit 1; }
for tool in curl python3; do command -v "$tool" >/dev/null || { echo "soak: $tool is not installed" >&2; exit 1; }; done
[ -x out/onewaysensor ] && [ -x out/owsgen ] || { echo "soak: out/onewaysensor and out/owsgen are not built: run make" >&2; exit 1; }
root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$root" ] || { echo "soak: no cgroup v2 mount" >&2; exit 1; }
base=$root/ows-soak-$$

pids=()
sensor_pid=
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	[ -n "$sensor_pid" ] && kill -TERM "$sensor_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	for dir in "$base"/cg-*; do [ -d "$dir" ] && rmdir "$dir" 2>/dev/null || true; done
	[ -d "$base" ] && rmdir "$base" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM

python3 bench/soak/servers.py $udp_echo $tcp_echo $udp_sink $((seconds + 60)) &
pids+=($!)
out/onewaysensor run --no-engine --state '' --set Sensor:FlowPinDirectory= --set Sensor:ControlSocket= \
	--metrics 127.0.0.1:$metrics_port --host-process-events --window 10 --set Sensor:FlowSummarySeconds=10 --set Sensor:HealthSeconds=60 \
	>"$work/sensor.out" 2>"$work/sensor.err" &
sensor_pid=$!
for _ in $(seq 300); do grep -q "sensor ready" "$work/sensor.err" && break; sleep 0.1; done
grep -q "sensor ready" "$work/sensor.err" || { echo "soak: the sensor did not start:" >&2; cat "$work/sensor.err" >&2; exit 1; }

# one worker per cgroup: each round, a new owsgen process in the cgroup runs one mode to completion
deadline=$(($(date +%s) + seconds))
mkdir -p "$base"
for i in $(seq -w 1 "$cgroups"); do
	mkdir -p "$base/cg-$i"
	(
		round=0
		while [ "$(date +%s)" -lt "$deadline" ]; do
			case $((round % 3)) in
			0) args=(udp-echo 127.0.0.1 $udp_echo 20 200) ;;
			1) args=(tcp-echo 127.0.0.1 $tcp_echo 20 1000) ;;
			2) args=(udp-send 127.0.0.1 $udp_sink 10 100) ;;
			esac
			sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$base/cg-$i" out/owsgen "${args[@]}" >/dev/null 2>&1 || true
			round=$((round + 1))
			sleep 0.5
		done
	) &
	pids+=($!)
done

. bench/sample.sh
ticks=$(getconf CLK_TCK)
printf '%8s %8s %6s %8s %9s %6s %8s %8s\n' seconds rss_mib cpu_% flows map_used lost out_lost alerts
start=$(date +%s)
last_ticks=$(cpu_ticks "$sensor_pid")
last_time=$start
while [ "$(date +%s)" -lt "$deadline" ]; do
	sleep "$sample"
	now=$(date +%s)
	ticks_now=$(cpu_ticks "$sensor_pid")
	rss=$(awk -v kib="$(rss_kib "$sensor_pid")" 'BEGIN { printf "%.1f", kib / 1024 }')
	# one snapshot a sample: every figure of a row from the same reading
	curl -s "127.0.0.1:$metrics_port/metrics" >"$work/metrics"
	cpu=$(awk -v t="$((ticks_now - last_ticks))" -v s="$((now - last_time))" -v hz="$ticks" 'BEGIN { printf "%.1f", 100 * t / hz / s }')
	last_ticks=$ticks_now last_time=$now
	lost=$(metric onewaysensor_kernel_records_lost_total "$work/metrics")
	out_lost=$(($(metric onewaysensor_output_queue_dropped_total "$work/metrics") + $(metric onewaysensor_sink_records_lost_total "$work/metrics") + $(metric onewaysensor_output_failures_total "$work/metrics")))
	printf '%8d %8s %6s %8s %9s %6s %8s %8s\n' $((now - start)) "$rss" "$cpu" "$(metric onewaysensor_flows_tracked "$work/metrics")" \
		"$(metric onewaysensor_flow_map_entries "$work/metrics")" "$lost" "$out_lost" "$(metric 'onewaysensor_records_total{kind="alert"}' "$work/metrics")"
done
wait "${pids[@]:1}" 2>/dev/null || true
kill -TERM "$sensor_pid"
status=0
wait "$sensor_pid" || status=$?
sensor_pid=
echo "sensor exit status: $status; records: $(grep -c '' "$work/sensor.out") ($(grep -c '"kind":"alert"' "$work/sensor.out") alerts, $(grep -c '"kind":"process_exec"' "$work/sensor.out") process execs, $(grep -c '"kind":"flow_summary"' "$work/sensor.out") flow summaries)"
grep -E "warn|fail|error" "$work/sensor.err" | cut -c1-240 | head -5 || true
tail -1 "$work/sensor.err" | cut -c1-400
