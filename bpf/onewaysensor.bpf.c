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
#include "flows.bpf.h"
#include "socket_flows.bpf.h"
#include "in_place.bpf.h"
#include "isolation.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* keep these types in BTF, so user space can check its mirrors against them */
const struct ows_flow_open_record *unused_flow_open_record __attribute__((unused));
const struct ows_process_exec_record *unused_process_exec_record __attribute__((unused));
const struct ows_process_exit_record *unused_process_exit_record __attribute__((unused));
const enum ows_record_kind *unused_record_kind __attribute__((unused));
const enum ows_counter *unused_counter __attribute__((unused));
const enum ows_direction *unused_direction __attribute__((unused));
const enum ows_isolation_limit *unused_isolation_limit __attribute__((unused));

/*
 * The packet, parsed: counted in its socket's flow when it belongs there,
 * else in the flow map, where a socket's first packet also gives the socket
 * its flow. flow is the socket's storage, NULL when it has none (or sk is
 * NULL, the packet has no full socket).
 */
static __always_inline int count_parsed(struct __sk_buff *skb, struct bpf_sock *sk, struct socket_flow *flow,
					__u32 packets, __u8 direction)
{
	struct packet_info info = {};
	struct ows_flow_key key = {};
	__u32 ip_bytes;
	__u64 now;
	int result;

	result = parse_packet(skb, &info);
	if (result != PACKET_OK) {
		counter_inc(result == PACKET_FRAGMENT ? OWS_COUNTER_FRAGMENTS : OWS_COUNTER_UNPARSED);
		return 1;
	}
	ip_bytes = skb->len + (packets - 1) * info.header_bytes;
	if (flow && socket_flow_matches(flow, &info, direction)) {
		add_socket_packet(flow, sk, &info, packets, ip_bytes, direction);
		return 1;
	}
	/*
	 * the coarse clock (a tick, 1-4 ms) is precise enough for flow times and
	 * far cheaper: measured on this KVM guest, bpf_ktime_get_ns() alone cost
	 * about 70 ns per packet, a third of the whole program
	 */
	now = bpf_ktime_get_coarse_ns();
	build_key(&key, &info, direction);
	/* the socket's cgroup, as the packet hooks ran for it */
	key.cgroup_id = bpf_skb_cgroup_id(skb);
	count_in_map(skb, &key, &info, packets, ip_bytes, direction, now);
	if (sk && !flow)
		start_socket_flow(sk, &key, &info, direction);
	return 1;
}

static __always_inline int count_packet(struct __sk_buff *skb, __u8 direction)
{
	struct socket_flow *flow = NULL;
	struct bpf_sock *sk;
	__u32 packets;

	/*
	 * isolated: drop, and count it in the deny set only. The flows keep what
	 * crossed the hook: a dropped reply counted as received would make an
	 * unanswered flow look answered
	 */
	if (isolated(skb, direction))
		return 0;
	/*
	 * a GSO (egress) or GRO (ingress) packet is several on the wire, each
	 * with its own headers: count them as the wire carries them. Read once:
	 * each read of the field is three loads
	 */
	packets = skb->gso_segs;
	if (packets < 1)
		packets = 1;
	sk = full_socket(skb);
	if (sk) {
		flow = bpf_sk_storage_get(&ows_socket_flows, sk, 0, 0);
		if (flow && count_in_place(skb, flow, sk, packets, direction))
			return 1;
	}
	return count_parsed(skb, sk, flow, packets, direction);
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

/* a closed socket: its pending counts go to the flow map, and its later packets too */
SEC("cgroup/sock_release")
int ows_sock_release(struct bpf_sock *sk)
{
	struct socket_flow *flow = bpf_sk_storage_get(&ows_socket_flows, sk, 0, 0);

	if (!flow)
		return 1;
	/*
	 * first, so that a packet from now on goes to the map, and one already
	 * counting in the socket sees it after its add and moves its count itself
	 */
	*(volatile __u8 *)&flow->released = 1;
	flush_socket_flow(flow, sk);
	return 1;
}

/*
 * Run by user space (bpf_iter) before it reads the flow map: moves every
 * socket's pending counts there. Not attached to a hook; it stays usable
 * after the packet programs are detached, for the last read.
 */
SEC("iter/bpf_sk_storage_map")
int ows_flush_sockets(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	struct socket_flow *flow = ctx->value;
	struct sock *sk = ctx->sk;

	if (flow && sk && has_pending(flow))
		flush_socket_flow(flow, sk);
	return 0;
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
