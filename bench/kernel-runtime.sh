#!/usr/bin/env bash
# Kernel run time per packet of the sensor's cgroup_skb programs.
#
# Runs the sensor, sends 64-byte UDP over loopback with iperf3 for a few
# seconds, and reports run_time_ns / run_cnt of ows_egress and ows_ingress
# from `bpftool prog show` (kernel.bpf_stats_enabled=1). Needs root.
#
#   bench/kernel-runtime.sh            # builds with make first
#   SKIP_BUILD=1 PORT=5299 SECONDS_OF_TRAFFIC=8 bench/kernel-runtime.sh
#
# Bounded: the sensor stops itself after 25 s, iperf3 runs under timeout.
# Traffic goes to 127.0.0.1 only. On exit, however it exits, iperf3 and the
# sensor are stopped and kernel.bpf_stats_enabled gets its old value back.
set -euo pipefail

PORT=${PORT:-5299}
SECONDS_OF_TRAFFIC=${SECONDS_OF_TRAFFIC:-8}
SENSOR_DURATION=25
READY_TIMEOUT=20

cd "$(dirname "$0")/.."
sensor_err=$(mktemp /tmp/bench-sensor.err.XXXXXX)
iperf_out=$(mktemp /tmp/bench-iperf.XXXXXX)
sensor_pid=""
server_pid=""
old_stats=$(sysctl -n kernel.bpf_stats_enabled)

cleanup() {
	# stop what we started, by pid, and wait so nothing outlives the script
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [ -n "$sensor_pid" ] && kill -0 "$sensor_pid" 2>/dev/null; then
		kill -TERM "$sensor_pid" 2>/dev/null || true
		wait "$sensor_pid" 2>/dev/null || true
	fi
	sysctl -q -w kernel.bpf_stats_enabled="$old_stats" || true
	rm -f "$iperf_out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "kernel-runtime: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (loads BPF programs, sets kernel.bpf_stats_enabled)"
command -v iperf3 >/dev/null || die "iperf3 is missing: apt-get install -y iperf3"
command -v bpftool >/dev/null || die "bpftool is missing: make deps"
command -v jq >/dev/null || die "jq is missing: apt-get install -y jq"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	make
fi
[ -x out/onewaysensor ] || die "out/onewaysensor is missing: run make"

# prints "<id> <run_time_ns> <run_cnt>" for the program NAME loaded by the sensor
prog_stats() {
	bpftool prog show --json | jq -r --arg name "$1" --argjson ids "$2" \
		'.[] | select(.name == $name and (.id as $i | $ids | index($i))) |
		 "\(.id) \(.run_time_ns // 0) \(.run_cnt // 0)"'
}

# how many programs of the sensor's names are loaded (by any process)
ows_prog_count() {
	bpftool prog show --json | jq '[.[] | select(.name == "ows_egress" or .name == "ows_ingress")] | length'
}

# another sensor's programs would run on the same packets and skew the figures
[ "$(ows_prog_count)" = 0 ] || die "ows_egress/ows_ingress are already loaded (another sensor running?); stop it first"

# the ids of NAME loaded by the sensor: those that were not there before it started
# (bpftool 7.1 here does not report the owning pid)
ids_before=$(bpftool prog show --json | jq -c '[.[].id]')
new_ids() {
	bpftool prog show --json | jq -c --arg name "$1" --argjson before "$ids_before" \
		'[.[] | select(.name == $name and (.id as $i | $before | index($i) | not)) | .id]'
}

sysctl -q -w kernel.bpf_stats_enabled=1

./out/onewaysensor run --duration "$SENSOR_DURATION" --set Sensor:FlowPinDirectory= >/dev/null 2>"$sensor_err" &
sensor_pid=$!
for _ in $(seq $((READY_TIMEOUT * 10))); do
	grep -q "sensor ready" "$sensor_err" && break
	kill -0 "$sensor_pid" 2>/dev/null || die "the sensor exited before it was ready; see $sensor_err"
	sleep 0.1
done
grep -q "sensor ready" "$sensor_err" || die "the sensor was not ready after ${READY_TIMEOUT} s; see $sensor_err"

egress_ids=$(new_ids ows_egress)
ingress_ids=$(new_ids ows_ingress)
[ "$(jq length <<<"$egress_ids")" = 1 ] || die "expected one new ows_egress program, found $egress_ids"
[ "$(jq length <<<"$ingress_ids")" = 1 ] || die "expected one new ows_ingress program, found $ingress_ids"

read -r _ egress_ns0 egress_cnt0 < <(prog_stats ows_egress "$egress_ids")
read -r _ ingress_ns0 ingress_cnt0 < <(prog_stats ows_ingress "$ingress_ids")

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# 64-byte UDP datagrams over loopback, as fast as iperf3 sends them
timeout $((SECONDS_OF_TRAFFIC + 15)) iperf3 -s -1 -p "$PORT" >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do
	ss -Hltn "sport = :$PORT" | grep -q . && break
	sleep 0.1
done
timeout $((SECONDS_OF_TRAFFIC + 10)) iperf3 -c 127.0.0.1 -p "$PORT" -u -l 64 -b 0 -t "$SECONDS_OF_TRAFFIC" >"$iperf_out"
wait "$server_pid" 2>/dev/null || true
server_pid=""

read -r egress_id egress_ns1 egress_cnt1 < <(prog_stats ows_egress "$egress_ids")
read -r ingress_id ingress_ns1 ingress_cnt1 < <(prog_stats ows_ingress "$ingress_ids")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$(ows_prog_count)" != 2 ]; then
	echo "kernel-runtime: WARNING: another sensor loaded its programs during the run; the figures are skewed" >&2
fi

per_run() { awk -v ns="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", ns / n; else printf "n/a" }'; }

echo "iperf3 client (64-byte UDP to 127.0.0.1:$PORT, ${SECONDS_OF_TRAFFIC} s):"
grep -E "sender|receiver" "$iperf_out" | sed 's/^/  /'
echo
printf '%-12s %6s %14s %12s %10s %18s\n' program id run_time_ns run_cnt ns/run "ns/run (traffic)"
printf '%-12s %6s %14s %12s %10s %18s\n' ows_egress "$egress_id" "$egress_ns1" "$egress_cnt1" \
	"$(per_run "$egress_ns1" "$egress_cnt1")" \
	"$(per_run $((egress_ns1 - egress_ns0)) $((egress_cnt1 - egress_cnt0)))"
printf '%-12s %6s %14s %12s %10s %18s\n' ows_ingress "$ingress_id" "$ingress_ns1" "$ingress_cnt1" \
	"$(per_run "$ingress_ns1" "$ingress_cnt1")" \
	"$(per_run $((ingress_ns1 - ingress_ns0)) $((ingress_cnt1 - ingress_cnt0)))"
echo
echo "ns/run: since the sensor loaded; ns/run (traffic): the iperf3 run only"
echo "load average (1/5/15 min): $load_before before the traffic, $load_after after"
rm -f "$sensor_err"
