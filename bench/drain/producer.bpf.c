// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The drain benchmark's producer: writes flow-open records into the
 * sensor's own ring buffer definition, through the sensor's own reserve,
 * fill and submit with batched wake-ups, and counts a full ring in the
 * sensor's own loss counter (bpf/records.bpf.h, bpf/counters.bpf.h), so
 * both consumers read exactly what the sensor's kernel side writes.
 *
 * Syscall programs, so user space runs them with BPF_PROG_TEST_RUN at the
 * pace it chooses: one run writes a whole batch (bpf_loop).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "onewaysensor.h"
#include "counters.bpf.h"
#include "records.bpf.h"
#include "drain.h"

#define DRAIN_TCP 6
#define DRAIN_UDP 17
#define DRAIN_TCP_SYN 0x02

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* distinct flows the records cycle through (set before load, never 0) */
const volatile __u32 flow_keys = 65536;

/* the next record's sequence number: it picks the flow, so runs carry on the cycle (one producer thread at a time) */
__u64 next_seq;

struct batch_state {
	__u64 first_seq;
	__u64 start_ns;
};

/*
 * Flow k of flow_keys: 16 cgroups, three TCP SYNs to a UDP datagram, the
 * remote address spelling k out, so every k is a different key. The owner
 * is known, as for most flows the sensor sees.
 */
static void fill_flow(struct ows_flow_open_record *record, __u32 k)
{
	__u8 tcp = (k & 3) != 0;

	record->key.cgroup_id = 4096 + (k & 15);
	record->key.ip_version = 4;
	record->key.protocol = tcp ? DRAIN_TCP : DRAIN_UDP;
	record->key.local_port = 32768 + (k % 28232);
	record->key.remote_port = tcp ? 443 : 53;
	record->key.pad = 0;
	__builtin_memset(record->key.local_addr, 0, sizeof(record->key.local_addr));
	__builtin_memset(record->key.remote_addr, 0, sizeof(record->key.remote_addr));
	record->key.local_addr[0] = 172;
	record->key.local_addr[1] = 17;
	record->key.local_addr[3] = 2;
	record->key.remote_addr[0] = 10;
	record->key.remote_addr[1] = k >> 16;
	record->key.remote_addr[2] = k >> 8;
	record->key.remote_addr[3] = k;
	record->initiator = OWS_DIR_TX;
	record->tcp_flags = tcp ? DRAIN_TCP_SYN : 0;
	record->owner_known = 1;
	record->pad = 0;
	record->packets = 1;
	record->ip_bytes = tcp ? 60 : 64;
	record->payload_bytes = tcp ? 0 : 36;
	record->owner.tgid = 2000 + (k & 63);
	record->owner.pid = record->owner.tgid;
	__builtin_memcpy(record->owner.comm, "drain-bench\0\0\0\0", OWS_COMM_LEN);
}

static long write_record(__u64 index, void *ctx)
{
	struct batch_state *state = ctx;
	struct ows_flow_open_record *record;

	/*
	 * one clock read a batch: start + index stays strictly increasing from
	 * batch to batch (a record takes well over 1 ns), so every repeat of a
	 * flow is a newer incarnation and takes the host's full update path
	 */
	record = reserve_record(sizeof(*record), OWS_RECORD_FLOW_OPEN, state->start_ns + index);
	if (!record)
		return 0; /* counted in ows_counters; the rest of the batch still tries */
	fill_flow(record, (__u32)((state->first_seq + index) % flow_keys));
	submit_record(record);
	return 0;
}

/* writes batch->count records; returns how many */
SEC("syscall")
int produce(struct drain_batch *batch)
{
	struct batch_state state = {
		.first_seq = next_seq,
		.start_ns = bpf_ktime_get_ns(),
	};
	long written = bpf_loop(batch->count, write_record, &state, 0);

	next_seq += batch->count;
	return written;
}

/* the bytes waiting in the ring, so user space sees when a consumer caught up */
SEC("syscall")
int ring_avail(void *ctx)
{
	return (int)bpf_ringbuf_query(&ows_records, BPF_RB_AVAIL_DATA);
}
