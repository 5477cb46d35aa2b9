/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The flow map, what user space reads: one entry per flow of a cgroup,
 * keyed by the 5-tuple seen from the local socket. Packets reach it
 * directly (a socket's first packets, sockets of many flows) or through
 * the socket's pending counts (bpf/socket_flows.bpf.h).
 */
#ifndef OWS_FLOWS_BPF_H
#define OWS_FLOWS_BPF_H

#define OWS_EEXIST 17

/* sizes are defaults; user space sets them before load */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ows_flow_key);
	__type(value, struct ows_flow_stats);
} ows_flows SEC(".maps");

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
 * next is the direction's next sequence number, seq_known a bit per
 * direction saying it is set. Other protocols: the whole payload.
 */
static __always_inline __u32 new_sequence_bytes(__u32 *next, __u8 *seq_known,
						const struct packet_info *info, __u8 direction)
{
	__u8 known = 1 << direction;
	__u32 end = info->tcp_seq + info->payload_bytes;
	__s32 advance;

	if (info->protocol != IPPROTO_TCP)
		return info->payload_bytes;
	/*
	 * the first packet this way, or a SYN: a new connection may reuse the
	 * 4-tuple of one still in the map, with an unrelated sequence space
	 */
	if (!(*seq_known & known) || (info->tcp_flags & OWS_TCP_SYN)) {
		*seq_known |= known;
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

static __always_inline __u32 new_tcp_payload(struct ows_flow_stats *stats,
					     const struct packet_info *info, __u8 direction)
{
	return new_sequence_bytes(direction == OWS_DIR_TX ? &stats->tx_next_seq : &stats->rx_next_seq,
				  &stats->seq_known, info, direction);
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

/* the flow-open record; owner is NULL when no hook saw the socket's process */
static __always_inline void send_flow_open(const struct ows_flow_key *key, __u8 initiator,
					   __u8 tcp_flags, const struct ows_flow_counters *counts,
					   const struct ows_process_ref *owner, __u64 now)
{
	struct ows_flow_open_record *record;

	record = reserve_record(sizeof(*record), OWS_RECORD_FLOW_OPEN, now);
	if (!record)
		return;
	__builtin_memcpy(&record->key, key, sizeof(*key));
	record->initiator = initiator;
	record->tcp_flags = tcp_flags;
	record->pad = 0;
	record->packets = counts->packets;
	record->ip_bytes = counts->ip_bytes;
	record->payload_bytes = counts->payload_bytes;
	if (owner)
		__builtin_memcpy(&record->owner, owner, sizeof(record->owner));
	else
		__builtin_memset(&record->owner, 0, sizeof(record->owner));
	record->owner_known = owner != NULL;
	submit_record(record);
}

/*
 * Stores fresh (the flow's first counts) as the flow's entry and tells user
 * space, with the counts of the opening direction (counts, within fresh) and
 * its TCP flags. Returns 0 when stored; -EEXIST when another CPU created the entry
 * first (the caller adds its counts to that one); another error when it
 * could not be stored (counted).
 */
static __always_inline long create_flow(const struct ows_flow_key *key,
					const struct ows_flow_stats *fresh, __u8 tcp_flags,
					const struct ows_flow_counters *counts,
					const struct ows_process_ref *owner, __u64 now)
{
	long err = bpf_map_update_elem(&ows_flows, key, fresh, BPF_NOEXIST);

	if (err == -OWS_EEXIST)
		return err;
	if (err) {
		counter_inc(OWS_COUNTER_FLOW_UPDATE_FAILED);
		return err;
	}
	counter_inc(OWS_COUNTER_FLOWS_CREATED);
	send_flow_open(key, fresh->initiator, tcp_flags, counts, owner, now);
	return 0;
}

/* counts a packet straight into the flow map, creating the flow's entry on its first */
static __always_inline void count_in_map(struct __sk_buff *skb, const struct ows_flow_key *key,
					 const struct packet_info *info, __u32 packets,
					 __u32 ip_bytes, __u8 direction, __u64 now)
{
	struct ows_flow_stats fresh = {};
	struct ows_flow_stats *stats;

	stats = bpf_map_lookup_elem(&ows_flows, key);
	if (stats) {
		add_packet(stats, info, packets, ip_bytes, direction, now);
		return;
	}
	fresh.first_seen_ns = now;
	fresh.initiator = initiator_of(info, direction);
	add_packet(&fresh, info, packets, ip_bytes, direction, now);
	if (create_flow(key, &fresh, info->tcp_flags, direction == OWS_DIR_TX ? &fresh.tx : &fresh.rx,
			socket_owner(skb), now) != -OWS_EEXIST)
		return;
	stats = bpf_map_lookup_elem(&ows_flows, key);
	if (stats)
		add_packet(stats, info, packets, ip_bytes, direction, now);
}

#endif /* OWS_FLOWS_BPF_H */
