/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Per-CPU loss and activity counters; user space sums the CPUs. */
#ifndef OWS_COUNTERS_BPF_H
#define OWS_COUNTERS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OWS_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ows_counters SEC(".maps");

static __always_inline void counter_inc(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&ows_counters, &index);

	/*
	 * per-CPU slot, no atomic: an ingress run in softirq that interrupts an
	 * egress run on the same CPU can lose one increment, which a counter of
	 * rare events can afford
	 */
	if (value)
		*value += 1;
}

#endif /* OWS_COUNTERS_BPF_H */
