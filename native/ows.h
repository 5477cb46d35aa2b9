/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libonewaysensor: a thin flat API over libbpf for the C# host.
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * on failure, like libbpf; ows_error_text() turns one into words.
 * Handles are opaque. Nothing here allocates per record.
 */
#ifndef OWS_H
#define OWS_H

#include <stddef.h>
#include <linux/types.h>
#include "onewaysensor.h"

#define OWS_EXPORT __attribute__((visibility("default")))

struct ows_sensor;

/* Sizes and tunables applied before the programs are loaded. */
struct ows_options {
	__u32 flow_map_entries;     /* flows the kernel tracks at once */
	__u32 ringbuf_bytes;        /* ring buffer size, a power of 2 >= page size */
	__u64 ringbuf_wakeup_bytes; /* wake user space once this much waits */
};

/* The ring buffer's memory, mapped into this process (see ows_ring_map). */
struct ows_ring {
	__u64 *consumer_pos;       /* written by user space */
	const __u64 *producer_pos; /* written by the kernel */
	const __u8 *data;          /* mapped twice in a row: records never wrap */
	__u64 mask;                /* size - 1 */
};

/* Opens the embedded BPF object and sizes its maps; loads nothing. */
OWS_EXPORT int ows_open(const struct ows_options *options, struct ows_sensor **out);

/* Loads the programs and maps into the kernel (needs CAP_BPF). */
OWS_EXPORT int ows_load(struct ows_sensor *sensor);

/*
 * Attaches every program: the cgroup ones (packets, socket owners) to the
 * cgroup v2 directory at path, the tracepoints (exec, exit) globally.
 */
OWS_EXPORT int ows_attach(struct ows_sensor *sensor, const char *cgroup_path);

/* Detaches every program; safe to call when not attached. */
OWS_EXPORT int ows_detach(struct ows_sensor *sensor);

/* Maps the ring buffer for reading in place; valid until ows_close. */
OWS_EXPORT int ows_ring_map(struct ows_sensor *sensor, struct ows_ring *out);

/* Waits up to timeout_ms for the kernel's wake-up; returns 1 if woken, 0 on timeout. */
OWS_EXPORT int ows_ring_wait(struct ows_sensor *sensor, int timeout_ms);

/* Copies up to capacity flows into keys/values with batch look-ups; *count gets how many. */
OWS_EXPORT int ows_flows_read(struct ows_sensor *sensor, struct ows_flow_key *keys,
			      struct ows_flow_stats *values, __u32 capacity, __u32 *count);

/*
 * Deletes flows user space has finished with, returning each one's last
 * counters in values (found[i] is 0 when the key was already gone).
 */
OWS_EXPORT int ows_flows_take(struct ows_sensor *sensor, const struct ows_flow_key *keys,
			      struct ows_flow_stats *values, __u8 *found, __u32 count);

/* Sums the per-CPU counters (enum ows_counter) into out[0..count). */
OWS_EXPORT int ows_counters_read(struct ows_sensor *sensor, __u64 *out, __u32 count);

/* Size in bytes of a struct as the object's BTF records it. */
OWS_EXPORT int ows_btf_struct_size(struct ows_sensor *sensor, const char *struct_name);

/* Byte offset of a member of a struct as the object's BTF records it. */
OWS_EXPORT int ows_btf_member_offset(struct ows_sensor *sensor, const char *struct_name,
				     const char *member_name);

/* Number of members of a struct as the object's BTF records it. */
OWS_EXPORT int ows_btf_member_count(struct ows_sensor *sensor, const char *struct_name);

/* Value of an enumerator as the object's BTF records it (-ENOENT when absent). */
OWS_EXPORT int ows_btf_enum_value(struct ows_sensor *sensor, const char *enum_name,
				  const char *enumerator_name, __s64 *value);

/*
 * Size (member NULL) or member offset of the shim's own structs (ows_options,
 * ows_ring), so the C# mirrors can be checked as the BPF ones are.
 */
OWS_EXPORT int ows_native_layout(const char *struct_name, const char *member_name);

/* CLOCK_MONOTONIC now, in ns: the base of the records' (coarse) timestamps. */
OWS_EXPORT __u64 ows_monotonic_ns(void);

/* A short English description of a negative errno from this API. */
OWS_EXPORT const char *ows_error_text(int error);

/* Detaches, unloads and frees everything; the handle is gone after it. */
OWS_EXPORT void ows_close(struct ows_sensor *sensor);

#endif /* OWS_H */
