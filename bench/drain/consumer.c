// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The drain benchmark's C floor: a minimal consumer of the producer's
 * pinned ring buffer through libbpf's ring_buffer, as a libbpf tool would
 * write it. Per record it checks the header as RecordReader does (size
 * fits the sample, not below a header, kind and version) and reads every
 * field the host's FlowRecordHandler reads (key, initiator, TCP flags,
 * bytes, time, owner) into a checksum; it keeps no table. The C# side of
 * the comparison is `OneWaySensor.Bench drain`, with the same commands.
 *
 *   drain-consume live DIR
 *       polls the ring (100 ms time-out, as the host's loop) until SIGTERM
 *       or SIGINT, reads what is left, prints the records read
 *   drain-consume full DIR
 *       for each line on stdin (sent once the script has filled the ring
 *       with no reader), times reading the ring empty and prints ns a record
 *
 * Both print "ready" once the ring is mapped, and a last line of totals.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "onewaysensor.h"
#include "drain.h"

#define WAIT_MS 100
#define MAX_RECORD_SIZE 4096

struct consumer {
	unsigned long long records;
	unsigned long long malformed;
	__u64 checksum;
};

static volatile sig_atomic_t stopping;

static void on_signal(int signal)
{
	(void)signal;
	stopping = 1;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ring_buffer's callback: one sample, valid only during the call */
static int on_record(void *ctx, void *data, size_t size)
{
	struct consumer *consumer = ctx;
	const struct ows_flow_open_record *record = data;
	struct ows_record_header header;

	consumer->records++;
	if (size < sizeof(header)) {
		consumer->malformed++;
		return 0;
	}
	memcpy(&header, data, sizeof(header));
	if (header.size > MAX_RECORD_SIZE || header.size < sizeof(header) || header.size > size ||
	    header.kind != OWS_RECORD_FLOW_OPEN || header.version != OWS_RECORD_VERSION ||
	    header.size < sizeof(*record)) {
		consumer->malformed++;
		return 0;
	}
	__u64 address[4];
	memcpy(address, record->key.local_addr, 16);
	memcpy(address + 2, record->key.remote_addr, 16);
	consumer->checksum += record->key.cgroup_id ^ record->key.ip_version ^ record->key.protocol ^
			      record->key.local_port ^ record->key.remote_port ^ address[0] ^ address[1] ^
			      address[2] ^ address[3] ^ record->initiator ^ record->tcp_flags ^
			      record->ip_bytes ^ record->payload_bytes ^ header.timestamp_ns;
	if (record->owner_known)
		consumer->checksum += record->owner.tgid ^ record->owner.pid ^ (__u8)record->owner.comm[0];
	return 0;
}

static int open_ring(const char *dir, struct consumer *consumer, struct ring_buffer **out)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, DRAIN_PIN_RING);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "drain-consume: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	*out = ring_buffer__new(fd, on_record, consumer, NULL);
	if (!*out) {
		fprintf(stderr, "drain-consume: mapping %s: %s\n", path, strerror(errno));
		return -errno;
	}
	return 0; /* the map fd stays open for the ring's life, as libbpf tools do */
}

static int live(struct ring_buffer *ring, struct consumer *consumer)
{
	struct sigaction action = { .sa_handler = on_signal };
	int err = 0;

	/* no SA_RESTART: a signal ends epoll_wait, so a stop is seen at once */
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stopping) {
		/*
		 * wake-ups are batched, so a time-out can leave records below the
		 * threshold waiting: read them then too, as the host's loop does
		 */
		err = ring_buffer__poll(ring, WAIT_MS);
		if (err == 0)
			err = ring_buffer__consume(ring);
		if (err < 0 && err != -EINTR)
			break;
		err = 0;
	}
	if (!err)
		err = ring_buffer__consume(ring) < 0 ? -EIO : 0;
	printf("records=%llu malformed=%llu checksum=%llu\n", consumer->records, consumer->malformed,
	       (unsigned long long)consumer->checksum);
	return err ? 1 : 0;
}

/* one drain of a full ring per line on stdin (the script fills the ring first) */
static int full(struct ring_buffer *ring, struct consumer *consumer)
{
	char line[64];

	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		unsigned long long before = consumer->records;
		long long start = now_ns();
		int read = ring_buffer__consume(ring);
		long long elapsed = now_ns() - start;
		unsigned long long records = consumer->records - before;

		if (read < 0)
			return 1;
		printf("records=%llu ns_per_record=%.2f\n", records, (double)elapsed / (double)(records ? records : 1));
		fflush(stdout);
	}
	printf("records=%llu malformed=%llu checksum=%llu\n", consumer->records, consumer->malformed,
	       (unsigned long long)consumer->checksum);
	return 0;
}

int main(int argc, char **argv)
{
	struct consumer consumer = {};
	struct ring_buffer *ring = NULL;
	int result = 2;

	if (argc == 3 && strcmp(argv[1], "live") == 0) {
		if (open_ring(argv[2], &consumer, &ring) == 0)
			result = live(ring, &consumer);
		else
			result = 1;
	} else if (argc == 3 && strcmp(argv[1], "full") == 0) {
		if (open_ring(argv[2], &consumer, &ring) == 0)
			result = full(ring, &consumer);
		else
			result = 1;
	} else {
		fprintf(stderr, "usage: drain-consume live|full DIR\n");
	}
	ring_buffer__free(ring);
	return result;
}
