# OneWaySensor build. Quiet by default; `make V=1` shows the commands.
#   make            deps (when missing), BPF object, skeleton, native shim, .NET host -> out/
#   make test       build, make the container engines ready, run every test (kernel and container tests need root)
#   make run        build, then run the sensor on its defaults (needs root)
#   make bench      build, then run the BenchmarkDotNet suite
#   make bench-system  build, then measure the kernel overhead against the peers (root)
#   make bench-replay  build, then time pcap replay against tshark and tcpdump on one capture
#   make bench-kernel  build, then the programs' cost per packet against reference designs, stage by stage (root)
#   make bench-kernel-live  the same programs attached in turn under 64-byte UDP: kernel run time per invocation (root)
#   make bench-soak    build, then run the sensor 30 minutes under mixed traffic, sampling memory, CPU and losses (root)
#   make bench-drain   build, then find the highest zero-loss ring buffer drain rate, C# host against libbpf C (root)
#   make bench-scale   build, then 100 000 flows across 1 000 cgroups: the sensor's CPU, RSS, map occupancy, alert delay (root)
#   make bench-detection BENCH_ARGS=COMMIT  the detection engine's poll at scale, this tree against COMMIT side by side
#                      (MODE=read: the flow table's reading of every flow instead)

.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

OUT        := out
OBJ        := $(OUT)/obj
CLANG      ?= clang
CC         ?= gcc
BPFTOOL    ?= bpftool
DOTNET     ?= dotnet
CONFIG     ?= Release
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
BTF        ?= /sys/kernel/btf/vmlinux
DOTNET_RID := linux-$(shell uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRC    := bpf/onewaysensor.bpf.c
BPF_HDRS   := $(wildcard bpf/*.h)
BPF_OBJ    := $(OUT)/onewaysensor.bpf.o
SKELETON   := $(OBJ)/onewaysensor.skel.h
VMLINUX    := $(OBJ)/vmlinux.h
SHIM       := $(OUT)/libonewaysensor.so
SHIM_SRC   := $(wildcard native/*.c)
SHIM_HDRS  := $(wildcard native/*.h)
TRAFFICGEN := $(OUT)/owsgen
HOST       := $(OUT)/onewaysensor
DOTNET_SRC := $(shell find sensor -name '*.cs' -o -name '*.csproj' 2>/dev/null) Directory.Build.props Directory.Packages.props global.json

# Debian package that provides each tool the build needs.
DEPS_PACKAGES := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make gcc pkg-config tcpdump iproute2 python3 libpcap0.8
DEPS_STAMP    := $(OBJ)/.deps

.PHONY: all deps native host test run bench bench-system bench-replay bench-kernel bench-kernel-live bench-drain bench-scale bench-detection bench-soak clean

all: $(HOST) $(TRAFFICGEN)

# Installs missing toolchain packages (as root, with apt); a no-op when all are present.
deps: $(DEPS_STAMP)
$(DEPS_STAMP):
	$(Q)mkdir -p $(OBJ)
	$(Q)missing=$$(for p in $(DEPS_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install: $$missing" >&2; exit 1; fi; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	$(Q)command -v $(DOTNET) >/dev/null || { echo "make deps: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 1; }
	$(Q)touch $@

$(VMLINUX): | $(DEPS_STAMP)
	$(call msg,BTF,$@)
	$(Q)test -r $(BTF) || { echo "make: no kernel BTF at $(BTF); CO-RE needs CONFIG_DEBUG_INFO_BTF=y" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(BTF) format c > $@

$(BPF_OBJ): $(BPF_SRC) $(BPF_HDRS) $(VMLINUX) | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
		-I$(OBJ) -Ibpf -c $(BPF_SRC) -o $@

$(SKELETON): $(BPF_OBJ)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name onewaysensor_bpf > $@

$(SHIM): $(SHIM_SRC) $(SHIM_HDRS) $(SKELETON) bpf/onewaysensor.h
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -fPIC -fvisibility=hidden -shared \
		-Ibpf -Inative -I$(OBJ) $(SHIM_SRC) -o $@ -lbpf

$(TRAFFICGEN): tests/tools/owsgen.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror $< -o $@

native: $(SHIM)

# Published ReadyToRun: the host starts on precompiled code instead of JIT-compiling
# its start-up and first polls (bench/RESULTS.md, "Start-up"); still framework-dependent.
$(HOST): $(SHIM) $(DOTNET_SRC)
	$(call msg,DOTNET,$@)
	$(Q)$(DOTNET) publish sensor/OneWaySensor.Cli -c $(CONFIG) -r $(DOTNET_RID) --self-contained false -p:PublishReadyToRun=true \
		-o $(OUT) --nologo -v quiet -clp:NoSummary -clp:ErrorsOnly
	$(Q)touch $@

host: $(HOST)

test: all
	$(Q)tests/tools/test-services.sh
	$(call msg,DOTNET,OneWaySensor.sln)
	$(Q)$(DOTNET) build OneWaySensor.sln -c $(CONFIG) --nologo -v quiet -clp:NoSummary -clp:ErrorsOnly
	$(Q)$(DOTNET) test OneWaySensor.sln -c $(CONFIG) --no-build --nologo --logger "console;verbosity=normal" \
		--logger "trx;LogFileName=results.trx" --results-directory $(OUT)/test-results

run: all
	$(Q)$(HOST) run

RECORD_LOOP := $(OUT)/record-loop

$(RECORD_LOOP): bench/c/record-loop.c bpf/onewaysensor.h | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror -Ibpf $< -o $@

# the C floor for record parsing first, then the BenchmarkDotNet suite
bench: all $(RECORD_LOOP)
	$(Q)$(RECORD_LOOP) 256 && $(RECORD_LOOP) 4096
	$(Q)$(DOTNET) run --project bench/OneWaySensor.Bench -c Release -- --filter '*' $(BENCH_ARGS)

# kernel overhead of the sensor against no BPF, an empty cgroup_skb pair, bpftrace and tcpdump (root; installs the peers when missing)
bench-system: all
	$(Q)for p in iperf3 bpftrace jq bc; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$p >/dev/null; done
	$(Q)bench/system/run.sh $(BENCH_ARGS)

# pcap replay speed against tshark's flow accounting and tcpdump's bare read (installs tshark and bc when missing)
bench-replay: all
	$(Q)for p in tshark bc; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$p >/dev/null; done
	$(Q)bench/replay/run.sh $(BENCH_ARGS)

# the programs' cost per invocation through BPF_PROG_TEST_RUN: empty pair, per-socket counter, the sensor and its cut-down stages (root)
bench-kernel: $(BPF_OBJ)
	$(Q)bench/kernel/run.sh $(BENCH_ARGS)

# the same programs attached in turn at the cgroup root under 64-byte UDP from iperf3: kernel run time per invocation (root)
bench-kernel-live: $(BPF_OBJ)
	$(Q)for p in iperf3 jq; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$p >/dev/null; done
	$(Q)bench/kernel/live.sh $(BENCH_ARGS)

# the soak: 30 minutes of mixed traffic from 40 cgroups; memory must stay flat and nothing be lost (root)
bench-soak: all
	$(Q)bench/soak/run.sh $(BENCH_ARGS)

DRAIN_BPF      := $(OUT)/drain-producer.bpf.o
DRAIN_SKELETON := $(OBJ)/drain_producer.skel.h
DRAIN_PRODUCER := $(OUT)/drain-producer
DRAIN_CONSUMER := $(OUT)/drain-consume
DRAIN_SHARED   := bench/drain/drain.h bpf/onewaysensor.h

# the producer reuses the sensor's ring buffer, reserve/submit and loss counter headers
$(DRAIN_BPF): bench/drain/producer.bpf.c $(DRAIN_SHARED) bpf/records.bpf.h bpf/counters.bpf.h $(VMLINUX) | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
		-I$(OBJ) -Ibpf -Ibench/drain -c $< -o $@

$(DRAIN_SKELETON): $(DRAIN_BPF)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name drain_producer_bpf > $@

$(DRAIN_PRODUCER): bench/drain/producer.c $(DRAIN_SHARED) $(DRAIN_SKELETON)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -Ibpf -Ibench/drain -I$(OBJ) $< -o $@ -lbpf

$(DRAIN_CONSUMER): bench/drain/consumer.c $(DRAIN_SHARED) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -Ibpf -Ibench/drain $< -o $@ -lbpf

# kernel -> user drain: highest zero-loss record rate and full-ring drain time, the C# host's path against a libbpf C consumer (root)
bench-drain: all $(DRAIN_PRODUCER) $(DRAIN_CONSUMER)
	$(call msg,DOTNET,bench/OneWaySensor.Bench)
	$(Q)$(DOTNET) build bench/OneWaySensor.Bench -c Release --nologo -v quiet -clp:NoSummary -clp:ErrorsOnly
	$(Q)bench/drain/run.sh $(BENCH_ARGS)

SCALEGEN := $(OUT)/scalegen

$(SCALEGEN): bench/scale/scalegen.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror $< -o $@

# the sensor under 100 000 concurrent loopback UDP flows in 1 000 cgroups, two flow map sizes (root; installs curl, jq, bc when missing)
bench-scale: all $(SCALEGEN)
	$(Q)for p in curl jq bc bsdextrautils; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$p >/dev/null; done
	$(Q)bench/scale/run.sh $(BENCH_ARGS)

# the detection engine's poll over bench/scale's table, this tree against another commit (BENCH_ARGS="COMMIT [FLOWS] [ROUNDS]")
bench-detection:
	$(Q)dpkg-query -W -f='$${Status}' bc 2>/dev/null | grep -q 'install ok installed' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bc >/dev/null
	$(Q)bench/detection/compare.sh $(BENCH_ARGS)

clean:
	$(call msg,CLEAN,$(OUT))
	$(Q)rm -rf $(OUT)
	$(Q)$(DOTNET) clean OneWaySensor.sln -v quiet >/dev/null 2>&1 || true
