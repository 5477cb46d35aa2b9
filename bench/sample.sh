# Sourced by the system benchmarks that watch a running sensor
# (bench/scale/run.sh, bench/soak/run.sh): one way to read each figure.

# a metric from a file of Prometheus text, summed over its labels (or one label: NAME{label="v"}), times SCALE
metric() { awk -v name="$1" -v scale="${3:-1}" 'index($1, name) == 1 && (substr($1, length(name) + 1, 1) ~ /^[{]?$/) { sum += $2 } END { printf "%.0f", sum * scale }' "$2"; }

# user plus system CPU of a process, in clock ticks (the command name may hold spaces)
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# resident memory of a process, in KiB
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
