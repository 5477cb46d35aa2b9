# Sourced by bench/kernel/run.sh and bench/kernel/live.sh, which measure the
# same programs two ways: builds them, and summarizes what was measured.

arch=$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
build() { clang -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$arch -Iout/obj -I"$(dirname "$1")" -c "$1" -o "$2"; }

# builds the cut-down copies of the sensor's program (bench/kernel/ablate.py)
# as DIR/VARIANT.bpf.o and the references as DIR/references.bpf.o; prints the variants
build_programs() {
	local dir=$1 variant variants
	variants=$(python3 bench/kernel/ablate.py . "$dir") || return 1
	for variant in $variants; do
		build "$dir/$variant/onewaysensor.bpf.c" "$dir/$variant.bpf.o" || return 1
	done
	build bench/kernel/references.bpf.c "$dir/references.bpf.o" || return 1
	echo $variants
}

source bench/stats.sh
