/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reads the IP and L4 headers of a packet at a cgroup_skb hook, where
 * skb->data points at the IP header (there is no link-layer header).
 */
#ifndef OWS_PACKET_BPF_H
#define OWS_PACKET_BPF_H

#define OWS_ETH_P_IP 0x0800
#define OWS_ETH_P_IPV6 0x86DD
#define OWS_IP_MF 0x2000
#define OWS_IP_OFFSET 0x1FFF
#define OWS_IPV6_MAX_EXT_HEADERS 4

/* IPv6 numbers that vmlinux.h does not carry (they are #defines) */
#define OWS_IPPROTO_HOPOPTS 0
#define OWS_IPPROTO_ROUTING 43
#define OWS_IPPROTO_FRAGMENT 44
#define OWS_IPPROTO_ICMPV6 58
#define OWS_IPPROTO_DSTOPTS 60

#define OWS_TCP_FIN 0x01
#define OWS_TCP_SYN 0x02
#define OWS_TCP_ACK 0x10

/* What one packet tells, in its own direction (source to destination). */
struct packet_info {
	__u8 src[16];
	__u8 dst[16];
	__u16 src_port;
	__u16 dst_port;
	__u8 ip_version;
	__u8 protocol;
	__u8 tcp_flags;
	__u8 plain_ip;      /* IPv4 without options, or IPv6 without extension headers */
	__u32 payload_bytes;
	__u32 tcp_seq;
	__u32 header_bytes; /* IP and L4 headers: what each segment of a GSO packet repeats */
};

enum packet_parse_result {
	PACKET_OK = 0,
	PACKET_UNPARSED = 1, /* headers missing or not IP */
	PACKET_FRAGMENT = 2, /* a later fragment: no L4 header to read */
};

struct icmp_echo_header {
	__u8 type;
	__u8 code;
	__u16 checksum;
	__u16 id;
	__u16 sequence;
};

/* L4 header at offset (the IP headers' length); l4_length is the IP payload length. */
static __always_inline int parse_l4(void *data, void *data_end, __u32 offset,
				    __u32 l4_length, struct packet_info *info)
{
	void *l4 = data + offset;

	switch (info->protocol) {
	case IPPROTO_TCP: {
		struct tcphdr *tcp = l4;
		__u32 header_length;

		if ((void *)(tcp + 1) > data_end)
			return PACKET_UNPARSED;
		header_length = tcp->doff * 4;
		if (header_length < sizeof(*tcp) || header_length > l4_length)
			return PACKET_UNPARSED;
		info->src_port = bpf_ntohs(tcp->source);
		info->dst_port = bpf_ntohs(tcp->dest);
		/* byte 13 of the header holds CWR..FIN */
		info->tcp_flags = ((__u8 *)tcp)[13];
		info->tcp_seq = bpf_ntohl(tcp->seq);
		info->payload_bytes = l4_length - header_length;
		info->header_bytes = offset + header_length;
		return PACKET_OK;
	}
	case IPPROTO_UDP: {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end || l4_length < sizeof(*udp))
			return PACKET_UNPARSED;
		info->src_port = bpf_ntohs(udp->source);
		info->dst_port = bpf_ntohs(udp->dest);
		info->payload_bytes = l4_length - sizeof(*udp);
		info->header_bytes = offset + sizeof(*udp);
		return PACKET_OK;
	}
	case IPPROTO_ICMP:
	case OWS_IPPROTO_ICMPV6: {
		struct icmp_echo_header *icmp = l4;
		__u8 echo_request = info->protocol == IPPROTO_ICMP ? 8 : 128;
		__u8 echo_reply = info->protocol == IPPROTO_ICMP ? 0 : 129;

		if ((void *)(icmp + 1) > data_end || l4_length < sizeof(*icmp))
			return PACKET_UNPARSED;
		/* request and reply share the identifier: one flow */
		if (icmp->type == echo_request || icmp->type == echo_reply) {
			info->src_port = bpf_ntohs(icmp->id);
			info->dst_port = info->src_port;
		}
		info->payload_bytes = l4_length - sizeof(*icmp);
		info->header_bytes = offset + sizeof(*icmp);
		return PACKET_OK;
	}
	default:
		return PACKET_UNPARSED;
	}
}

/* an IPv4 packet's total length: BIG TCP and GSO packets over 64 KiB leave tot_len 0 */
static __always_inline __u32 ipv4_total_length(const struct iphdr *ip, __u32 skb_len)
{
	__u32 total = bpf_ntohs(ip->tot_len);

	return total ? total : skb_len;
}

/* an IPv6 packet's payload length: a jumbogram (BIG TCP) leaves payload_len 0 */
static __always_inline __u32 ipv6_payload_length(const struct ipv6hdr *ip, __u32 skb_len)
{
	__u32 payload = bpf_ntohs(ip->payload_len);

	if (payload == 0 && skb_len > sizeof(*ip))
		payload = skb_len - sizeof(*ip);
	return payload;
}

static __always_inline int parse_ipv4(void *data, void *data_end, __u32 skb_len,
				      struct packet_info *info)
{
	struct iphdr *ip = data;
	__u32 header_length, total_length;

	if ((void *)(ip + 1) > data_end)
		return PACKET_UNPARSED;
	header_length = ip->ihl * 4;
	total_length = ipv4_total_length(ip, skb_len);
	if (header_length < sizeof(*ip) || total_length < header_length)
		return PACKET_UNPARSED;
	info->ip_version = 4;
	info->protocol = ip->protocol;
	info->plain_ip = header_length == sizeof(*ip);
	__builtin_memcpy(info->src, &ip->saddr, 4);
	__builtin_memcpy(info->dst, &ip->daddr, 4);
	if (bpf_ntohs(ip->frag_off) & OWS_IP_OFFSET)
		return PACKET_FRAGMENT;
	return parse_l4(data, data_end, header_length, total_length - header_length, info);
}

static __always_inline int parse_ipv6(void *data, void *data_end, __u32 skb_len,
				      struct packet_info *info)
{
	struct ipv6hdr *ip = data;
	__u32 offset = sizeof(*ip);
	__u32 l4_length;
	__u8 next;

	if ((void *)(ip + 1) > data_end)
		return PACKET_UNPARSED;
	info->ip_version = 6;
	__builtin_memcpy(info->src, &ip->saddr, 16);
	__builtin_memcpy(info->dst, &ip->daddr, 16);
	l4_length = ipv6_payload_length(ip, skb_len);
	next = ip->nexthdr;

	/* walk a bounded number of extension headers to the L4 header */
#pragma unroll
	for (int i = 0; i < OWS_IPV6_MAX_EXT_HEADERS; i++) {
		__u8 *ext = data + offset;
		__u32 ext_length;

		if (next != OWS_IPPROTO_HOPOPTS && next != OWS_IPPROTO_ROUTING &&
		    next != OWS_IPPROTO_DSTOPTS && next != OWS_IPPROTO_FRAGMENT)
			break;
		if ((void *)(ext + 8) > data_end)
			return PACKET_UNPARSED;
		if (next == OWS_IPPROTO_FRAGMENT) {
			/* bytes 2-3: offset (13 bits) and flags */
			if (bpf_ntohs(*(__u16 *)(ext + 2)) & 0xFFF8) {
				info->protocol = ext[0];
				return PACKET_FRAGMENT;
			}
			ext_length = 8;
		} else {
			ext_length = (ext[1] + 1) * 8;
		}
		if (ext_length > l4_length)
			return PACKET_UNPARSED;
		next = ext[0];
		offset += ext_length;
		l4_length -= ext_length;
	}
	info->protocol = next;
	info->plain_ip = offset == sizeof(*ip);
	return parse_l4(data, data_end, offset, l4_length, info);
}

static __always_inline int parse_packet(struct __sk_buff *skb, struct packet_info *info)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (skb->protocol == bpf_htons(OWS_ETH_P_IP))
		return parse_ipv4(data, data_end, skb->len, info);
	if (skb->protocol == bpf_htons(OWS_ETH_P_IPV6))
		return parse_ipv6(data, data_end, skb->len, info);
	return PACKET_UNPARSED;
}

#endif /* OWS_PACKET_BPF_H */
