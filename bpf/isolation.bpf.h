/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The response, "isolate the container": a deny set of cgroup ids whose
 * packets both cgroup_skb programs drop. User space pins both maps under
 * bpffs (/sys/fs/bpf/onewaysensor/), so `onewaysensor isolate` and `release`
 * reach them from another process, and a restarted sensor finds them again.
 *
 * An entry covers its cgroup and every cgroup below it: a process that moves
 * into a child cgroup of an isolated container stays isolated. The programs
 * ask bpf_skb_ancestor_cgroup_id() for the packet's ancestor at each level
 * where some entry lives, so a packet costs one hash lookup per such level.
 *
 * The gate keeps the normal path cheap: one array entry holding a bit per
 * cgroup level that has an entry. While it is 0 (nothing isolated, the usual
 * case) a packet pays one inlined array lookup and a compare. User space
 * sets a level's bit before it adds an entry and recomputes the mask after
 * it removes one, under flock(2) on the pin directory, so the gate is never
 * narrower than the set.
 */
#ifndef OWS_ISOLATION_BPF_H
#define OWS_ISOLATION_BPF_H

/* cgroup id -> struct ows_isolation */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OWS_ISOLATION_MAX_ENTRIES);
	__type(key, __u64);
	__type(value, struct ows_isolation);
} ows_isolated SEC(".maps");

/* one entry: bit N set while some isolated cgroup sits at level N */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ows_isolation_gate SEC(".maps");

/*
 * The slow path, only while something is isolated: walks the levels that
 * have entries, from the root down. Not inlined, so the normal path stays
 * short; bounded by OWS_ISOLATION_MAX_LEVEL.
 */
static __noinline int isolated_ancestor(struct __sk_buff *skb, __u32 levels, __u32 direction)
{
	struct ows_isolation *entry;
	__u32 packets;
	__u64 id;

	for (__u32 level = 0; level < OWS_ISOLATION_MAX_LEVEL; level++) {
		if (!(levels >> level))
			break; /* no entry at this level or deeper */
		if (!(levels & (1u << level)))
			continue;
		id = bpf_skb_ancestor_cgroup_id(skb, level);
		if (!id)
			break; /* the packet's cgroup is shallower than this */
		entry = bpf_map_lookup_elem(&ows_isolated, &id);
		if (!entry)
			continue;
		/* as the flows count them: a GSO or GRO packet is several on the wire */
		packets = skb->gso_segs > 1 ? skb->gso_segs : 1;
		if (direction == OWS_DIR_TX)
			__sync_fetch_and_add(&entry->tx_dropped, packets);
		else
			__sync_fetch_and_add(&entry->rx_dropped, packets);
		return 1;
	}
	return 0;
}

/* 1 when the packet's cgroup, or one above it, is isolated: the drop is counted */
static __always_inline int isolated(struct __sk_buff *skb, __u8 direction)
{
	__u32 zero = 0;
	__u32 *levels = bpf_map_lookup_elem(&ows_isolation_gate, &zero);

	if (!levels || !*levels)
		return 0;
	return isolated_ancestor(skb, *levels, direction);
}

#endif /* OWS_ISOLATION_BPF_H */
