/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The common packet, counted without parsing it: one of its socket's own
 * flow, with plain headers (IPv4 without options, IPv6 without extension
 * headers, TCP or UDP). Its addresses and ports are compared where they
 * lie in the packet, against the socket's flow in wire order, and only
 * the few fields the counts need are read. Parsing into a packet_info
 * (zeroing it, copying the addresses, swapping bytes) cost as much as the
 * socket storage look-up itself (bench/RESULTS.md).
 *
 * Anything else (another flow on the same socket, options, extension
 * headers, ICMP, a header the length fields contradict) is declined and
 * takes the full parse, which counts it the same way or reports it, so a
 * packet counts identically whichever path takes it.
 */
#ifndef OWS_IN_PLACE_BPF_H
#define OWS_IN_PLACE_BPF_H

#define OWS_IPV4_PLAIN 0x45 /* version 4, a 20-byte header */

/* where an in-place packet's L4 header starts, by IP version */
#define OWS_L4_AT_V4 20
#define OWS_L4_AT_V6 40

static __always_inline int same_addr4(const void *packet, const __u8 *flow)
{
	return *(const __u32 *)packet == *(const __u32 *)flow;
}

/*
 * The IP header of a packet of the socket's flow: gives the L4 length (the
 * IP payload), or -1 to decline. src and dst are the flow's addresses as
 * this direction's packet carries them.
 */
static __always_inline long plain_ip_length(struct __sk_buff *skb, void *data, void *data_end,
					    const struct socket_flow *flow, const __u8 *src, const __u8 *dst)
{
	if (flow->ip_version == 4) {
		struct iphdr *ip = data;
		__u32 total;

		if ((void *)(ip + 1) > data_end || *(__u8 *)ip != OWS_IPV4_PLAIN || ip->protocol != flow->protocol ||
		    (ip->frag_off & bpf_htons(OWS_IP_OFFSET)) || !same_addr4(&ip->saddr, src) ||
		    !same_addr4(&ip->daddr, dst))
			return -1;
		total = ipv4_total_length(ip, skb->len);
		return total < OWS_L4_AT_V4 ? -1 : total - OWS_L4_AT_V4;
	} else {
		struct ipv6hdr *ip = data;

		if ((void *)(ip + 1) > data_end || (*(__u8 *)ip >> 4) != 6 || ip->nexthdr != flow->protocol ||
		    !same_16((const __u8 *)&ip->saddr, src) ||
		    !same_16((const __u8 *)&ip->daddr, dst))
			return -1;
		return ipv6_payload_length(ip, skb->len);
	}
}

/* the ports, source first, are this direction's of the socket's flow */
static __always_inline int same_ports(const __be16 *ports, const struct socket_flow *flow, __u8 side)
{
	return ports[0] == flow->ports[side] && ports[1] == flow->ports[side ^ 1];
}

/*
 * Counts the packet in its socket's flow when it is one of that flow's,
 * with plain headers: 1 when counted, 0 when it needs the full parse.
 */
static __always_inline int count_in_place(struct __sk_buff *skb, struct socket_flow *flow, struct bpf_sock *sk,
					  __u32 packets, __u8 direction)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 side = direction & 1;
	/* this direction's source and destination, as the flow holds them */
	const __u8 *src = side == OWS_DIR_TX ? flow->local_addr : flow->remote_addr;
	const __u8 *dst = side == OWS_DIR_TX ? flow->remote_addr : flow->local_addr;
	__u32 l4_at = flow->ip_version == 4 ? OWS_L4_AT_V4 : OWS_L4_AT_V6;
	__u32 l4_length;
	long length;

	if (!flow->in_place || !flow->ready || flow->released)
		return 0;
	length = plain_ip_length(skb, data, data_end, flow, src, dst);
	if (length < 0)
		return 0;
	l4_length = length;
	if (flow->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = data + l4_at;
		struct packet_info segment = { .protocol = IPPROTO_TCP };
		__u32 tcp_length;

		if ((void *)(tcp + 1) > data_end || !same_ports(&tcp->source, flow, side))
			return 0;
		tcp_length = tcp->doff * 4;
		if (tcp_length < sizeof(*tcp) || tcp_length > l4_length)
			return 0;
		/* byte 13 of the header holds CWR..FIN */
		segment.tcp_flags = ((__u8 *)tcp)[13];
		segment.tcp_seq = bpf_ntohl(tcp->seq);
		segment.payload_bytes = l4_length - tcp_length;
		/* as the parse counts a GSO packet: each segment repeats the headers */
		add_socket_packet(flow, sk, &segment, packets, skb->len + (packets - 1) * (l4_at + tcp_length),
				  direction);
	} else {
		/* UDP: in_place is set for TCP and UDP flows only */
		struct udphdr *udp = data + l4_at;
		/* the payload is derived at the flush: the protocol is all the add reads */
		struct packet_info datagram = { .protocol = IPPROTO_UDP };

		if ((void *)(udp + 1) > data_end || !same_ports(&udp->source, flow, side) ||
		    l4_length < sizeof(*udp))
			return 0;
		add_socket_packet(flow, sk, &datagram, packets, skb->len + (packets - 1) * flow->header_bytes,
				  direction);
	}
	return 1;
}

#endif /* OWS_IN_PLACE_BPF_H */
