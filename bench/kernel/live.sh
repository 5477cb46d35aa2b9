#!/usr/bin/env bash
# The same programs as bench/kernel/run.sh (the references and the cut-down
# copies of the sensor's pair), under real traffic instead of
# BPF_PROG_TEST_RUN: each pair in turn is attached at the cgroup v2 root,
# iperf3 sends 64-byte UDP over loopback for a few seconds, and the kernel's
# own run time per invocation (kernel.bpf_stats_enabled, run_time_ns /
# run_cnt) is read; interleaved round by round (as root). Only the packet
# programs are attached, not the sensor's user space: bench/system/run.sh
# measures the running sensor. Every variant passes every packet.
# Usage: bench/kernel/live.sh [ROUNDS] [SECONDS] [VARIANT...]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
seconds=${2:-3}
shift $(($# > 2 ? 2 : $#))
work=$(mktemp -d)
pins=/sys/fs/bpf/ows-bench-live-$$
port=5298

[ "$(id -u)" = 0 ] || { echo "kernel live bench: run as root" >&2; exit 1; }
for tool in bpftool clang python3 iperf3 jq; do
	command -v "$tool" >/dev/null || { echo "kernel live bench: $tool is not installed (make bench-system installs it)" >&2; exit 1; }
done
[ -f out/obj/vmlinux.h ] || { echo "kernel live bench: out/obj/vmlinux.h is not generated: run make" >&2; exit 1; }
root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$root" ] || { echo "kernel live bench: no cgroup v2 mount" >&2; exit 1; }
old_stats=$(sysctl -n kernel.bpf_stats_enabled)

attached=()
detach_all() {
	for pin in "${attached[@]}"; do
		bpftool cgroup detach "$root" "${pin##*_}" pinned "$pin" 2>/dev/null || true
	done
	attached=()
}
cleanup() {
	detach_all
	pkill -f "iperf3 -s -p $port" 2>/dev/null || true
	sysctl -q kernel.bpf_stats_enabled="$old_stats" || true
	rm -rf "$pins" "$work"
}
trap cleanup EXIT

source bench/kernel/programs.sh
all_variants=$(build_programs "$work")
variants=${*:-$all_variants}

mkdir -p "$pins"
sysctl -q kernel.bpf_stats_enabled=1
iperf3 -s -p $port -D
sleep 0.5

# pin path of a program of a freshly loaded pair
load_pair() {
	local program=$1 dir=$pins/$1
	case $program in
	empty | socket) bpftool prog loadall "$work/references.bpf.o" "$dir"; pair=("$dir/${program}_egress" "$dir/${program}_ingress") ;;
	*) bpftool prog loadall "$work/$program.bpf.o" "$dir"; pair=("$dir/ows_egress" "$dir/ows_ingress") ;;
	esac
}
ns_per_run() { bpftool -j prog show pinned "$1" | jq '.run_time_ns / .run_cnt | floor'; }

declare -A ns
programs=(empty socket $variants)
for round in $(seq "$rounds"); do
	for program in "${programs[@]}"; do
		load_pair "$program"
		bpftool cgroup attach "$root" egress pinned "${pair[0]}"
		attached+=("${pair[0]}")
		bpftool cgroup attach "$root" ingress pinned "${pair[1]}"
		attached+=("${pair[1]}")
		iperf3 -c 127.0.0.1 -p $port -u -l 64 -b 0 -t "$seconds" -J --connect-timeout 3000 >"$work/iperf3.json" ||
			echo "kernel live bench: iperf3 failed under $program (round $round)" >&2
		ns[$program/egress]+="$(ns_per_run "${pair[0]}") "
		ns[$program/ingress]+="$(ns_per_run "${pair[1]}") "
		detach_all
		rm -rf "$pins/$program"
	done
	echo "round $round of $rounds done" >&2
done

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r)"
echo "$rounds rounds of ${seconds} s of 64-byte UDP over loopback; ns per invocation (bpf_stats), median (min-max); above empty = median minus the empty program's"
printf '%-8s %-11s %14s %12s\n' hook program "ns" "above empty"
for hook in egress ingress; do
	read -r floor _ <<<"$(echo "${ns[empty/$hook]}" | stats 0)"
	for program in "${programs[@]}"; do
		read -r median low high <<<"$(echo "${ns[$program/$hook]}" | stats 0)"
		printf '%-8s %-11s %5d (%d-%d) %12d\n' "$hook" "$program" "$median" "$low" "$high" $((median - floor))
	done
done
echo "against the bare per-socket counter, round by round (each ratio from one round): median (min-max), rounds below the counter"
for hook in egress ingress; do
	for program in $variants; do
		read -r median low high rounds below <<<"$(paired "${ns[$program/$hook]}" "${ns[socket/$hook]}")"
		printf '%-8s %-11s %.2f (%.2f-%.2f), %d of %d rounds below\n' "$hook" "$program" "$median" "$low" "$high" "$below" "$rounds"
	done
done
