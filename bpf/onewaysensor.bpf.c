// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * OneWaySensor kernel side: counts every flow of every cgroup at the
 * cgroup_skb egress and ingress hooks, and tells user space when a flow
 * is first seen. The programs only observe, with one exception: the
 * packets of an isolated cgroup (bpf/isolation.bpf.h) are dropped, and
 * counted in the deny set rather than in the flows.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "onewaysensor.h"
#include "counters.bpf.h"
#include "records.bpf.h"
#include "owners.bpf.h"
#include "packet.bpf.h"
#include "isolation.bpf.h"

#define OWS_EEXIST 17

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* sizes are defaults; user space sets them before load */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ows_flow_key);
	__type(value, struct ows_flow_stats);
} ows_flows SEC(".maps");

/* keep these types in BTF, so user space can check its mirrors against them */
const struct ows_flow_open_record *unused_flow_open_record __attribute__((unused));
const struct ows_process_exec_record *unused_process_exec_record __attribute__((unused));
const struct ows_process_exit_record *unused_process_exit_record __attribute__((unused));
const enum ows_record_kind *unused_record_kind __attribute__((unused));
const enum ows_counter *unused_counter __attribute__((unused));
const enum ows_direction *unused_direction __attribute__((unused));
const enum ows_isolation_limit *unused_isolation_limit __attribute__((unused));

static __always_inline void build_key(struct ows_flow_key *key, const struct packet_info *info,
				      __u8 direction)
{
	key->ip_version = info->ip_version;
	key->protocol = info->protocol;
	if (direction == OWS_DIR_TX) {
		key->local_port = info->src_port;
		key->remote_port = info->dst_port;
		__builtin_memcpy(key->local_addr, info->src, 16);
		__builtin_memcpy(key->remote_addr, info->dst, 16);
	} else {
		key->local_port = info->dst_port;
		key->remote_port = info->src_port;
		__builtin_memcpy(key->local_addr, info->dst, 16);
		__builtin_memcpy(key->remote_addr, info->src, 16);
	}
}

/* who opened the flow: the SYN's sender for TCP, else the first packet's */
static __always_inline __u8 initiator_of(const struct packet_info *info, __u8 direction)
{
	__u8 syn_ack = OWS_TCP_SYN | OWS_TCP_ACK;

	if (info->protocol == IPPROTO_TCP && (info->tcp_flags & syn_ack) == syn_ack)
		return direction == OWS_DIR_TX ? OWS_DIR_RX : OWS_DIR_TX;
	return direction;
}

/*
 * TCP payload as new sequence space, as Zeek counts it: bytes below the
 * highest sequence already seen in this direction were counted before.
 */
static __always_inline __u32 new_tcp_payload(struct ows_flow_stats *stats,
					     const struct packet_info *info, __u8 direction)
{
	__u32 *next = direction == OWS_DIR_TX ? &stats->tx_next_seq : &stats->rx_next_seq;
	__u8 known = 1 << direction;
	__u32 end = info->tcp_seq + info->payload_bytes;
	__s32 advance;

	if (info->protocol != IPPROTO_TCP)
		return info->payload_bytes;
	/*
	 * the first packet this way, or a SYN: a new connection may reuse the
	 * 4-tuple of one still in the map, with an unrelated sequence space
	 */
	if (!(stats->seq_known & known) || (info->tcp_flags & OWS_TCP_SYN)) {
		stats->seq_known |= known;
		*next = end + ((info->tcp_flags & OWS_TCP_SYN) ? 1 : 0);
		return info->payload_bytes;
	}
	/* serial-number arithmetic: the sequence space wraps at 2^32 */
	advance = (__s32)(end - *next);
	if (advance <= 0)
		return 0;
	*next = end;
	return (__u32)advance < info->payload_bytes ? (__u32)advance : info->payload_bytes;
}

static __always_inline void add_packet(struct ows_flow_stats *stats, const struct packet_info *info,
				       __u32 packets, __u32 ip_bytes, __u8 direction, __u64 now)
{
	struct ows_flow_counters *counters = direction == OWS_DIR_TX ? &stats->tx : &stats->rx;
	__u8 *flags = direction == OWS_DIR_TX ? &stats->tx_tcp_flags : &stats->rx_tcp_flags;
	__u32 payload = new_tcp_payload(stats, info, direction);

	/* atomic adds: two CPUs may send on one socket at once */
	__sync_fetch_and_add(&counters->packets, packets);
	__sync_fetch_and_add(&counters->ip_bytes, ip_bytes);
	if (payload)
		__sync_fetch_and_add(&counters->payload_bytes, payload);
	stats->last_seen_ns = now;
	/* flags change a few times per flow: write only then */
	if ((*flags | info->tcp_flags) != *flags)
		*flags |= info->tcp_flags;
}

static __always_inline void send_flow_open(struct __sk_buff *skb, const struct ows_flow_key *key,
					   const struct packet_info *info, __u32 ip_bytes,
					   __u8 initiator, __u64 now)
{
	struct ows_flow_open_record *record;

	record = reserve_record(sizeof(*record), OWS_RECORD_FLOW_OPEN, now);
	if (!record)
		return;
	__builtin_memcpy(&record->key, key, sizeof(*key));
	record->initiator = initiator;
	record->tcp_flags = info->tcp_flags;
	__builtin_memset(record->pad, 0, sizeof(record->pad));
	record->ip_bytes = ip_bytes;
	record->payload_bytes = info->payload_bytes;
	__builtin_memset(&record->owner, 0, sizeof(record->owner));
	record->owner_known = read_owner(skb, &record->owner);
	submit_record(record);
}

static __always_inline void open_flow(struct __sk_buff *skb, const struct ows_flow_key *key,
				      const struct packet_info *info, __u32 packets,
				      __u32 ip_bytes, __u8 direction, __u64 now)
{
	struct ows_flow_stats fresh = {};
	struct ows_flow_stats *stats;
	__u8 initiator = initiator_of(info, direction);
	long err;

	fresh.first_seen_ns = now;
	fresh.initiator = initiator;
	add_packet(&fresh, info, packets, ip_bytes, direction, now);
	err = bpf_map_update_elem(&ows_flows, key, &fresh, BPF_NOEXIST);
	if (err == -OWS_EEXIST) {
		/* another CPU created it first: count into its entry */
		stats = bpf_map_lookup_elem(&ows_flows, key);
		if (stats)
			add_packet(stats, info, packets, ip_bytes, direction, now);
		return;
	}
	if (err) {
		counter_inc(OWS_COUNTER_FLOW_UPDATE_FAILED);
		return;
	}
	counter_inc(OWS_COUNTER_FLOWS_CREATED);
	send_flow_open(skb, key, info, ip_bytes, initiator, now);
}

static __always_inline int count_packet(struct __sk_buff *skb, __u8 direction)
{
	struct packet_info info = {};
	struct ows_flow_key key = {};
	struct ows_flow_stats *stats;
	__u32 packets, ip_bytes;
	__u64 now;
	int result;

	/*
	 * isolated: drop, and count it in the deny set only. The flows keep what
	 * crossed the hook: a dropped reply counted as received would make an
	 * unanswered flow look answered
	 */
	if (isolated(skb, direction))
		return 0;
	result = parse_packet(skb, &info);
	if (result != PACKET_OK) {
		counter_inc(result == PACKET_FRAGMENT ? OWS_COUNTER_FRAGMENTS : OWS_COUNTER_UNPARSED);
		return 1;
	}
	build_key(&key, &info, direction);
	key.cgroup_id = bpf_skb_cgroup_id(skb);
	/*
	 * the coarse clock (a tick, 1-4 ms) is precise enough for flow times and
	 * far cheaper: measured on this KVM guest, bpf_ktime_get_ns() alone cost
	 * about 70 ns per packet, a third of the whole program
	 */
	now = bpf_ktime_get_coarse_ns();

	/*
	 * a GSO (egress) or GRO (ingress) packet is several on the wire, each
	 * with its own headers: count them as the wire carries them
	 */
	packets = skb->gso_segs > 1 ? skb->gso_segs : 1;
	ip_bytes = skb->len + (packets - 1) * info.header_bytes;

	stats = bpf_map_lookup_elem(&ows_flows, &key);
	if (stats)
		add_packet(stats, &info, packets, ip_bytes, direction, now);
	else
		open_flow(skb, &key, &info, packets, ip_bytes, direction, now);
	return 1;
}

/* both return 1 (pass) for every packet but an isolated cgroup's (0, drop) */
SEC("cgroup_skb/egress")
int ows_egress(struct __sk_buff *skb)
{
	return count_packet(skb, OWS_DIR_TX);
}

SEC("cgroup_skb/ingress")
int ows_ingress(struct __sk_buff *skb)
{
	return count_packet(skb, OWS_DIR_RX);
}

/* socket owners: these hooks run in the owning process and always allow */

SEC("cgroup/sock_create")
int ows_sock_create(struct bpf_sock *sk)
{
	remember_owner(sk);
	return 1;
}

SEC("cgroup/connect4")
int ows_connect4(struct bpf_sock_addr *ctx)
{
	remember_owner(ctx->sk);
	return 1;
}

SEC("cgroup/connect6")
int ows_connect6(struct bpf_sock_addr *ctx)
{
	remember_owner(ctx->sk);
	return 1;
}

SEC("cgroup/sendmsg4")
int ows_sendmsg4(struct bpf_sock_addr *ctx)
{
	remember_owner(ctx->sk);
	return 1;
}

SEC("cgroup/sendmsg6")
int ows_sendmsg6(struct bpf_sock_addr *ctx)
{
	remember_owner(ctx->sk);
	return 1;
}

/* endpoint telemetry: every exec, with its cgroup, parent and file name */
SEC("tp/sched/sched_process_exec")
int ows_process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct ows_process_exec_record *record;
	__u32 filename_offset = ctx->__data_loc_filename & 0xFFFF;

	/* tracepoints may not use the coarse clock; execs are rare enough for the precise one */
	record = reserve_record(sizeof(*record), OWS_RECORD_PROCESS_EXEC, bpf_ktime_get_ns());
	if (!record)
		return 0;
	record->cgroup_id = bpf_get_current_cgroup_id();
	record->tgid = bpf_get_current_pid_tgid() >> 32;
	record->ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(record->comm, sizeof(record->comm));
	bpf_probe_read_kernel_str(record->filename, sizeof(record->filename),
				  (void *)ctx + filename_offset);
	submit_record(record);
	return 0;
}

/* the end of a process: the thread group leader's exit */
SEC("tp/sched/sched_process_exit")
int ows_process_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct ows_process_exit_record *record;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if ((__u32)pid_tgid != (__u32)(pid_tgid >> 32))
		return 0; /* a thread, not the process */
	record = reserve_record(sizeof(*record), OWS_RECORD_PROCESS_EXIT, bpf_ktime_get_ns());
	if (!record)
		return 0;
	record->cgroup_id = bpf_get_current_cgroup_id();
	record->tgid = pid_tgid >> 32;
	record->exit_code = BPF_CORE_READ(task, exit_code);
	bpf_get_current_comm(record->comm, sizeof(record->comm));
	submit_record(record);
	return 0;
}
