// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The drain benchmark's producer driver (as root): loads producer.bpf.c,
 * pins it, and runs it at a paced rate. Every command prints one line of
 * key=value pairs for bench/drain/run.sh.
 *
 *   drain-producer pin DIR [RING_BYTES [WAKEUP_BYTES [FLOW_KEYS]]]
 *       loads the programs with the ring sized and the wake-ups batched as
 *       given (defaults: the sensor's, 4 MiB and 64 KiB; 65536 flows) and
 *       pins them and their maps in DIR, which must be on bpffs
 *   drain-producer run DIR RATE SECONDS
 *       offers RATE records a second for SECONDS, in batches paced on the
 *       clock, then waits (up to 3 s) until a consumer has read the ring
 *       empty; prints the rate reached, the records offered and those lost
 *   drain-producer fill DIR COUNT
 *       writes COUNT records at once, with no pacing
 *
 * Remove DIR to unload everything (once no consumer holds the ring).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "onewaysensor.h"
#include "drain.h"
#include "drain_producer.skel.h"

#define MAX_BATCH 4096
#define DRAIN_WAIT_NS 3000000000ll

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int pin_path(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int open_pin(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (pin_path(path, dir, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "drain-producer: %s: %s (pin it first)\n", path, strerror(errno));
	return fd;
}

static int pin(const char *dir, __u32 ring_bytes, __u64 wakeup_bytes, __u32 flow_keys)
{
	struct drain_producer_bpf *skel;
	char path[PATH_MAX];
	int err;

	if (flow_keys == 0 || flow_keys > (1u << 24)) {
		fprintf(stderr, "drain-producer: FLOW_KEYS must be 1 to 16777216\n");
		return 2;
	}
	skel = drain_producer_bpf__open();
	if (!skel) {
		fprintf(stderr, "drain-producer: opening the BPF object: %s\n", strerror(errno));
		return 1;
	}
	err = bpf_map__set_max_entries(skel->maps.ows_records, ring_bytes);
	if (err)
		goto cleanup;
	skel->rodata->ringbuf_wakeup_bytes = wakeup_bytes;
	skel->rodata->flow_keys = flow_keys;
	err = drain_producer_bpf__load(skel);
	if (err)
		goto cleanup;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		goto cleanup;
	}
	/* a failure part way leaves pins that run.sh's cleanup removes with DIR */
	if ((err = pin_path(path, dir, DRAIN_PIN_PRODUCE)) || (err = bpf_program__pin(skel->progs.produce, path)))
		goto cleanup;
	if ((err = pin_path(path, dir, DRAIN_PIN_AVAIL)) || (err = bpf_program__pin(skel->progs.ring_avail, path)))
		goto cleanup;
	if ((err = pin_path(path, dir, DRAIN_PIN_RING)) || (err = bpf_map__pin(skel->maps.ows_records, path)))
		goto cleanup;
	if ((err = pin_path(path, dir, DRAIN_PIN_COUNTERS)) || (err = bpf_map__pin(skel->maps.ows_counters, path)))
		goto cleanup;
	printf("pinned=%s ring_bytes=%u wakeup_bytes=%llu flow_keys=%u record_bytes=%zu\n", dir, ring_bytes,
	       (unsigned long long)wakeup_bytes, flow_keys, sizeof(struct ows_flow_open_record));

cleanup:
	if (err)
		fprintf(stderr, "drain-producer: pinning in %s: %s\n", dir, strerror(-err));
	drain_producer_bpf__destroy(skel); /* the pins keep everything loaded */
	return err ? 1 : 0;
}

/* the loss counter, summed over the CPUs */
static int read_lost(int counters_fd, __u64 *lost)
{
	__u32 key = OWS_COUNTER_RINGBUF_FULL;
	int cpus = libbpf_num_possible_cpus();
	__u64 *values;

	if (cpus <= 0)
		return cpus ? cpus : -EINVAL;
	values = calloc((size_t)cpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	if (bpf_map_lookup_elem(counters_fd, &key, values) < 0) {
		free(values);
		return -errno;
	}
	*lost = 0;
	for (int i = 0; i < cpus; i++)
		*lost += values[i];
	free(values);
	return 0;
}

/* one run of the producer: count records */
static int produce(int prog_fd, __u32 count)
{
	struct drain_batch batch = { .count = count };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &batch, .ctx_size_in = sizeof(batch));

	if (bpf_prog_test_run_opts(prog_fd, &opts) < 0)
		return -errno;
	return 0;
}

static int ring_avail(int avail_fd, __u32 *bytes)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(avail_fd, &opts) < 0)
		return -errno;
	*bytes = opts.retval;
	return 0;
}

static int run(const char *dir, double rate, double seconds, __u64 fill_count)
{
	int prog_fd = open_pin(dir, DRAIN_PIN_PRODUCE);
	int avail_fd = open_pin(dir, DRAIN_PIN_AVAIL);
	int counters_fd = open_pin(dir, DRAIN_PIN_COUNTERS);
	__u64 total = fill_count ? fill_count : (__u64)(rate * seconds);
	__u64 lost_before = 0, lost_after = 0, sent = 0;
	const struct timespec millisecond = { .tv_nsec = 1000000 };
	__u32 batch, avail = 0;
	long long start, end, drained, period_ns;
	int err = 0;

	if (prog_fd < 0 || avail_fd < 0 || counters_fd < 0)
		return 1;
	/* batches of about 100 us at the target rate: fine pacing, few system calls */
	batch = fill_count ? MAX_BATCH : (__u32)(rate / 10000);
	batch = batch < 16 ? 16 : batch > MAX_BATCH ? MAX_BATCH : batch;
	period_ns = fill_count ? 0 : (long long)(batch * 1e9 / rate);
	prctl(PR_SET_TIMERSLACK, 1UL); /* the default 50 us slack would stretch every sleep */
	err = read_lost(counters_fd, &lost_before);
	start = now_ns();
	for (__u64 i = 0; !err && sent < total; i++) {
		long long deadline = start + (long long)i * period_ns;
		__u32 count = total - sent < batch ? (__u32)(total - sent) : batch;

		/* behind schedule: no sleep, so the rate reached says what the producer could do */
		if (deadline > now_ns()) {
			struct timespec ts = { .tv_sec = deadline / 1000000000ll, .tv_nsec = deadline % 1000000000ll };

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
		err = produce(prog_fd, count);
		sent += count;
	}
	end = now_ns();
	/* a consumer reads the tail within its wait time-out; give it time to */
	drained = end;
	while (!err && !fill_count) {
		err = ring_avail(avail_fd, &avail);
		drained = now_ns();
		if (err || avail == 0 || drained - end > DRAIN_WAIT_NS)
			break;
		nanosleep(&millisecond, NULL);
	}
	if (!err)
		err = read_lost(counters_fd, &lost_after);
	if (err) {
		fprintf(stderr, "drain-producer: %s\n", strerror(-err));
		return 1;
	}
	printf("target=%.0f offered=%.0f records=%llu lost=%llu undrained_bytes=%u drain_wait_ms=%.1f\n",
	       fill_count ? 0 : rate, sent / ((end - start) / 1e9), (unsigned long long)sent,
	       (unsigned long long)(lost_after - lost_before), avail, (drained - end) / 1e6);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: drain-producer pin DIR [RING_BYTES [WAKEUP_BYTES [FLOW_KEYS]]]\n"
			"       drain-producer run DIR RATE SECONDS\n"
			"       drain-producer fill DIR COUNT\n");
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "pin") == 0 && argc <= 6)
		return pin(argv[2], argc > 3 ? (__u32)strtoul(argv[3], NULL, 0) : 4u << 20,
			   argc > 4 ? strtoull(argv[4], NULL, 0) : 64u << 10,
			   argc > 5 ? (__u32)strtoul(argv[5], NULL, 0) : 65536);
	if (argc == 5 && strcmp(argv[1], "run") == 0 && atof(argv[3]) > 0 && atof(argv[4]) > 0)
		return run(argv[2], atof(argv[3]), atof(argv[4]), 0);
	if (argc == 4 && strcmp(argv[1], "fill") == 0 && strtoull(argv[3], NULL, 0) > 0)
		return run(argv[2], 0, 0, strtoull(argv[3], NULL, 0));
	usage();
	return 2;
}
