// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reference designs the sensor's cgroup_skb pair is measured against, on
 * the same hooks and the same packets (bench/kernel/run.sh), and the empty
 * pair the system benchmark attaches (bench/system/run.sh):
 *   empty_*   returns 1: the floor of any design on these hooks
 *   socket_*  a bare per-socket counter (packets and bytes in socket-local
 *             storage, atomic adds): the cheapest useful accounting, but
 *             one user space cannot read per flow or after the socket closes
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct socket_counts {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct socket_counts);
} socket_counts SEC(".maps");

SEC("cgroup_skb/egress")
int empty_egress(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/ingress")
int empty_ingress(struct __sk_buff *skb)
{
	return 1;
}

static __always_inline int count_socket(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct socket_counts *counts;

	if (!sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1;
	counts = bpf_sk_storage_get(&socket_counts, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!counts)
		return 1;
	__sync_fetch_and_add(&counts->packets, 1);
	__sync_fetch_and_add(&counts->bytes, skb->len);
	return 1;
}

SEC("cgroup_skb/egress")
int socket_egress(struct __sk_buff *skb)
{
	return count_socket(skb);
}

SEC("cgroup_skb/ingress")
int socket_ingress(struct __sk_buff *skb)
{
	return count_socket(skb);
}
