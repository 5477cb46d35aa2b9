/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which process owns a socket. The packet hooks run in softirq context as
 * often as not, where the current task is whoever was interrupted, so the
 * owner is recorded in socket-local storage by the hooks that run in the
 * owning process: socket creation, connect, and sendmsg to an address.
 * Only the flow-open path reads it, never the per-packet path.
 */
#ifndef OWS_OWNERS_BPF_H
#define OWS_OWNERS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	/* accepted sockets inherit the listener's owner */
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct ows_process_ref);
} ows_socket_owners SEC(".maps");

/* records the current process as the socket's owner, if it changed */
static __always_inline void remember_owner(struct bpf_sock *sk)
{
	struct ows_process_ref *owner;
	__u64 pid_tgid;

	if (!sk)
		return;
	owner = bpf_sk_storage_get(&ows_socket_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!owner)
		return;
	pid_tgid = bpf_get_current_pid_tgid();
	/* sendmsg runs per datagram: write only when another process sends */
	if (owner->tgid == (__u32)(pid_tgid >> 32) && owner->pid == (__u32)pid_tgid)
		return;
	owner->tgid = pid_tgid >> 32;
	owner->pid = (__u32)pid_tgid;
	bpf_get_current_comm(owner->comm, sizeof(owner->comm));
}

/* the socket's owner, if one was recorded */
static __always_inline const struct ows_process_ref *socket_owner(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	if (!sk)
		return NULL;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return NULL;
	return bpf_sk_storage_get(&ows_socket_owners, sk, 0, 0);
}

#endif /* OWS_OWNERS_BPF_H */
