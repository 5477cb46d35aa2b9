/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The hot path: a socket's packets counted in its own socket-local storage
 * instead of the flow map. Looking a flow up by its 5-tuple (building a
 * 48-byte key, reading the cgroup id, hashing the key, walking the LRU
 * bucket) cost most of the per-packet time (bench/kernel); the socket's
 * storage is one pointer away from skb->sk.
 *
 * A socket's storage belongs to the flow of the packet that created it.
 * Its packets add to pending counts there; a packet of another flow on the
 * same socket (an unconnected UDP socket, a listener) goes to the flow map
 * directly, so every packet is counted once, in one place or the other.
 * Pending counts move into the flow map, the only thing user space reads:
 *   - before each read of the map, by an iterator over every socket's
 *     storage (ows_flush_sockets) that user space runs;
 *   - when the socket is closed (ows_sock_release), after which its
 *     packets (a TCP socket's last segments) go to the map directly.
 * Each move takes the counts with an atomic exchange, so a count moves
 * exactly once, however the packet path and a flush interleave.
 */
#ifndef OWS_SOCKET_FLOWS_BPF_H
#define OWS_SOCKET_FLOWS_BPF_H

struct socket_flow {
	struct ows_flow_key key; /* the flow this socket's storage counts */
	/*
	 * tx, rx: counted since the last flush. The TCP sequence state and
	 * flags are the socket's own and kept (flags are ORed into the map,
	 * which is idempotent); last_seen_ns is the socket's last packet;
	 * initiator is the flow's, for an entry a flush has to create again
	 */
	struct ows_flow_stats pending;
	__u8 ready;    /* key is written: set last, so a half-written key never matches */
	__u8 released; /* the socket was closed: its packets go to the map directly */
	__u8 pad[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	/* no BPF_F_CLONE: an accepted socket is another flow than its listener */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct socket_flow);
} ows_socket_flows SEC(".maps");

/* the packet's socket, when it is a full socket (not a request or time-wait one) */
static __always_inline struct bpf_sock *full_socket(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	return sk ? bpf_sk_fullsock(sk) : NULL;
}

static __always_inline int same_16(const __u8 *a, const __u8 *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1];
}

/* whether the packet belongs to the flow the socket's storage counts */
static __always_inline int socket_flow_matches(const struct socket_flow *flow,
					       const struct packet_info *info, __u8 direction)
{
	const struct ows_flow_key *key = &flow->key;

	if (!flow->ready || flow->released || key->protocol != info->protocol ||
	    key->ip_version != info->ip_version)
		return 0;
	if (direction == OWS_DIR_TX)
		return key->local_port == info->src_port && key->remote_port == info->dst_port &&
		       same_16(key->local_addr, info->src) && same_16(key->remote_addr, info->dst);
	return key->local_port == info->dst_port && key->remote_port == info->src_port &&
	       same_16(key->local_addr, info->dst) && same_16(key->remote_addr, info->src);
}

/*
 * After a socket's first packet went to the map: gives the socket storage
 * for that flow, primed with the packet's TCP sequence, so a retransmission
 * of it is not counted as payload again. Two CPUs may race here; both
 * write the same key.
 */
static __always_inline void start_socket_flow(struct bpf_sock *sk, const struct ows_flow_key *key,
					      const struct packet_info *info, __u8 direction)
{
	struct socket_flow *flow;

	flow = bpf_sk_storage_get(&ows_socket_flows, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!flow || flow->ready)
		return;
	__builtin_memcpy(&flow->key, key, sizeof(*key));
	flow->pending.initiator = initiator_of(info, direction);
	new_tcp_payload(&flow->pending, info, direction);
	/* the key before the flag, as the packet path reads them */
	asm volatile("" ::: "memory");
	flow->ready = 1;
}

static __always_inline __u64 take(__u64 *count)
{
	return __sync_lock_test_and_set(count, 0);
}

static __always_inline void add_counters(struct ows_flow_counters *to, const struct ows_flow_counters *from)
{
	__sync_fetch_and_add(&to->packets, from->packets);
	__sync_fetch_and_add(&to->ip_bytes, from->ip_bytes);
	__sync_fetch_and_add(&to->payload_bytes, from->payload_bytes);
}

/*
 * Moves the socket's pending counts into the flow map. The flow's entry may
 * be gone (evicted by the LRU, or expired by user space while the socket
 * was idle): then it is created again, as a packet would, with a flow-open
 * record, seen first and last now. If it cannot be stored, the counts go back to pending for the
 * next flush (and the failure is counted), so none is lost. sk is the
 * program's own kind of socket pointer, for the owner's storage.
 */
static __always_inline void flush_socket_flow(struct socket_flow *flow, void *sk)
{
	struct ows_flow_stats fresh = {};
	struct ows_flow_stats *stats;
	__u64 last_seen;

	fresh.tx.packets = take(&flow->pending.tx.packets);
	fresh.tx.ip_bytes = take(&flow->pending.tx.ip_bytes);
	fresh.tx.payload_bytes = take(&flow->pending.tx.payload_bytes);
	fresh.rx.packets = take(&flow->pending.rx.packets);
	fresh.rx.ip_bytes = take(&flow->pending.rx.ip_bytes);
	fresh.rx.payload_bytes = take(&flow->pending.rx.payload_bytes);
	/* bytes move only with packets, but a packet may be half added when taken */
	if (!(fresh.tx.packets | fresh.tx.ip_bytes | fresh.tx.payload_bytes | fresh.rx.packets |
	      fresh.rx.ip_bytes | fresh.rx.payload_bytes))
		return;
	last_seen = flow->pending.last_seen_ns;
	stats = bpf_map_lookup_elem(&ows_flows, &flow->key);
	if (!stats) {
		long err;

		/*
		 * now, not the socket's last packet: that may share a clock tick
		 * with the evicted entry's first packet, and user space tells one
		 * incarnation of a flow from the next by its first-seen time
		 */
		last_seen = bpf_ktime_get_ns();
		fresh.first_seen_ns = last_seen;
		fresh.last_seen_ns = last_seen;
		fresh.initiator = flow->pending.initiator;
		fresh.tx_tcp_flags = flow->pending.tx_tcp_flags;
		fresh.rx_tcp_flags = flow->pending.rx_tcp_flags;
		/* no flags in the record: the socket's accumulated ones could read as a SYN-ACK */
		err = create_flow(&flow->key, &fresh, 0,
				  fresh.initiator == OWS_DIR_TX ? &fresh.tx : &fresh.rx,
				  bpf_sk_storage_get(&ows_socket_owners, sk, 0, 0), last_seen);
		if (!err)
			return; /* stored, with the counts */
		stats = err == -OWS_EEXIST ? bpf_map_lookup_elem(&ows_flows, &flow->key) : NULL;
		if (!stats) {
			add_counters(&flow->pending.tx, &fresh.tx);
			add_counters(&flow->pending.rx, &fresh.rx);
			return;
		}
	}
	add_counters(&stats->tx, &fresh.tx);
	add_counters(&stats->rx, &fresh.rx);
	if (last_seen > stats->last_seen_ns)
		stats->last_seen_ns = last_seen;
	if ((stats->tx_tcp_flags | flow->pending.tx_tcp_flags) != stats->tx_tcp_flags)
		stats->tx_tcp_flags |= flow->pending.tx_tcp_flags;
	if ((stats->rx_tcp_flags | flow->pending.rx_tcp_flags) != stats->rx_tcp_flags)
		stats->rx_tcp_flags |= flow->pending.rx_tcp_flags;
}

#endif /* OWS_SOCKET_FLOWS_BPF_H */
