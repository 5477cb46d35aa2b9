#!/usr/bin/env bash
# Scale (as root): CGROUPS cgroups x FLOWS_PER_CGROUP concurrent UDP flows
# on loopback, every flow to its own 127.x.y.z, one small datagram per flow
# per round (out/scalegen flows), against an echo sink in a cgroup of its
# own (out/scalegen sink): 1 flow in ONE_WAY_EVERY goes to a port that only
# reads (one-way, so one_way_flow raises on it), the rest are answered.
# Each conversation is two flows to the sensor (the sender's and the
# sink's), so 100 000 flows fill 200 000 flow map entries.
#
# For each flow map size in MAP_SIZES it starts the sensor (flow summaries
# and health records on, as by default; metrics on loopback), then the
# traffic, and every SAMPLE_SECONDS records the sensor's RSS (VmRSS), CPU
# (user+system, % of one core over the interval) and, from its metrics, the
# managed heap, allocation rate, poll time, flow map occupancy, kernel
# losses and output drops, with the machine's CPU pressure (PSI "some",
# 10 s average: the share of time something waited for a CPU). Probe flows,
# opened one by one after the warm-up, give the time from a flow's first
# packet to its alert on the sensor's stdout. Prints the time series and a
# summary per map size.
#
# Usage: bench/scale/run.sh [CGROUPS] [FLOWS_PER_CGROUP] [SECONDS] ["MAP_SIZES"]
#   defaults 1000 100 300 "262144 65536"; the environment may set
#   ROUND_MS (10000), SAMPLE_SECONDS (5), WINDOW_SECONDS (60),
#   WARMUP_SECONDS (90), ONE_WAY_EVERY (100), PROBES (4),
#   BEACON_SILENCE_SECONDS (30: see below), SENSOR_NICE (-5: see below),
#   KEEP_WORK (keep the raw files), SENSORS (out/onewaysensor: several
#   builds of the host, each with its own shim and BPF object beside it,
#   run in turn for each map size, so two builds compare in one run; the
#   word "counter" stands for the bare per-socket counter pair of
#   bench/kernel/references.bpf.c, and "program:VARIANT" for the sensor's
#   own pair cut as bench/kernel/ablate.py cuts it (program:full is the
#   whole pair), its flow map sized as the run's: each attached at the
#   cgroup v2 root with no user space, whose packet programs' time the same
#   traffic then gives. With no poll, a socket's counts stay pending and
#   no flow-open record is read: the pair's own cost, without the cache
#   the sensor's user space and its flush take from it)
#
# With bpftool present, the kernel's run time statistics are on for the
# run (kernel.bpf_stats_enabled, restored after): each summary gives the
# socket flush iterator's time a poll and a socket, and the packet
# programs' time a packet. The statistics cost two clock reads a program
# run themselves, in every build alike.
#
# A round every 10 s keeps every flow live (the idle timeout is 120 s) at
# 10 000 datagrams/s each way: the sensor's user-space work per poll is
# per flow in the map, not per packet, and two cores cannot carry much more
# loopback traffic besides the sensor. At a round every 2 s the generators
# and the sink fell minutes behind and dropped most echoes.
#
# Detection:Beacon:SilenceSeconds is raised from 2 to 30 s: with the default
# a flow that sends every round is a new contact each time, so every one of
# the 200 000 flows is a perfect beacon and the run measures an alert storm
# instead of steady traffic. Above the round, each flow is one long contact.
#
# The sensor runs at nice -5: on two shared cores the generators, the sink,
# the loopback stack and other users' builds would otherwise decide how
# much CPU it gets. CPU per poll (cpu_ms_poll) depends least on how much
# it got.
set -euo pipefail
cd "$(dirname "$0")/../.."
cgroups=${1:-1000}
per_cgroup=${2:-100}
seconds=${3:-300}
map_sizes=${4:-"262144 65536"}
round_ms=${ROUND_MS:-10000}
sample=${SAMPLE_SECONDS:-5}
window=${WINDOW_SECONDS:-60}
warmup=${WARMUP_SECONDS:-90}
one_way_every=${ONE_WAY_EVERY:-100}
probes=${PROBES:-4}
silence=${BEACON_SILENCE_SECONDS:-30}
sensor_nice=${SENSOR_NICE:--5}
echo_port=5311
drain_port=5312
metrics_port=9479
work=$(mktemp -d)

[ "$(id -u)" = 0 ] || { echo "scale bench: run as root" >&2; exit 1; }
for tool in curl awk jq bc column; do
	command -v "$tool" >/dev/null || { echo "scale bench: $tool is not installed" >&2; exit 1; }
done
read -r -a sensors <<<"${SENSORS:-out/onewaysensor}"
[ -x out/scalegen ] || { echo "scale bench: run make bench-scale (out/onewaysensor, out/scalegen)" >&2; exit 1; }
for sensor in "${sensors[@]}"; do
	[ "$sensor" = counter ] || [[ "$sensor" == program:* ]] || [ -x "$sensor" ] || { echo "scale bench: $sensor is not built (make bench-scale builds out/onewaysensor)" >&2; exit 1; }
done
root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$root" ] || { echo "scale bench: no cgroup v2 mount" >&2; exit 1; }
dir=$root/ows-scale
[ ! -e "$dir" ] || { echo "scale bench: $dir exists (another run, or a dead one: rmdir its cgroups)" >&2; exit 1; }
# probes open after the warm-up and must each reach their window before the traffic stops
probe_every=$(( probes > 0 ? (seconds - warmup - window - 15) / probes : 1 ))
[ "$probes" = 0 ] || [ "$probe_every" -ge 1 ] || { echo "scale bench: SECONDS too short for $probes probes after a ${warmup} s warm-up and a ${window} s window" >&2; exit 1; }
clk_tck=$(getconf CLK_TCK)

# one generator holds at most its hard RLIMIT_NOFILE of sockets (raising it takes CAP_SYS_RESOURCE)
per_process=$(( ($(ulimit -Hn) - 100) / per_cgroup ))
[ "$per_process" -ge 1 ] || { echo "scale bench: RLIMIT_NOFILE $(ulimit -Hn) is below $per_cgroup sockets" >&2; exit 1; }

sensor_pid= sink_pid=
gen_pids=()
stop() { # PID: TERM, then wait (30 s at most: the sensor writes its last summaries) for it to go
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
remove_cgroups() {
	[ -d "$dir" ] || return 0
	for cg in "$dir"/*/; do rmdir "$cg" 2>/dev/null || echo "scale bench: could not remove $cg" >&2; done
	rmdir "$dir" 2>/dev/null || echo "scale bench: could not remove $dir" >&2
}
stats_before=
if command -v bpftool >/dev/null; then
	stats_before=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
fi
cleanup() {
	for pid in "${gen_pids[@]}"; do stop "$pid"; done
	stop "$sink_pid"; stop "$sensor_pid"
	gen_pids=() sink_pid= sensor_pid=
	detach_pair
	remove_cgroups
	[ -z "$stats_before" ] || sysctl -qw kernel.bpf_stats_enabled="$stats_before"
	[ -n "${KEEP_WORK:-}" ] && echo "scale bench: kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pair_pins=/sys/fs/bpf/ows-bench-scale-$$
# bare pairs: the references' object now; the cuts of the sensor's pair are copied now and built for each map size (attach_pair)
if [[ " ${sensors[*]} " == *" counter "* || " ${sensors[*]} " == *" program:"* ]]; then
	command -v clang >/dev/null && command -v bpftool >/dev/null && command -v python3 >/dev/null && [ -f out/obj/vmlinux.h ] ||
		{ echo "scale bench: the bare pairs need clang, bpftool, python3 and out/obj/vmlinux.h (make bench-system)" >&2; exit 1; }
	source bench/kernel/programs.sh
	build bench/kernel/references.bpf.c "$work/references.bpf.o"
	python3 bench/kernel/ablate.py . "$work/cuts" >"$work/cut-names"
	for sensor in "${sensors[@]}"; do
		[[ "$sensor" == program:* ]] || continue
		grep -qx "${sensor#program:}" "$work/cut-names" || { echo "scale bench: $sensor: no such cut (bench/kernel/ablate.py has: $(paste -sd' ' "$work/cut-names"))" >&2; exit 1; }
	done
fi
# PAIR -> the object and the names of its egress and ingress programs
pair_object() {
	case $1 in
	counter) echo "$work/references.bpf.o socket_egress socket_ingress" ;;
	program:*) echo "$work/${1#program:}.$2.bpf.o ows_egress ows_ingress" ;;
	esac
}
# PAIR MAP_ENTRIES: builds a cut with its flow map sized, then attaches the pair at the cgroup v2 root; detach_pair (and so cleanup) takes it away
attach_pair() {
	local object egress ingress cut
	if [[ "$1" == program:* ]]; then
		cut=$work/cuts/${1#program:}
		# the first map of the file, the flow map: a cut may add maps of its own sizes after it
		sed -i "0,/__uint(max_entries, [0-9]*);/s//__uint(max_entries, $2);/" "$cut/flows.bpf.h"
		build "$cut/onewaysensor.bpf.c" "$work/${1#program:}.$2.bpf.o"
	fi
	read -r object egress ingress <<<"$(pair_object "$1" "$2")"
	if ! mountpoint -q /sys/fs/bpf; then mount -t bpf bpf /sys/fs/bpf; fi
	bpftool prog loadall "$object" "$pair_pins"
	bpftool cgroup attach "$root" egress pinned "$pair_pins/$egress" multi
	bpftool cgroup attach "$root" ingress pinned "$pair_pins/$ingress" multi
	attached_pair="$pair_pins/$egress $pair_pins/$ingress"
}
attached_pair=
detach_pair() {
	[ -d "$pair_pins" ] || return 0
	local egress ingress
	read -r egress ingress <<<"$attached_pair"
	[ -z "$egress" ] || bpftool cgroup detach "$root" egress pinned "$egress" 2>/dev/null || true
	[ -z "$ingress" ] || bpftool cgroup detach "$root" ingress pinned "$ingress" 2>/dev/null || true
	rm -rf "$pair_pins"
	attached_pair=
}
# PINNED_PROGRAM -> "run_time_ns run_cnt"
pinned_stats() { bpftool prog show pinned "$1" --json | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'; }

. bench/sample.sh
running() { for pid; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
cpu_pressure() { awk -F'[ =]' '$1 == "some" { print $3 }' /proc/pressure/cpu 2>/dev/null || echo -; }
# PID PROGRAM_PREFIX -> "run_time_ns run_cnt" summed over that process's programs of that name
# (the process's own: found by the program ids of its descriptors, as bpftool here cannot list owners)
bpf_stats() {
	[ -n "$stats_before" ] || { echo "0 0"; return; }
	local ids
	ids=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' | sort -u | paste -sd, -)
	bpftool prog show --json 2>/dev/null | jq -r --argjson ids "[$ids]" --arg name "$2" \
		'[.[] | select((.name // "") | startswith($name)) | select(.id as $id | $ids | index($id))]
		 | "\(map(.run_time_ns // 0) | add // 0) \(map(.run_cnt // 0) | add // 0)"'
}
# the generators' traffic under a bare pair instead of a sensor: only its packet programs' time
run_pair() { # PAIR MAP_ENTRIES NAME
	local pair=$1 name=$3 egress ingress
	attach_pair "$pair" "$2"
	start_generators "$name"
	wait_generators "$name"
	read -r egress ingress <<<"$attached_pair"
	egress=$(pinned_stats "$egress") ingress=$(pinned_stats "$ingress")
	detach_pair
	stop "$sink_pid"; sink_pid=
	remove_cgroups
	echo
	echo "== the bare pair $pair, flow map $2 entries (if it has one): $cgroups cgroups x $per_cgroup flows, ${seconds} s, a round every ${round_ms} ms =="
	grep -h "^totals\|^sink " "$work"/gen.$name.* "$work/sink.$name" || true
	echo "$egress $ingress" | awk -v pair="$pair" -v map="$2" '
		function per(t, c) { return c > 0 ? t / c : -1 }
		{ printf "summary %s map=%d: kernel: packets %.0f/%.0f ns\n", pair, map, per($1, $2), per($3, $4) }' | tee -a "$work/summaries"
}

# the flow generators (the first also opens the probes), their pids in gen_pids
start_generators() { # NAME
	local name=$1 first=0 part=0 take
	while [ "$first" -lt "$cgroups" ]; do
		take=$(( cgroups - first < per_process ? cgroups - first : per_process ))
		out/scalegen flows "$dir" "$first" "$take" "$per_cgroup" "$one_way_every" $echo_port $drain_port "$round_ms" "$seconds" \
			"$warmup" "$probe_every" "$([ "$first" = 0 ] && echo "$probes" || echo 0)" >"$work/gen.$name.$part" 2>"$work/gen-err.$name.$part" &
		gen_pids+=($!)
		first=$((first + take)) part=$((part + 1))
	done
}

# waits for the generators, which stop by themselves; one that failed ends the run
wait_generators() { # NAME
	for pid in "${gen_pids[@]}"; do
		wait "$pid" || { echo "scale bench: a generator failed:" >&2; cat "$work"/gen-err.$1.* >&2; exit 1; }
	done
	gen_pids=()
}

run_config() { # MAP_ENTRIES SENSOR_INDEX
	local map=$1 sensor=${sensors[$2]} name=map$1.$2 series=$work/series.$1.$2
	mkdir "$dir"
	for i in $(seq 0 $((cgroups - 1))); do mkdir "$dir/$(printf 'cg-%04d' "$i")"; done
	mkdir "$dir/gen" "$dir/probe" "$dir/sink"

	bash -c 'echo $$ > "$1/cgroup.procs" && exec "$2" sink "$3" "$4" "$5"' _ "$dir/sink" out/scalegen $echo_port $drain_port $((seconds + 600)) >"$work/sink.$name" 2>&1 &
	sink_pid=$!
	for _ in $(seq 50); do grep -q "sink ready" "$work/sink.$name" && break; sleep 0.1; done
	grep -q "sink ready" "$work/sink.$name" || { cat "$work/sink.$name" >&2; exit 1; }
	if [ "$sensor" = counter ] || [[ "$sensor" == program:* ]]; then
		run_pair "$sensor" "$map" "$name"
		return
	fi

	nice -n "$sensor_nice" "$sensor" run --no-engine --state '' --set Sensor:ControlSocket= --set Sensor:FlowPinDirectory= \
		--set Detection:Beacon:SilenceSeconds="$silence" --metrics 127.0.0.1:$metrics_port \
		--window "$window" --flow-map-entries "$map" --duration $((seconds + 600)) \
		> >(out/scalegen stamp >"$work/alerts.$name" 2>"$work/stamp.$name") 2>"$work/sensor.$name" &
	sensor_pid=$!
	for _ in $(seq 150); do grep -q "sensor ready" "$work/sensor.$name" && break; sleep 0.1; done
	grep -q "sensor ready" "$work/sensor.$name" || { cat "$work/sensor.$name" >&2; exit 1; }
	sleep 2
	local idle_rss
	idle_rss=$(rss_kib "$sensor_pid")

	start_generators "$name"
	local start ticks_before t_before alloc_before polls_before now ticks alloc polls hwm=0 flush_before packets_before
	start=$(date +%s%N)
	local polls_start
	flush_before=$(bpf_stats "$sensor_pid" ows_flush) packets_before=$(bpf_stats "$sensor_pid" ows_e; bpf_stats "$sensor_pid" ows_in)
	polls_start=$(curl -s --max-time 2 "http://127.0.0.1:$metrics_port/metrics" | awk '$1 == "onewaysensor_polls_total" { print $2 }')
	ticks_before=$(cpu_ticks "$sensor_pid") t_before=$start alloc_before=0 polls_before=0
	echo "t_s rss_mib heap_mib cpu_pct cpu_ms_poll alloc_mb_s poll_ms map_entries tracked ring_full evicted restarted forgotten out_dropped alerts summaries cpu_psi" >"$series"
	# the generators stop by themselves after their setup and SECONDS; the bound is a second guard
	while running "${gen_pids[@]}" && [ $(( ($(date +%s%N) - start) / 1000000000 )) -lt $((seconds + 240)) ]; do
		sleep "$sample"
		kill -0 "$sensor_pid" 2>/dev/null || { echo "scale bench: the sensor exited" >&2; tail -5 "$work/sensor.$name" >&2; exit 1; }
		now=$(date +%s%N)
		ticks=$(cpu_ticks "$sensor_pid")
		hwm=$(awk '$1 == "VmHWM:" { print int($2 / 1024) }' "/proc/$sensor_pid/status")
		curl -s --max-time 2 "http://127.0.0.1:$metrics_port/metrics" >"$work/metrics" || true
		alloc=$(metric onewaysensor_gc_allocated_bytes_total "$work/metrics")
		polls=$(metric onewaysensor_polls_total "$work/metrics")
		echo "$(( (now - start) / 1000000000 )) $(( $(rss_kib "$sensor_pid") / 1024 ))" \
			"$(metric onewaysensor_gc_heap_bytes "$work/metrics" 0.00000095367431640625)" \
			"$(echo "($ticks - $ticks_before) * 100 / $clk_tck / (($now - $t_before) / 1000000000)" | bc -l | xargs printf '%.0f')" \
			"$([ "$polls" -gt "$polls_before" ] && echo "($ticks - $ticks_before) * 1000 / $clk_tck / ($polls - $polls_before)" | bc -l | xargs printf '%.0f' || echo -)" \
			"$(echo "($alloc - $alloc_before) / 1000000 / (($now - $t_before) / 1000000000)" | bc -l | xargs printf '%.0f')" \
			"$(metric onewaysensor_poll_seconds "$work/metrics" 1000)" \
			"$(metric onewaysensor_flow_map_entries "$work/metrics")" \
			"$(metric onewaysensor_flows_tracked "$work/metrics")" \
			"$(metric 'onewaysensor_kernel_records_lost_total{reason="ring_buffer_full"}' "$work/metrics")" \
			"$(metric onewaysensor_flow_map_evictions_total "$work/metrics")" \
			"$(metric 'onewaysensor_kernel_records_lost_total{reason="flows_restarted"}' "$work/metrics")" \
			"$(metric onewaysensor_flows_forgotten_at_limit_total "$work/metrics")" \
			"$(metric onewaysensor_output_queue_dropped_total "$work/metrics")" \
			"$(metric onewaysensor_alerts_total "$work/metrics")" \
			"$(metric 'onewaysensor_records_total{kind="flow_summary"}' "$work/metrics")" \
			"$(cpu_pressure)" >>"$series"
		ticks_before=$ticks t_before=$now alloc_before=$alloc polls_before=$polls
	done
	wait_generators "$name"
	local poll_max flush packets
	poll_max=$(metric onewaysensor_poll_seconds_max "$work/metrics" 1000)
	flush=$(bpf_stats "$sensor_pid" ows_flush) packets=$(bpf_stats "$sensor_pid" ows_e; bpf_stats "$sensor_pid" ows_in)
	polls=$(metric onewaysensor_polls_total "$work/metrics")
	# the kernel's time: the flush iterator a poll and a socket visited, the packet programs a packet (egress/ingress)
	local kernel
	# fields: flush before (time, count), egress and ingress before, the same after, polls before and after
	kernel=$(echo "$flush_before $packets_before $flush $packets ${polls_start:-0} $polls" | tr '\n' ' ' | awk '
		function per(t, c) { return c > 0 ? t / c : -1 }
		{ printf "flush iterator %.1f ms a poll, %.0f ns a socket; packets %.0f/%.0f ns",
			per($7 - $1, $14 - $13) / 1e6, per($7 - $1, $8 - $2), per($9 - $3, $10 - $4), per($11 - $5, $12 - $6) }')
	stop "$sensor_pid"; sensor_pid=
	stop "$sink_pid"; sink_pid=
	for _ in $(seq 50); do grep -q "stamp:" "$work/stamp.$name" 2>/dev/null && break; sleep 0.1; done
	remove_cgroups

	echo
	echo "== $sensor, flow map $map entries: $cgroups cgroups x $per_cgroup flows, ${seconds} s, a round every ${round_ms} ms, window ${window} s =="
	cat "$work"/gen-err.$name.*
	grep -h "^totals\|^sink " "$work"/gen.$name.* "$work/sink.$name" || true
	column -t "$series"
	grep -E "loss:|output loss|stopped" "$work/sensor.$name" | sed 's/^/sensor: /' | tail -3 || true
	cat "$work/stamp.$name"

	# first packet to alert, per probe: the alert's arrival on stdout (stamped as read) and its own "time"
	local latencies=
	while read -r _ n addr _ first_ns; do
		local line stamp alert_time
		line=$(grep -m1 -F "\"remote_addr\":\"$addr\"" "$work/alerts.$name" || true)
		[ -n "$line" ] || { echo "probe $n ($addr): no alert"; continue; }
		stamp=${line%% *}
		alert_time=$(echo "${line#* }" | jq -r '.time')
		printf 'probe %s (%s): first packet to alert on stdout %.3f s (alert time field %.3f s)\n' "$n" "$addr" \
			"$(echo "$stamp - $first_ns / 1000000000" | bc -l)" "$(echo "$(date -d "$alert_time" +%s.%N) - $first_ns / 1000000000" | bc -l)"
		latencies+="$(echo "$stamp - $first_ns / 1000000000" | bc -l) "
	done < <(grep -h "^probe " "$work"/gen.$name.*)

	awk -v warmup="$warmup" -v sensor="$sensor" -v kernel="$kernel" -v idle="$((idle_rss / 1024))" -v hwm="$hwm" -v map="$map" -v lat="$latencies" -v poll_max="$poll_max" '
		function sort(a, n,   i, j, v) { for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j > 0 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v } }
		function median(a, n) { sort(a, n); return n ? a[int((n + 1) / 2)] : -1 }
		NR == 1 { next }
		{ peak_map = $8 > peak_map ? $8 : peak_map; peak_tracked = $9 > peak_tracked ? $9 : peak_tracked; split($0, f, " ") }
		$1 >= warmup {
			if (!started) { started = 1; t0 = $1; rss0 = $2 }
			rss_peak = $2 > rss_peak ? $2 : rss_peak; heap_peak = $3 > heap_peak ? $3 : heap_peak
			t1 = $1; rss1 = $2; n++; cpu[n] = $4; alloc[n] = $6; poll[n] = $7
			if ($5 != "-") cpu_poll[++np] = $5
		}
		END {
			m = split(lat, l, " "); for (i = 1; i <= m; i++) l[i] += 0
			printf "summary %s map=%d: RSS idle %d MiB; after the %d s warm-up start %d, peak %d, end %d MiB (%+.1f MiB/min), managed heap peak %d MiB; VmHWM %d MiB; CPU median %d%% of a core, %d ms a poll; allocation median %d MB/s; poll median %d ms, longest %d ms; map entries peak %d, flows tracked peak %d; ring full %d, evicted %d, restarted %d, forgotten at limit %d, output dropped %d, alerts %d, summaries %d; first packet to alert median %.2f s (%d probes); kernel: %s\n",
				sensor, map, idle, warmup, rss0, rss_peak, rss1, (t1 > t0 ? (rss1 - rss0) * 60 / (t1 - t0) : 0), heap_peak, hwm, median(cpu, n), median(cpu_poll, np), median(alloc, n), median(poll, n), poll_max,
				peak_map, peak_tracked, f[10], f[11], f[12], f[13], f[14], f[15], f[16], (m ? median(l, m) : -1), m, kernel
		}' "$series" | tee -a "$work/summaries"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r); cgroup v2 at $root; $(date -u '+%F %T') UTC"
for map in $map_sizes; do
	for i in "${!sensors[@]}"; do
		run_config "$map" "$i"
	done
done
echo
cat "$work/summaries"
