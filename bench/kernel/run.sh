#!/usr/bin/env bash
# Kernel cost per packet of the sensor's cgroup_skb programs against the
# reference designs (bench/kernel/references.bpf.c), side by side in one run
# (as root). Each program runs in the kernel on a fixed packet through
# BPF_PROG_TEST_RUN (`bpftool prog run ... repeat N`): no traffic, no other
# load on the hooks, the same packet and flow every time, so the figure is
# steady where run_time_ns under real traffic swings by a quarter. It is
# the hot-cache cost of one invocation on a known flow (lookup hit), not
# the creation path. Programs and packets interleave round by round.
#
# Beside the full program it runs cut-down copies (bench/kernel/ablate.py):
# each stage's cost is the difference between neighbouring cuts.
# Usage: bench/kernel/run.sh [ROUNDS] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
repeat=${2:-2000000}
work=$(mktemp -d)
pins=/sys/fs/bpf/ows-bench-kernel-$$

[ "$(id -u)" = 0 ] || { echo "kernel bench: run as root" >&2; exit 1; }
for tool in bpftool clang python3; do
	command -v "$tool" >/dev/null || { echo "kernel bench: $tool is not installed (make deps installs it)" >&2; exit 1; }
done
[ -f out/obj/vmlinux.h ] || { echo "kernel bench: out/obj/vmlinux.h is not generated: run make" >&2; exit 1; }

cleanup() { rm -rf "$pins" "$work"; }
trap cleanup EXIT

source bench/kernel/programs.sh
mkdir -p "$pins"
variants=$(build_programs "$work")
for variant in $variants; do
	bpftool prog loadall "$work/$variant.bpf.o" "$pins/$variant"
done
bpftool prog loadall "$work/references.bpf.o" "$pins/references"
python3 bench/kernel/packets.py "$work"

declare -A ns
programs=(empty socket $variants)
packets=(udp4 tcp4 udp6)
for round in $(seq "$rounds"); do
	for packet in "${packets[@]}"; do
		for program in "${programs[@]}"; do
			for hook in egress ingress; do
				case $program in
				empty | socket) pin=$pins/references/${program}_$hook ;;
				*) pin=$pins/$program/ows_$hook ;;
				esac
				ns[$program/$hook/$packet]+="$(bpftool prog run pinned "$pin" data_in "$work/$packet.bin" repeat "$repeat" |
					sed -n 's/.*(average): \([0-9]*\)ns.*/\1/p') "
			done
		done
	done
	echo "round $round of $rounds done" >&2
done

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r)"
echo "$rounds rounds, $repeat runs per figure; ns per invocation, median (min-max); above empty = median minus the empty program's"
printf '%-7s %-8s %-11s %14s %12s\n' packet hook program "ns" "above empty"
for packet in "${packets[@]}"; do
	for hook in egress ingress; do
		read -r floor _ <<<"$(echo "${ns[empty/$hook/$packet]}" | stats 0)"
		for program in "${programs[@]}"; do
			read -r median low high <<<"$(echo "${ns[$program/$hook/$packet]}" | stats 0)"
			printf '%-7s %-8s %-11s %5d (%d-%d) %12d\n' "$packet" "$hook" "$program" "$median" "$low" "$high" $((median - floor))
		done
	done
done
