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
 *     storage (ows_flush_sockets) that user space runs; it passes over a
 *     socket with nothing pending after plain reads (has_pending);
 *   - when the socket is closed (ows_sock_release), after which its
 *     packets (a TCP socket's last segments) go to the map directly.
 * Each move takes the counts with an atomic exchange, so a count moves
 * exactly once, however the packet path and a flush interleave.
 *
 * Kept to what a packet needs, in two cache lines, and one atomic add a
 * packet where the map needs three: packets and IP bytes share one word,
 * and UDP and ICMP payload is not counted but derived at the flush (the
 * socket's packets all carry the header length of its first; a packet
 * with another goes to the map). Only TCP's new sequence space needs a
 * second add, and only for packets that carry some.
 */
#ifndef OWS_SOCKET_FLOWS_BPF_H
#define OWS_SOCKET_FLOWS_BPF_H

/* a counts word: packets above this bit, IP bytes below */
#define SOCKET_PACKET_SHIFT 40
#define SOCKET_BYTES_MASK ((1ULL << SOCKET_PACKET_SHIFT) - 1)
/*
 * the packet path flushes a socket itself once either half of a word
 * passes a quarter of its room (4 M packets, 256 GiB), so neither can
 * overflow into the other between two polls, however long they are apart
 */
#define SOCKET_PACKETS_FLUSH (1ULL << 22)
#define SOCKET_BYTES_FLUSH (1ULL << 38)

/* What a socket counts for its flow; arrays are by enum ows_direction. */
struct socket_flow {
	/* first cache line (the value starts 8 bytes into one): what every packet reads */
	__u8 ready;        /* the flow is written: set last, so a half-written one never matches */
	__u8 released;     /* the socket was closed: its packets go to the map directly */
	__u8 seq_known;    /* bit per direction: next_seq is set */
	__u8 initiator;    /* the flow's, for an entry a flush has to create again */
	__u8 tcp_flags[2]; /* ORed since the socket's first packet (ORing into the map is idempotent) */
	__u16 header_bytes; /* UDP, ICMP: IP and L4 header bytes of every packet counted here */
	__be16 ports[2];   /* local, remote: in wire order, as the headers carry them */
	__u8 ip_version;
	__u8 protocol;
	__u8 in_place;     /* its packets can be recognised from their raw headers (bpf/in_place.bpf.h) */
	__u8 pad;
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u64 last_seen_jiffies; /* the packet path's clock: see seen_at() */
	/* second: the counts, since the last flush */
	__u64 counts[2];   /* packets << SOCKET_PACKET_SHIFT | IP bytes */
	__u64 payload[2];  /* TCP: new sequence space; derived for the others */
	__u32 next_seq[2]; /* TCP: the sequence number after the highest payload */
	__u64 cgroup_id;   /* the flow key's, read by a flush only */
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

/* whether the packet belongs to the flow the socket's storage counts, and can be counted there */
static __always_inline int socket_flow_matches(const struct socket_flow *flow,
					       const struct packet_info *info, __u8 direction)
{
	if (!flow->ready || flow->released || flow->protocol != info->protocol ||
	    flow->ip_version != info->ip_version)
		return 0;
	/* the payload of the others is derived from the header length of the first */
	if (info->protocol != IPPROTO_TCP && info->header_bytes != flow->header_bytes)
		return 0;
	if (direction == OWS_DIR_TX)
		return flow->ports[0] == bpf_htons(info->src_port) &&
		       flow->ports[1] == bpf_htons(info->dst_port) &&
		       same_16(flow->local_addr, info->src) && same_16(flow->remote_addr, info->dst);
	return flow->ports[0] == bpf_htons(info->dst_port) && flow->ports[1] == bpf_htons(info->src_port) &&
	       same_16(flow->local_addr, info->dst) && same_16(flow->remote_addr, info->src);
}

static __always_inline void socket_flow_key(const struct socket_flow *flow, struct ows_flow_key *key)
{
	key->cgroup_id = flow->cgroup_id;
	key->ip_version = flow->ip_version;
	key->protocol = flow->protocol;
	key->local_port = bpf_ntohs(flow->ports[0]);
	key->remote_port = bpf_ntohs(flow->ports[1]);
	key->pad = 0;
	__builtin_memcpy(key->local_addr, flow->local_addr, 16);
	__builtin_memcpy(key->remote_addr, flow->remote_addr, 16);
}

/*
 * After a socket's first packet went to the map: gives the socket storage
 * for that flow, primed with the packet's TCP sequence, so a retransmission
 * of it is not counted as payload again. Two CPUs may race here; both
 * write the same flow.
 */
static __always_inline void start_socket_flow(struct bpf_sock *sk, const struct ows_flow_key *key,
					      const struct packet_info *info, __u8 direction)
{
	struct socket_flow *flow;

	flow = bpf_sk_storage_get(&ows_socket_flows, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!flow || flow->ready)
		return;
	flow->cgroup_id = key->cgroup_id;
	flow->ports[0] = bpf_htons(key->local_port);
	flow->ports[1] = bpf_htons(key->remote_port);
	__builtin_memcpy(flow->local_addr, key->local_addr, 16);
	__builtin_memcpy(flow->remote_addr, key->remote_addr, 16);
	flow->header_bytes = info->header_bytes;
	flow->initiator = initiator_of(info, direction);
	new_sequence_bytes(&flow->next_seq[direction & 1], &flow->seq_known, info, direction);
	flow->ip_version = key->ip_version;
	flow->protocol = key->protocol;
	/* ICMP's "ports" are the echo identifier, deeper in its header: parsed */
	flow->in_place = info->plain_ip &&
			 (info->protocol == IPPROTO_TCP || info->protocol == IPPROTO_UDP);
	/* the flow before the flag, as the packet path reads them */
	asm volatile("" ::: "memory");
	flow->ready = 1;
}

/* the kernel's tick rate (libbpf reads it from the kernel's config); 0 when unknown */
extern unsigned int CONFIG_HZ __kconfig __weak;

/*
 * A socket's last packet time, stamped in jiffies and read here on the
 * monotonic clock the flow map uses. The packet path reads jiffies because
 * the verifier inlines bpf_jiffies64() into a load, where a clock helper
 * call cost 10 to 20 ns a packet (bench/RESULTS.md); both tick together, so
 * the stamp is as precise as the coarse clock the map path reads (one
 * tick). Without the tick rate, the flush's own time stands in.
 */
static __always_inline __u64 seen_at(__u64 jiffies)
{
	__u64 now_ns = bpf_ktime_get_ns(), now_jiffies = bpf_jiffies64();
	__u64 tick_ns;

	if (!CONFIG_HZ || jiffies > now_jiffies)
		return now_ns;
	tick_ns = 1000000000ULL / CONFIG_HZ;
	if ((now_jiffies - jiffies) * tick_ns > now_ns)
		return now_ns;
	return now_ns - (now_jiffies - jiffies) * tick_ns;
}

static __always_inline __u64 take(__u64 *count)
{
	return __sync_lock_test_and_set(count, 0);
}

/* a direction's taken counts as the map's counters */
static __always_inline void unpack(struct ows_flow_counters *out, const struct socket_flow *flow,
				   __u64 counts, __u64 payload)
{
	out->packets = counts >> SOCKET_PACKET_SHIFT;
	out->ip_bytes = counts & SOCKET_BYTES_MASK;
	out->payload_bytes = flow->protocol == IPPROTO_TCP ? payload
							   : out->ip_bytes - out->packets * flow->header_bytes;
}

static __always_inline void add_counters(struct ows_flow_counters *to, const struct ows_flow_counters *from)
{
	__sync_fetch_and_add(&to->packets, from->packets);
	__sync_fetch_and_add(&to->ip_bytes, from->ip_bytes);
	__sync_fetch_and_add(&to->payload_bytes, from->payload_bytes);
}

/* gives taken counts back to the socket, for the next flush */
static __always_inline void give_back(struct socket_flow *flow, __u8 direction, __u64 counts, __u64 payload)
{
	if (counts)
		__sync_fetch_and_add(&flow->counts[direction & 1], counts);
	if (payload)
		__sync_fetch_and_add(&flow->payload[direction & 1], payload);
}

/*
 * Moves the socket's pending counts into the flow map. The flow's entry may
 * be gone (evicted by the LRU, or expired by user space while the socket
 * was idle): then it is created again, as a packet would, with a flow-open
 * record, seen first and last now. If it cannot be stored, the counts go
 * back to the socket for the next flush (and the failure is counted), so
 * none is lost. sk is the program's own kind of socket pointer, for the
 * owner's storage.
 */
static __always_inline void flush_socket_flow(struct socket_flow *flow, void *sk)
{
	__u64 tx = take(&flow->counts[OWS_DIR_TX]), rx = take(&flow->counts[OWS_DIR_RX]);
	__u64 tx_payload = take(&flow->payload[OWS_DIR_TX]), rx_payload = take(&flow->payload[OWS_DIR_RX]);
	struct ows_flow_stats fresh = {};
	struct ows_flow_key key = {};
	struct ows_flow_stats *stats;
	__u64 last_seen;

	/* a packet's payload may be taken before its count, or the other way round: it moves next time */
	if (!(tx | rx | tx_payload | rx_payload))
		return;
	unpack(&fresh.tx, flow, tx, tx_payload);
	unpack(&fresh.rx, flow, rx, rx_payload);
	last_seen = seen_at(flow->last_seen_jiffies);
	socket_flow_key(flow, &key);
	stats = bpf_map_lookup_elem(&ows_flows, &key);
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
		fresh.initiator = flow->initiator;
		fresh.tx_tcp_flags = flow->tcp_flags[OWS_DIR_TX];
		fresh.rx_tcp_flags = flow->tcp_flags[OWS_DIR_RX];
		/* no flags in the record: the socket's accumulated ones could read as a SYN-ACK */
		err = create_flow(&key, &fresh, 0, fresh.initiator == OWS_DIR_TX ? &fresh.tx : &fresh.rx,
				  bpf_sk_storage_get(&ows_socket_owners, sk, 0, 0), last_seen);
		if (!err)
			return; /* stored, with the counts */
		stats = err == -OWS_EEXIST ? bpf_map_lookup_elem(&ows_flows, &key) : NULL;
		if (!stats) {
			give_back(flow, OWS_DIR_TX, tx, tx_payload);
			give_back(flow, OWS_DIR_RX, rx, rx_payload);
			return;
		}
	}
	add_counters(&stats->tx, &fresh.tx);
	add_counters(&stats->rx, &fresh.rx);
	if (last_seen > stats->last_seen_ns)
		stats->last_seen_ns = last_seen;
	if ((stats->tx_tcp_flags | flow->tcp_flags[OWS_DIR_TX]) != stats->tx_tcp_flags)
		stats->tx_tcp_flags |= flow->tcp_flags[OWS_DIR_TX];
	if ((stats->rx_tcp_flags | flow->tcp_flags[OWS_DIR_RX]) != stats->rx_tcp_flags)
		stats->rx_tcp_flags |= flow->tcp_flags[OWS_DIR_RX];
}

/*
 * Whether a socket has counts to move, read without the exchanges: between
 * two polls most sockets are idle, and the flush's four atomic exchanges
 * on each would dirty every socket's counts line at every poll. For the
 * poll's iterator only: a count added just after these reads moves at the
 * next flush. A close must not take this shortcut, as its exchanges order
 * it against a packet's add (add_socket_packet).
 */
static __always_inline int has_pending(const struct socket_flow *flow)
{
	return (*(volatile const __u64 *)&flow->counts[OWS_DIR_TX] | *(volatile const __u64 *)&flow->counts[OWS_DIR_RX] |
		*(volatile const __u64 *)&flow->payload[OWS_DIR_TX] |
		*(volatile const __u64 *)&flow->payload[OWS_DIR_RX]) != 0;
}

/* counts a packet of the socket's flow: one atomic add, two for TCP payload */
static __always_inline void add_socket_packet(struct socket_flow *flow, struct bpf_sock *sk,
					      const struct packet_info *info, __u32 packets,
					      __u32 ip_bytes, __u8 direction)
{
	__u8 side = direction & 1;
	__u64 before = __sync_fetch_and_add(&flow->counts[side],
					    ((__u64)packets << SOCKET_PACKET_SHIFT) | ip_bytes);

	if (info->protocol == IPPROTO_TCP) {
		__u32 payload = new_sequence_bytes(&flow->next_seq[side], &flow->seq_known, info, direction);

		if (payload)
			__sync_fetch_and_add(&flow->payload[side], payload);
	}
	flow->last_seen_jiffies = bpf_jiffies64();
	/* flags change a few times per flow: write only then */
	if ((flow->tcp_flags[side] | info->tcp_flags) != flow->tcp_flags[side])
		flow->tcp_flags[side] |= info->tcp_flags;
	/*
	 * released again, after the add: a close on another CPU sets it before
	 * its flush, and the atomic add orders this read after that flush's
	 * exchange if the add came later, so a count added after the close's
	 * flush is moved here, not left in a socket about to be freed
	 */
	if ((before >> SOCKET_PACKET_SHIFT) >= SOCKET_PACKETS_FLUSH ||
	    (before & SOCKET_BYTES_MASK) >= SOCKET_BYTES_FLUSH ||
	    *(volatile __u8 *)&flow->released)
		flush_socket_flow(flow, sk);
}

#endif /* OWS_SOCKET_FLOWS_BPF_H */
