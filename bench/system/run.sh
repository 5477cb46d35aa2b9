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
# Prints median, min and max of each and the ratio to "none".
# Usage: bench/system/run.sh [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
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

stop_config() {
	case $1 in
	empty | socket)
		bpftool cgroup detach "$root" egress pinned "$pins/${1}_egress"
		bpftool cgroup detach "$root" ingress pinned "$pins/${1}_ingress"
		rm -rf "$pins" ;;
	sensor | bpftrace | tcpdump)
		kill -TERM "$helper_pid" 2>/dev/null || true # a background job of a script ignores SIGINT
		wait "$helper_pid" 2>/dev/null || true
		helper_pid= ;;
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

stats() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {printf "%.3f %.3f %.3f", a[int((NR+1)/2)], a[1], a[NR]}'; }
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r); $rounds rounds of ${seconds} s, interleaved"
read -r tcp_none _ <<<"$(echo "${tcp[none]}" | stats)"
read -r udp_none _ <<<"$(echo "${udp[none]}" | stats)"
printf '%-9s %22s %10s %26s %10s\n' config "tcp_gbit_s(med/min/max)" tcp_ratio "udp64_pkt_s(med/min/max)" udp_ratio
for config in "${configs[@]}"; do
	read -r tm tmin tmax <<<"$(echo "${tcp[$config]}" | stats)"
	read -r um umin umax <<<"$(echo "${udp[$config]}" | stats)"
	printf '%-9s %8s/%6s/%6s %10.3f %10.0f/%7.0f/%7.0f %10.3f\n' "$config" "$tm" "$tmin" "$tmax" "$(echo "$tm / $tcp_none" | bc -l)" "$um" "$umin" "$umax" "$(echo "$um / $udp_none" | bc -l)"
done
echo "kernel run time per invocation, ns (cumulative per round while attached):"
for config in empty socket sensor; do echo "  $config: ${kernel[$config]}"; done
