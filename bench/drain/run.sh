#!/usr/bin/env bash
# Kernel -> user drain, side by side in one run (as root). One producer
# (bench/drain/producer.bpf.c: flow-open records written through the
# sensor's own bpf/records.bpf.h, reserve, fill, submit with batched
# wake-ups) feeds one BPF ring buffer; the consumers read it in turn:
#   c            out/drain-consume: libbpf's ring_buffer, reads the fields, keeps no table
#   cs           the C# host's path (OneWaySensor.Bench drain): RingBufferReader,
#                RecordDispatcher, FlowRecordHandler, FlowTable
#   cs-no-table  the host's reader and dispatcher with the C consumer's handler
#                (full drain only: it splits the gap into transport and table)
#   cs@PATH      another build of the C# consumer (an apphost), to compare a change
# Two figures for each, rounds interleaved (c cs c cs ...):
#   zero-loss rate   a fresh ring and consumer, warmed up at the first rate
#                    until two seconds in a row lose nothing (at most 15 s),
#                    then the offered rate steps up (RATES, M records/s, SECONDS
#                    each) until the first record lost (the producer's ring-full
#                    counter) or until the producer cannot reach the rate; the
#                    figure is the highest rate reached with nothing lost
#   full drain       the ring filled with no reader, then read empty and timed,
#                    REPS times in one process; the median after the first WARM
# The producer runs on CPU 0 and the consumer on CPU 1, both SCHED_FIFO, so
# other work on a shared machine does not decide the figures (the kernel's
# real-time throttling still leaves it 5% of each CPU); PRIORITY=N runs them
# at nice N instead. Prints median, min and max of each and the ratios to c.
# Usage: bench/drain/run.sh [ROUNDS] [SECONDS]
# Environment: RING_BYTES (4 MiB) and WAKEUP_BYTES (64 KiB), the sensor's
# defaults; FLOW_KEYS (65536, the sensor's flow map size); RATES; REPS (50);
# WARM (25); CONSUMERS ("c cs"); PRODUCER (another build of drain-producer).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
seconds=${2:-1}
ring_bytes=${RING_BYTES:-4194304}
wakeup_bytes=${WAKEUP_BYTES:-65536}
flow_keys=${FLOW_KEYS:-65536}
rates=${RATES:-1 1.5 2 2.5 3 3.5 4 4.5 5 5.5 6 6.5 7 7.5 8 9 10 11 12 13 14 16 18 20}
reps=${REPS:-50}
warm=${WARM:-25}
consumers=${CONSUMERS:-c cs}
priority=${PRIORITY:-rt}
pins=/sys/fs/bpf/ows-bench-drain-$$
producer=${PRODUCER:-out/drain-producer}
c_consumer=out/drain-consume
cs_consumer=bench/OneWaySensor.Bench/bin/Release/net10.0/OneWaySensor.Bench

[ "$(id -u)" = 0 ] || { echo "drain bench: run as root" >&2; exit 1; }
for tool in "$producer" "$c_consumer" "$cs_consumer"; do
	[ -x "$tool" ] || { echo "drain bench: $tool is not built: run make bench-drain" >&2; exit 1; }
done
for tool in taskset chrt; do
	command -v "$tool" >/dev/null || { echo "drain bench: $tool is not installed (util-linux)" >&2; exit 1; }
done
(( reps > warm )) || { echo "drain bench: REPS must be above WARM" >&2; exit 1; }
if ! mountpoint -q /sys/fs/bpf; then mount -t bpf bpf /sys/fs/bpf; fi
if [ "$priority" = rt ]; then
	on_producer=(chrt -f 10)
else
	on_producer=(nice -n "$priority")
fi
on_consumer=("${on_producer[@]}")
if [ "$(nproc)" -ge 2 ]; then
	on_producer+=(taskset -c 0)
	on_consumer+=(taskset -c 1)
fi

# tiered compilation starts counting calls at once instead of after 100 ms with
# no new method compiled: the figures are for the optimized steady state either
# way, but with the default the full-drain process (idle between reps) stayed on
# unoptimized code for 50 to 100 reps, and the live one took seconds to leave it.
# The host's and the bench's runtime configuration set the same; the variable
# covers another build (cs@PATH). TIERING overrides it, to measure the
# runtime's default: TIERING=DOTNET_TC_CallCountingDelayMs=100
tiering=(${TIERING:-DOTNET_TC_CallCountingDelayMs=0})

work=$(mktemp -d)
consumer_pid=
cleanup() {
	if [ -n "$consumer_pid" ]; then
		kill "$consumer_pid" 2>/dev/null || true
		wait "$consumer_pid" 2>/dev/null || true
	fi
	rm -rf "$pins" "$work"
}
trap cleanup EXIT

consumer_command() { # name, mode -> the command in $consumer
	case $1 in
	c) consumer=("$c_consumer" "$2" "$pins") ;;
	cs) consumer=(env "${tiering[@]}" "$cs_consumer" drain "$2" "$pins") ;;
	cs-no-table) consumer=(env "${tiering[@]}" "$cs_consumer" drain "$2-no-table" "$pins") ;;
	cs@*) consumer=(env "${tiering[@]}" "${1#cs@}" drain "$2" "$pins") ;;
	*) echo "drain bench: unknown consumer $1" >&2; exit 1 ;;
	esac
}

fresh_ring() { # a new ring, empty, its loss counter at 0
	rm -rf "$pins"
	"$producer" pin "$pins" "$ring_bytes" "$wakeup_bytes" "$flow_keys" >"$work/pin.out"
}

field() { # line name -> value of name=value
	tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

# sets best (records/s) and note for one consumer
zero_loss() {
	local who=$1 out=$work/live.out line lost offered records target delivered seen warmup clean warm_lost=0 warm_records=0
	fresh_ring
	consumer_command "$who" live
	"${on_consumer[@]}" "${consumer[@]}" >"$out" 2>&1 &
	consumer_pid=$!
	for _ in $(seq 300); do grep -q '^ready' "$out" && break; sleep 0.1; done
	grep -q '^ready' "$out" || { echo "drain bench: $who did not start:" >&2; cat "$out" >&2; exit 1; }
	# warm-up, not counted: 1 s runs at the first rate until two in a row lose nothing
	# (the C# consumer loses records until tiered compilation has optimized its path)
	delivered=0
	clean=0
	for warmup in $(seq 15); do
		line=$("${on_producer[@]}" "$producer" run "$pins" "$(awk "BEGIN { print ${rates%% *} * 1e6 }")" 1)
		lost=$(field "$line" lost) records=$(field "$line" records)
		delivered=$(( delivered + records - lost ))
		warm_lost=$(( warm_lost + lost )) warm_records=$(( warm_records + records ))
		if [ "$lost" = 0 ]; then clean=$((clean + 1)); else clean=0; fi
		if [ "$clean" = 2 ]; then break; fi
	done
	best=0
	# the start-up loss: what the consumer missed before it kept up
	warm_note="warm after $warmup s (lost $warm_lost of $warm_records)"
	note="$warm_note, reached the last rate"
	for rate in $rates; do
		target=$(awk "BEGIN { print $rate * 1e6 }")
		line=$("${on_producer[@]}" "$producer" run "$pins" "$target" "$seconds")
		lost=$(field "$line" lost)
		offered=$(field "$line" offered)
		records=$(field "$line" records)
		delivered=$(( delivered + records - lost ))
		if [ "$lost" != 0 ]; then
			note="$warm_note, lost $lost of $records at $rate M/s"
			break
		fi
		best=$offered
		if awk "BEGIN { exit !($offered < 0.97 * $target) }"; then
			note="$warm_note, the producer reached only $(awk "BEGIN { printf \"%.2f\", $offered / 1e6 }") of $rate M/s"
			break
		fi
	done
	kill -TERM "$consumer_pid"
	wait "$consumer_pid" || true
	consumer_pid=
	seen=$(field "$(grep '^records=' "$out")" records)
	[ "$seen" = "$delivered" ] || note="$note; CONSUMER READ $seen OF $delivered"
}

# appends this run's median ns a record to full[$1]
full_drain() {
	local who=$1 fill line to from ns=()
	fresh_ring
	# the whole ring: ring_bytes over 8-byte sample headers plus records, rounded up to 8
	fill=$(awk -v ring="$ring_bytes" -v record="$(field "$(cat "$work/pin.out")" record_bytes)" \
		'BEGIN { print int(ring / (int((record + 8 + 7) / 8) * 8)) }')
	consumer_command "$who" full
	# the consumer drains once per line it reads; both pipes are opened in the same order, so neither side blocks
	rm -f "$work/to" "$work/from"
	mkfifo "$work/to" "$work/from"
	"${on_consumer[@]}" "${consumer[@]}" <"$work/to" >"$work/from" 2>&1 &
	consumer_pid=$!
	exec {to}>"$work/to" {from}<"$work/from"
	read -r line <&"$from"
	[ "$line" = ready ] || { echo "drain bench: $who did not start: $line" >&2; exit 1; }
	for rep in $(seq "$reps"); do
		line=$("${on_producer[@]}" "$producer" fill "$pins" "$fill")
		[ "$(field "$line" lost)" = 0 ] || { echo "drain bench: the ring was not empty before a fill" >&2; exit 1; }
		echo go >&"$to"
		read -r line <&"$from"
		[ "$(field "$line" records)" = "$fill" ] || { echo "drain bench: $who read '$line', not $fill records" >&2; exit 1; }
		if (( rep > warm )); then ns+=("$(field "$line" ns_per_record)"); fi
	done
	exec {to}>&-
	cat <&"$from" >/dev/null
	exec {from}<&-
	wait "$consumer_pid" || true
	consumer_pid=
	full[$who]+="$(printf '%s\n' "${ns[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }') "
}

label() { # cs@/x/y/OneWaySensor.Bench -> cs@y
	case $1 in
	cs@*) local path=${1#cs@}; path=${path%/*}; echo "cs@${path##*/}" ;;
	*) echo "$1" ;;
	esac
}

source bench/stats.sh

full_consumers=$consumers
[[ " $consumers " == *" cs "* ]] && full_consumers+=" cs-no-table"
declare -A rate full notes
for round in $(seq "$rounds"); do
	for who in $consumers; do
		zero_loss "$who"
		rate[$who]+="$best "
		notes[$who]+="  round $round: $(awk "BEGIN { printf \"%.2f\", $best / 1e6 }") M/s, $note"$'\n'
	done
	for who in $full_consumers; do
		full_drain "$who"
	done
	echo "round $round of $rounds done" >&2
done

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ring $ring_bytes bytes, wake-ups at $wakeup_bytes bytes, $flow_keys flows, $(field "$(cat "$work/pin.out")" record_bytes)-byte records;" \
	"$rounds rounds interleaved, $seconds s a rate step, full drain median of $((reps - warm)) reps, priority $priority"
read -r c_rate _ <<<"$(echo "${rate[c]:-0}" | stats)"
read -r c_full _ <<<"$(echo "${full[c]:-0}" | stats)"
printf '%-12s %30s %8s %28s %10s %8s\n' consumer "zero_loss_M/s(med/min/max)" ratio "full_drain_ns(med/min/max)" "full_M/s" ratio
for who in $full_consumers; do
	read -r fm fmin fmax <<<"$(echo "${full[$who]}" | stats)"
	zero=- zero_ratio=-
	if [ -n "${rate[$who]:-}" ]; then
		read -r rm rmin rmax <<<"$(echo "${rate[$who]}" | stats)"
		zero=$(awk "BEGIN { printf \"%.2f/%.2f/%.2f\", $rm / 1e6, $rmin / 1e6, $rmax / 1e6 }")
		zero_ratio=$(awk "BEGIN { if ($c_rate > 0) printf \"%.2f\", $rm / $c_rate; else print \"-\" }")
	fi
	printf '%-12s %30s %8s %28s %10.1f %8s\n' "$(label "$who")" "$zero" "$zero_ratio" "$fm/$fmin/$fmax" \
		"$(awk "BEGIN { print 1000 / $fm }")" "$(awk "BEGIN { if ($c_full > 0) printf \"%.2f\", $c_full / $fm; else print \"-\" }")"
done
for who in $consumers; do printf '%s:\n%s' "$(label "$who")" "${notes[$who]}"; done
