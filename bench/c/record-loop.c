// The floor for user-space record parsing: a plain C loop that frames
// flow-open records (struct ows_flow_open_record from bpf/onewaysensor.h,
// the layout the kernel writes) and reads one field of each, as the C#
// RecordDispatchBenchmarks.ParseOnly does with RecordReader: the same
// checks (header fits, size not oversized, not below a header, record
// fits) and the same field (payload_bytes).
//
//   record-loop [BATCH]   prints ns per record, hot (the batch read over
//                         and over) and streaming (a 256 MiB buffer, once)
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onewaysensor.h"

#define MAX_RECORD_SIZE 4096

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fill(unsigned char *buffer, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct ows_flow_open_record r;
		memset(&r, 0, sizeof(r));
		r.header.kind = OWS_RECORD_FLOW_OPEN;
		r.header.version = OWS_RECORD_VERSION;
		r.header.size = sizeof(r);
		r.header.timestamp_ns = 1000 + i;
		r.key.cgroup_id = 42;
		r.key.ip_version = 4;
		r.key.protocol = 17;
		r.key.local_port = (__u16)(10000 + i);
		r.key.remote_port = 53;
		r.ip_bytes = 128;
		r.payload_bytes = 100 + (i & 7);
		memcpy(buffer + i * sizeof(r), &r, sizeof(r));
	}
}

// returns the sum of payload_bytes, so the compiler cannot drop the reads
static uint64_t parse(const unsigned char *buffer, size_t length, size_t *records)
{
	uint64_t sum = 0;
	size_t n = 0;
	while (length >= sizeof(struct ows_record_header)) {
		struct ows_record_header header;
		memcpy(&header, buffer, sizeof(header));
		if (header.size > MAX_RECORD_SIZE || header.size < sizeof(header) || header.size > length)
			break;
		if (header.kind == OWS_RECORD_FLOW_OPEN && header.size >= sizeof(struct ows_flow_open_record)) {
			__u64 payload;
			memcpy(&payload, buffer + offsetof(struct ows_flow_open_record, payload_bytes), sizeof(payload));
			sum += payload;
		}
		buffer += header.size;
		length -= header.size;
		n++;
	}
	*records = n;
	return sum;
}

int main(int argc, char **argv)
{
	size_t batch = argc > 1 ? strtoul(argv[1], NULL, 10) : 4096;
	size_t record = sizeof(struct ows_flow_open_record);
	unsigned char *hot = malloc(batch * record);
	fill(hot, batch);

	uint64_t sum = 0;
	size_t n = 0, total = 0;
	int rounds = (int)(50000000 / batch);
	for (int i = 0; i < rounds / 10; i++) /* warm */
		sum += parse(hot, batch * record, &n);
	double start = now_ns();
	for (int i = 0; i < rounds; i++) {
		sum += parse(hot, batch * record, &n);
		total += n;
	}
	double hot_ns = (now_ns() - start) / total;

	size_t streaming_count = (256u << 20) / record;
	unsigned char *big = malloc(streaming_count * record);
	fill(big, streaming_count);
	double best = 1e30;
	for (int i = 0; i < 3; i++) {
		start = now_ns();
		sum += parse(big, streaming_count * record, &n);
		double ns = (now_ns() - start) / n;
		if (ns < best)
			best = ns;
	}

	printf("record %zu bytes, batch %zu: hot %.2f ns/record, streaming %.2f ns/record (checksum %llu)\n",
	       record, batch, hot_ns, best, (unsigned long long)sum);
	free(hot);
	free(big);
	return 0;
}
