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

/*
 * Loads the programs and maps into the kernel (needs CAP_BPF). With the deny
 * set pinned (ows_isolation_pin), it holds the pin lock while libbpf reuses
 * or creates the pins and until the gate matches the set.
 */
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

/* A ring buffer opened from a bpffs pin, apart from any loaded sensor. */
struct ows_pinned_ring;

/*
 * Opens the BPF ring buffer pinned at path and maps it for reading in place,
 * as ows_ring_map does; *ring is valid until ows_pinned_ring_close. -EINVAL
 * when the pin is not a ring buffer. (The drain benchmark reads its
 * producer's ring this way.)
 */
OWS_EXPORT int ows_pinned_ring_open(const char *path, struct ows_pinned_ring **out, struct ows_ring *ring);

/* Waits up to timeout_ms for the producer's wake-up; returns 1 if woken, 0 on timeout. */
OWS_EXPORT int ows_pinned_ring_wait(struct ows_pinned_ring *ring, int timeout_ms);

/* Unmaps and closes it; the pinned map lives on. */
OWS_EXPORT void ows_pinned_ring_close(struct ows_pinned_ring *ring);

/*
 * Moves the counts sockets hold into the flow map (bpf/socket_flows.bpf.h),
 * creating again, with a flow-open record, the entries of flows evicted or
 * expired meanwhile. Call it before draining the ring and reading the map.
 */
OWS_EXPORT int ows_flows_flush(struct ows_sensor *sensor);

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

/*
 * The response: the deny set (bpf/isolation.bpf.h). The running sensor pins
 * it, and its gate, in a bpffs directory; `onewaysensor isolate` and
 * `release` open the pins from another process and change the set. Every
 * change takes flock(2) on the pin directory, so the gate (a bit per cgroup
 * level that has an entry) is never narrower than the set.
 */
#define OWS_PIN_DIR "/sys/fs/bpf/onewaysensor"
#define OWS_PIN_ISOLATED "isolated"             /* the set: cgroup id -> struct ows_isolation */
#define OWS_PIN_ISOLATION_GATE "isolation_gate" /* one __u32: a bit per level with an entry */
#define OWS_PIN_USERS "users"                   /* a directory each running sensor holds a shared flock on */

/*
 * The flow map, pinned so that a restarted sensor carries on with the flows
 * and counts of the one before (the packets of the seconds between the two
 * are not seen: the programs go with the process).
 */
#define OWS_FLOW_PIN_DIR "/sys/fs/bpf/onewaysensor-flows"
#define OWS_PIN_FLOWS "flows" /* struct ows_flow_key -> struct ows_flow_stats */

/*
 * Before ows_load: pins the flow map in dir (created on bpffs, mode 0700),
 * reusing the map pinned there. Holds flock(2) on dir until ows_close, so
 * two running sensors never share one map (one's expiry would delete the
 * other's flows): -EBUSY when another sensor holds it. A map pinned there
 * with another shape (a different FlowMapEntries, another version) is
 * unpinned first and *replaced set to 1. -ENOTSUP when dir is not on bpffs.
 */
OWS_EXPORT int ows_pin_flows(struct ows_sensor *sensor, const char *dir, int *replaced);

/*
 * After start-up: every thread of the process keeps only the capabilities
 * in keep (a bit per CAP_* number) and sets no_new_privs. -EAGAIN when some
 * thread still held more after every scan, -EPERM when one failed to drop.
 */
OWS_EXPORT int ows_keep_only_capabilities(__u64 keep);

/*
 * After ows_load: 1 when reading the loaded maps needs CAP_BPF (kernels
 * before 6.5 check every bpf(2) call while unprivileged BPF is disabled),
 * 0 when the map fds suffice; found on a thread that drops everything.
 */
OWS_EXPORT int ows_maps_need_capability(struct ows_sensor *sensor);

/* A handle on the deny set and its gate: the sensor's own, or opened from the pins. */
struct ows_deny_set;

/*
 * Before ows_load: pins the deny set and its gate in dir (created, mode
 * 0700), reusing the maps already pinned there, so isolation survives a
 * restart; ows_load then sets the gate from what the set holds. -ENOTSUP
 * when dir's parent is not bpffs, -ESTALE when a map pinned there does not
 * match this object (another version's).
 */
OWS_EXPORT int ows_isolation_pin(struct ows_sensor *sensor, const char *dir);

/* After ows_load: a handle on the sensor's own deny set (pinned or not); close it with ows_deny_set_close. */
OWS_EXPORT int ows_isolation_of(struct ows_sensor *sensor, struct ows_deny_set **out);

/*
 * For a clean stop: removes the pins, and the directory, only when the set
 * is empty, so an isolated container stays isolated across a restart, and
 * only when no other running sensor uses them (each holds a shared flock on
 * the users directory from its load on). Returns 1 when removed, 0 when
 * kept, -ENOENT when this sensor pinned nothing.
 */
OWS_EXPORT int ows_isolation_unpin_if_empty(struct ows_sensor *sensor);

/* Opens the deny set pinned in dir; -ENOENT when nothing is pinned there, -ESTALE when it does not match. */
OWS_EXPORT int ows_deny_set_open(const char *dir, struct ows_deny_set **out);

/*
 * Isolates a cgroup, and every cgroup below it: level is its depth below
 * the v2 root (1 or more; -EINVAL for the root, -E2BIG beyond
 * OWS_ISOLATION_MAX_LEVEL - 1), since_ns its CLOCK_REALTIME time. Returns 0
 * when added, 1 when it was already isolated (kept as it was), -E2BIG when
 * the set is full, -ENOENT when the pins were removed meanwhile.
 */
OWS_EXPORT int ows_deny_set_add(struct ows_deny_set *set, __u64 cgroup_id, __u32 level, __u64 since_ns);

/* Releases a cgroup; its entry's last values go to last (may be NULL). -ENOENT when it was not isolated. */
OWS_EXPORT int ows_deny_set_remove(struct ows_deny_set *set, __u64 cgroup_id, struct ows_isolation *last);

/* Copies up to capacity entries with batch look-ups; *count gets how many. */
OWS_EXPORT int ows_deny_set_read(struct ows_deny_set *set, __u64 *cgroup_ids, struct ows_isolation *values,
				 __u32 capacity, __u32 *count);

/*
 * How many loaded BPF programs use this deny set: 2 per running sensor
 * (egress and ingress), 0 when none would enforce it. Needs CAP_SYS_ADMIN
 * to list programs (-EPERM without).
 */
OWS_EXPORT int ows_deny_set_enforcers(struct ows_deny_set *set);

/* Closes the handle; the maps live on while pinned or loaded. */
OWS_EXPORT void ows_deny_set_close(struct ows_deny_set *set);

/* A short English description of a negative errno from this API. */
OWS_EXPORT const char *ows_error_text(int error);

/* Detaches, unloads and frees everything; the handle is gone after it. */
OWS_EXPORT void ows_close(struct ows_sensor *sensor);

#endif /* OWS_H */
