# Sourced by the interleaved benchmarks: one way to sum up their rounds.
# On a shared machine the load drifts more between rounds than two
# neighbouring measurements differ, so a configuration is also compared
# with its baseline round by round (paired, difference), each ratio from
# one round, not only median against median.

# [DIGITS]: space-separated numbers on stdin -> "median min max", with
# DIGITS decimals, or as written when DIGITS is not given
stats() {
	tr ' ' '\n' | sed '/^$/d' | sort -g | awk -v digits="${1:-}" '{ v[NR] = $1 }
		END { f = digits == "" ? "%s" : "%." digits "f"; printf f " " f " " f, v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# A_LIST B_LIST: round by round A/B of two space-separated lists in round
# order -> "median min max rounds below", below being the rounds A was below B
paired() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++) { printf "%s ", x[i] / y[i]; below += x[i] < y[i] }
		printf "\n%d %d\n", n, below }' | {
		read -r ratios
		read -r rounds below
		echo "$(echo "$ratios" | stats 3) $rounds $below"
	}
}

# A_LIST B_LIST BASE_LIST: round by round A/BASE - B/BASE in points
# (hundredths) -> "median min max rounds"
difference() {
	local rounds
	rounds=$(wc -w <<<"$1")
	echo "$(awk -v a="$1" -v b="$2" -v base="$3" 'BEGIN { n = split(a, x, " "); split(b, y, " "); split(base, z, " ")
		for (i = 1; i <= n; i++) printf "%s ", 100 * (x[i] - y[i]) / z[i] }' | stats 1) $rounds"
}
