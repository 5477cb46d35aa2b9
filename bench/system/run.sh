#!/usr/bin/env bash
# Kernel overhead, side by side in one run (as root): loopback TCP throughput
# (iperf3, one stream) and 64-byte UDP packet rate (iperf3 -u -l 64 -b 0)
# under each configuration, interleaved round by round (A B C D E F A B ...):
#   none     no BPF program attached
#   empty    a cgroup_skb pair that only returns 1, at the cgroup root
#   socket   a bare per-socket counter pair (socket storage, atomic adds), at the root
#   sensor   onewaysensor run (eBPF source, engines off)
#   bpftrace bytes per cgroup on the net:net_dev_xmit tracepoint
#   tcpdump  tcpdump -i lo -w /dev/null
# and, with kernel.bpf_stats_enabled, each program's run time per
# invocation (run_time_ns / run_cnt from bpftool prog show).
# Prints median, min and max of each and the ratio to "none"; then, round
# by round (bench/stats.sh), each configuration's ratio to "none" and the
# sensor's packet rate against the empty pair's in points.
# Usage: bench/system/run.sh [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/stats.sh
rounds=${1:-3}
seconds=${2:-4}
work=$(mktemp -d)
pins=/sys/fs/bpf/ows-bench-empty
port=5299

[ "$(id -u)" = 0 ] || { echo "system bench: run as root" >&2; exit 1; }
for tool in iperf3 bpftool bpftrace tcpdump clang jq bc; do
	command -v "$tool" >/dev/null || { echo "system bench: $tool is not installed (make bench-system installs it)" >&2; exit 1; }
done
[ -x out/onewaysensor ] || { echo "system bench: out/onewaysensor is not built: run make" >&2; exit 1; }
root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$root" ] || { echo "system bench: no cgroup v2 mount" >&2; exit 1; }

helper_pid=
cleanup() {
	[ -n "$helper_pid" ] && kill "$helper_pid" 2>/dev/null && wait "$helper_pid" 2>/dev/null || true
	for pair in empty socket; do
		bpftool cgroup detach "$root" egress pinned "$pins/${pair}_egress" 2>/dev/null || true
		bpftool cgroup detach "$root" ingress pinned "$pins/${pair}_ingress" 2>/dev/null || true
	done
	rm -rf "$pins" "$work"
	pkill -f "iperf3 -s -p $port" 2>/dev/null || true
	sysctl -q kernel.bpf_stats_enabled=0 || true
}
trap cleanup EXIT

# the empty and per-socket pairs of the reference programs (bench/kernel/references.bpf.c), attached one at a time
clang -O2 -g -target bpf -Iout/obj -c bench/kernel/references.bpf.c -o "$work/references.bpf.o"
sysctl -q kernel.bpf_stats_enabled=1
iperf3 -s -p $port -D --logfile "$work/iperf3-server.log"
sleep 0.5

start_config() {
	case $1 in
	none) ;;
	empty | socket)
		bpftool prog loadall "$work/references.bpf.o" "$pins"
		bpftool cgroup attach "$root" egress pinned "$pins/${1}_egress"
		bpftool cgroup attach "$root" ingress pinned "$pins/${1}_ingress" ;;
	sensor)
		out/onewaysensor run --no-engine --state '' --set Sensor:FlowPinDirectory= --set Sensor:ControlSocket= --set Sensor:HealthSeconds=0 --set Sensor:FlowSummarySeconds=0 >"$work/sensor.out" 2>"$work/sensor.err" &
		helper_pid=$!
		for _ in $(seq 100); do grep -q "sensor ready" "$work/sensor.err" && break; sleep 0.1; done ;;
	bpftrace)
		bpftrace -e 'tracepoint:net:net_dev_xmit { @bytes[cgroup] = sum(args->len); }' >"$work/bpftrace.out" 2>&1 &
		helper_pid=$!
		sleep 3 ;;
	tcpdump)
		tcpdump -i lo -w /dev/null >"$work/tcpdump.out" 2>&1 &
		helper_pid=$!
		sleep 1 ;;
	esac
}

# TERM, then INT, then KILL, 10 s apart: once a bpftrace took TERM and
# went on waiting in epoll until an INT came, which held the run for ten
# minutes (a background job of a script may ignore INT, hence TERM first)
stop_helper() {
	local signal
	for signal in TERM INT KILL; do
		kill -"$signal" "$helper_pid" 2>/dev/null || break
		for _ in $(seq 100); do kill -0 "$helper_pid" 2>/dev/null || break 2; sleep 0.1; done
		echo "system bench: $helper_pid still running 10 s after SIG$signal" >&2
	done
	wait "$helper_pid" 2>/dev/null || true
	helper_pid=
}

stop_config() {
	case $1 in
	empty | socket)
		bpftool cgroup detach "$root" egress pinned "$pins/${1}_egress"
		bpftool cgroup detach "$root" ingress pinned "$pins/${1}_ingress"
		rm -rf "$pins" ;;
	sensor | bpftrace | tcpdump)
		stop_helper ;;
	esac
}

# run time per invocation of the cgroup_skb programs attached now, egress/ingress
runtime() {
	bpftool -j prog show | jq -r '[.[] | select(.type == "cgroup_skb" and (.run_cnt // 0) > 0)] | map("\(.name)=\((.run_time_ns / .run_cnt) | floor)") | join(" ")'
}

# one iperf3 run's figure (a jq expression over its JSON); a run that fails (the
# server was still busy with the last one) is said and tried again, up to 3 times
measure() {
	local figure=$1 json
	shift
	for attempt in 1 2 3; do
		json=$(iperf3 -c 127.0.0.1 -p $port -J "$@" || true)
		if jq -e "$figure" <<<"$json" >/dev/null 2>&1; then
			jq "$figure" <<<"$json"
			return
		fi
		echo "system bench: iperf3 $* failed (attempt $attempt): $(jq -r '.error // "no result"' <<<"$json" 2>/dev/null)" >&2
		sleep 1
	done
	exit 1
}

declare -A tcp udp kernel
configs=(none empty socket sensor bpftrace tcpdump)
for round in $(seq "$rounds"); do
	for config in "${configs[@]}"; do
		start_config "$config"
		tcp[$config]+="$(measure '.end.sum_received.bits_per_second / 1e9' -t "$seconds") "
		udp[$config]+="$(measure '.end.sum.packets / .end.sum.seconds' -u -l 64 -b 0 -t "$seconds") "
		case $config in empty | socket | sensor) kernel[$config]+="$(runtime); " ;; esac
		stop_config "$config"
	done
	echo "round $round of $rounds done" >&2
done

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r); $rounds rounds of ${seconds} s, interleaved"
read -r tcp_none _ <<<"$(echo "${tcp[none]}" | stats 3)"
read -r udp_none _ <<<"$(echo "${udp[none]}" | stats 3)"
printf '%-9s %22s %10s %26s %10s\n' config "tcp_gbit_s(med/min/max)" tcp_ratio "udp64_pkt_s(med/min/max)" udp_ratio
for config in "${configs[@]}"; do
	read -r tm tmin tmax <<<"$(echo "${tcp[$config]}" | stats 3)"
	read -r um umin umax <<<"$(echo "${udp[$config]}" | stats 3)"
	printf '%-9s %8s/%6s/%6s %10.3f %10.0f/%7.0f/%7.0f %10.3f\n' "$config" "$tm" "$tmin" "$tmax" "$(echo "$tm / $tcp_none" | bc -l)" "$um" "$umin" "$umax" "$(echo "$um / $udp_none" | bc -l)"
done
echo "round by round (each ratio from one round) to none: median (min-max)"
for config in "${configs[@]:1}"; do
	read -r tm tlow thigh _ <<<"$(paired "${tcp[$config]}" "${tcp[none]}")"
	read -r um ulow uhigh _ <<<"$(paired "${udp[$config]}" "${udp[none]}")"
	printf '  %-9s tcp %s (%s-%s), udp64 %s (%s-%s)\n' "$config" "$tm" "$tlow" "$thigh" "$um" "$ulow" "$uhigh"
done
read -r dm dlow dhigh rounds <<<"$(difference "${udp[sensor]}" "${udp[empty]}" "${udp[none]}")"
echo "the sensor's udp64 rate against the empty pair's, round by round: $dm points ($dlow to $dhigh), $rounds rounds"
# CONFIG HOOK -> each round's run time of that configuration's program for the hook, in round order
hook_times() { tr ';' '\n' <<<"${kernel[$1]}" | awk -v hook="_$2=" '{ for (i = 1; i <= NF; i++) if (index($i, hook)) { sub(/.*=/, "", $i); printf "%s ", $i } }'; }
for hook in egress ingress; do
	read -r median low high rounds below <<<"$(paired "$(hook_times sensor $hook)" "$(hook_times socket $hook)")"
	echo "the sensor's $hook run time against the counter's, round by round: $median ($low-$high), below it in $below of $rounds rounds"
done
echo "kernel run time per invocation, ns (cumulative per round while attached):"
for config in empty socket sensor; do echo "  $config: ${kernel[$config]}"; done
