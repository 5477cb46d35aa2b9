// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libonewaysensor: see ows.h for the contract of each export. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ows.h"
#include "isolation.h"
#include "pins.h"
#include "caps.h"
#include "ring.h"
#include "onewaysensor.skel.h"

#define OWS_MAX_LINKS 16

struct ows_sensor {
	struct onewaysensor_bpf *skel;
	struct bpf_link *links[OWS_MAX_LINKS];
	int link_count;
	struct bpf_link *flush_link; /* the iterator that moves sockets' pending counts into the flow map */
	struct ring_mapping ring; /* unmapped until ows_ring_map */
	int cpus;
	char *pin_dir; /* where the deny set is pinned; NULL when it is not */
	int flow_pin_fd; /* the flow map's pin directory, locked while this sensor lives; -1 when not pinned */
	int users_fd;    /* the deny set's users directory, shared-locked while this sensor lives; -1 when not pinned */
};

/* libbpf talks on stderr; keep it quiet unless asked, so errors stay one line */
static int libbpf_log(enum libbpf_print_level level, const char *format, va_list args)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("OWS_LIBBPF_LOG") != NULL;
	if (!verbose)
		return 0;
	(void)level;
	return vfprintf(stderr, format, args);
}

static int negative_errno(int fallback)
{
	return errno ? -errno : -fallback;
}

/*
 * The program reads the kernel's tick rate (CONFIG_HZ) to time a socket's
 * packets (bpf/socket_flows.bpf.h). libbpf finds it in the kernel's config
 * at the paths below, and fails the whole load when neither exists, even
 * for a weak extern: then it is given as unknown (0), and the program times
 * those packets by the poll that moves their counts.
 */
static const char *kernel_config_fallback(void)
{
	struct utsname uts;
	char path[PATH_MAX];

	if (uname(&uts) == 0 && snprintf(path, sizeof(path), "/boot/config-%s", uts.release) < (int)sizeof(path) &&
	    access(path, R_OK) == 0)
		return NULL;
	return access("/proc/config.gz", R_OK) == 0 ? NULL : "CONFIG_HZ=0\n";
}

int ows_open(const struct ows_options *options, struct ows_sensor **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_options);
	struct ows_sensor *sensor;
	int err;

	if (!options || !out)
		return -EINVAL;
	*out = NULL;
	libbpf_set_print(libbpf_log);
	sensor = calloc(1, sizeof(*sensor));
	if (!sensor)
		return -ENOMEM;
	sensor->ring = (struct ring_mapping)RING_MAPPING_INIT;
	sensor->flow_pin_fd = -1;
	sensor->users_fd = -1;
	sensor->cpus = libbpf_num_possible_cpus();
	if (sensor->cpus <= 0) {
		err = sensor->cpus ? sensor->cpus : -EINVAL;
		goto cleanup;
	}
	open_options.kconfig = kernel_config_fallback();
	sensor->skel = onewaysensor_bpf__open_opts(&open_options);
	if (!sensor->skel) {
		err = negative_errno(EINVAL);
		goto cleanup;
	}
	err = bpf_map__set_max_entries(sensor->skel->maps.ows_flows, options->flow_map_entries);
	if (err)
		goto cleanup;
	err = bpf_map__set_max_entries(sensor->skel->maps.ows_records, options->ringbuf_bytes);
	if (err)
		goto cleanup;
	sensor->skel->rodata->ringbuf_wakeup_bytes = options->ringbuf_wakeup_bytes;
	*out = sensor;
	return 0;

cleanup:
	ows_close(sensor);
	return err;
}

/*
 * The socket-flow iterator, linked to the sensor's socket storage map at
 * load, not at attach: the last read of the flows comes after the packet
 * programs are detached, and still needs it.
 */
static int flush_link_create(struct ows_sensor *sensor)
{
	union bpf_iter_link_info info = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, options, .link_info = &info, .link_info_len = sizeof(info));

	info.map.map_fd = bpf_map__fd(sensor->skel->maps.ows_socket_flows);
	sensor->flush_link = bpf_program__attach_iter(sensor->skel->progs.ows_flush_sockets, &options);
	return sensor->flush_link ? 0 : negative_errno(EINVAL);
}

/* runs the iterator once over every socket: the work is in the program; it writes nothing to read */
int ows_flows_flush(struct ows_sensor *sensor)
{
	char sink[64];
	ssize_t got;
	int fd;

	if (!sensor)
		return -EINVAL;
	if (!sensor->flush_link)
		return 0; /* not loaded: no socket has counts yet */
	fd = bpf_iter_create(bpf_link__fd(sensor->flush_link));
	if (fd < 0)
		return fd;
	do
		got = read(fd, sink, sizeof(sink));
	while (got > 0 || (got < 0 && errno == EINTR));
	close(fd);
	return got < 0 ? negative_errno(EIO) : 0;
}

int ows_load(struct ows_sensor *sensor)
{
	struct ows_deny_set *set;
	int lock_fd = -1, err;

	if (!sensor)
		return -EINVAL;
	/* pinned: hold the pin lock from before libbpf reuses or creates the pins until the gate is set */
	if (sensor->pin_dir) {
		err = deny_set_lock_dir(sensor->pin_dir, &lock_fd);
		if (err)
			return err;
	}
	err = onewaysensor_bpf__load(sensor->skel);
	err = err ?: flush_link_create(sensor);
	if (err || !sensor->pin_dir)
		goto cleanup;
	/* a reused set may hold entries (isolation survives a restart): open the gate for them */
	err = ows_isolation_of(sensor, &set);
	if (err)
		goto cleanup;
	err = deny_set_sync_gate_locked(set);
	ows_deny_set_close(set);
	err = err ?: deny_set_join_users(sensor->pin_dir, &sensor->users_fd);

cleanup:
	if (lock_fd >= 0)
		close(lock_fd);
	return err;
}

/* cgroup programs attach to the cgroup; tracepoints attach by their section name */
static struct bpf_link *attach_program(struct bpf_program *program, int cgroup_fd)
{
	switch (bpf_program__type(program)) {
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
		return bpf_program__attach_cgroup(program, cgroup_fd);
	default:
		return bpf_program__attach(program);
	}
}

int ows_attach(struct ows_sensor *sensor, const char *cgroup_path)
{
	struct bpf_program *program;
	int cgroup_fd, err = 0;

	if (!sensor || !cgroup_path)
		return -EINVAL;
	if (sensor->link_count)
		return -EALREADY;
	cgroup_fd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_fd < 0)
		return -errno;
	/* links, not legacy attachments: they vanish with this process */
	bpf_object__for_each_program(program, sensor->skel->obj) {
		struct bpf_link *link;

		if (program == sensor->skel->progs.ows_flush_sockets)
			continue; /* linked at load (flush_link_create) */
		if (sensor->link_count == OWS_MAX_LINKS) {
			err = -E2BIG;
			goto cleanup;
		}
		link = attach_program(program, cgroup_fd);
		if (!link) {
			err = negative_errno(EINVAL);
			goto cleanup;
		}
		sensor->links[sensor->link_count++] = link;
	}

cleanup:
	close(cgroup_fd);
	if (err)
		ows_detach(sensor);
	return err;
}

int ows_detach(struct ows_sensor *sensor)
{
	int err = 0;

	if (!sensor)
		return -EINVAL;
	while (sensor->link_count > 0) {
		int ret = bpf_link__destroy(sensor->links[--sensor->link_count]);

		err = err ? err : ret;
		sensor->links[sensor->link_count] = NULL;
	}
	return err;
}

int ows_ring_map(struct ows_sensor *sensor, struct ows_ring *out)
{
	int fd, err;

	if (!sensor || !out)
		return -EINVAL;
	fd = bpf_map__fd(sensor->skel->maps.ows_records);
	if (fd < 0)
		return -EBADF;
	if (!sensor->ring.consumer_page) {
		err = ring_mapping_open(fd, bpf_map__max_entries(sensor->skel->maps.ows_records), &sensor->ring);
		if (err)
			return err;
	}
	ring_mapping_describe(&sensor->ring, out);
	return 0;
}

int ows_ring_wait(struct ows_sensor *sensor, int timeout_ms)
{
	if (!sensor)
		return -EINVAL;
	return ring_mapping_wait(&sensor->ring, timeout_ms);
}

int ows_flows_read(struct ows_sensor *sensor, struct ows_flow_key *keys,
		   struct ows_flow_stats *values, __u32 capacity, __u32 *count)
{
	LIBBPF_OPTS(bpf_map_batch_opts, options);
	__u64 batch = 0;
	void *in_batch = NULL;
	__u32 total = 0;
	int fd, err;

	if (!sensor || !keys || !values || !count)
		return -EINVAL;
	*count = 0;
	fd = bpf_map__fd(sensor->skel->maps.ows_flows);
	while (total < capacity) {
		__u32 chunk = capacity - total;

		err = bpf_map_lookup_batch(fd, in_batch, &batch, keys + total, values + total,
					   &chunk, &options);
		total += chunk;
		if (err == -ENOENT)
			break; /* walked the whole map */
		if (err == -ENOSPC && total > 0)
			break; /* a bucket did not fit what is left; caller reads again */
		if (err) {
			*count = total;
			return err;
		}
		in_batch = &batch;
	}
	*count = total;
	return 0;
}

int ows_flows_take(struct ows_sensor *sensor, const struct ows_flow_key *keys,
		   struct ows_flow_stats *values, __u8 *found, __u32 count)
{
	int fd, err = 0;

	if (!sensor || (count && (!keys || !values || !found)))
		return -EINVAL;
	fd = bpf_map__fd(sensor->skel->maps.ows_flows);
	for (__u32 i = 0; i < count; i++) {
		/* one step, so no packet lands between the last read and the delete */
		int ret = bpf_map_lookup_and_delete_elem(fd, &keys[i], &values[i]);

		found[i] = ret == 0;
		if (ret && ret != -ENOENT && !err)
			err = ret;
	}
	return err;
}

int ows_counters_read(struct ows_sensor *sensor, __u64 *out, __u32 count)
{
	__u64 *per_cpu;
	int fd, err = 0;

	if (!sensor || !out)
		return -EINVAL;
	per_cpu = calloc((size_t)sensor->cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	fd = bpf_map__fd(sensor->skel->maps.ows_counters);
	for (__u32 index = 0; index < count && index < OWS_COUNTER_MAX; index++) {
		out[index] = 0;
		err = bpf_map_lookup_elem(fd, &index, per_cpu);
		if (err)
			goto cleanup;
		for (int cpu = 0; cpu < sensor->cpus; cpu++)
			out[index] += per_cpu[cpu];
	}

cleanup:
	free(per_cpu);
	return err;
}

int ows_isolation_pin(struct ows_sensor *sensor, const char *dir)
{
	int err;

	if (!sensor || !dir)
		return -EINVAL;
	if (bpf_map__fd(sensor->skel->maps.ows_isolated) >= 0 || sensor->pin_dir)
		return -EALREADY; /* loaded, or pinned once already */
	err = deny_set_prepare_pins(dir, sensor->skel->maps.ows_isolated, sensor->skel->maps.ows_isolation_gate);
	if (err)
		return err;
	sensor->pin_dir = strdup(dir);
	return sensor->pin_dir ? 0 : -ENOMEM;
}

int ows_pin_flows(struct ows_sensor *sensor, const char *dir, int *replaced)
{
	struct bpf_map *flows;
	char path[PATH_MAX];
	int fd, err;

	if (!sensor || !dir || !replaced)
		return -EINVAL;
	*replaced = 0;
	flows = sensor->skel->maps.ows_flows;
	if (bpf_map__fd(flows) >= 0 || sensor->flow_pin_fd >= 0)
		return -EALREADY; /* loaded, or pinned once already */
	err = pins_make_dir(dir);
	if (err)
		return err;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* for this sensor's lifetime: the lock goes with the process, however it ends */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto cleanup;
	}
	err = pins_path(path, sizeof(path), dir, OWS_PIN_FLOWS);
	err = err ?: pins_check(path, flows);
	if (err == -ESTALE) {
		/* libbpf would refuse to load with it: start over with a map of the configured shape */
		err = unlink(path) < 0 ? -errno : 0;
		*replaced = !err;
	}
	err = err ?: bpf_map__set_pin_path(flows, path);
	if (err)
		goto cleanup;
	sensor->flow_pin_fd = fd;
	return 0;

cleanup:
	close(fd);
	return err;
}

struct map_probe {
	int map_fd;
	int result;
};

/* on a thread of its own, so the capabilities it drops are only its own */
static void *probe_without_capabilities(void *argument)
{
	struct map_probe *probe = argument;
	struct ows_flow_key key;
	int err;

	probe->result = caps_drop_own(0);
	if (probe->result)
		return NULL;
	err = bpf_map_get_next_key(probe->map_fd, NULL, &key);
	probe->result = err == -EPERM ? 1 : 0;
	return NULL;
}

int ows_maps_need_capability(struct ows_sensor *sensor)
{
	struct map_probe probe = { .map_fd = -1 };
	pthread_t thread;
	int err;

	if (!sensor)
		return -EINVAL;
	probe.map_fd = bpf_map__fd(sensor->skel->maps.ows_flows);
	if (probe.map_fd < 0)
		return -EBADF; /* not loaded */
	err = pthread_create(&thread, NULL, probe_without_capabilities, &probe);
	if (err)
		return -err;
	pthread_join(thread, NULL);
	return probe.result;
}

int ows_isolation_of(struct ows_sensor *sensor, struct ows_deny_set **out)
{
	if (!sensor || !out)
		return -EINVAL;
	*out = NULL;
	if (bpf_map__fd(sensor->skel->maps.ows_isolated) < 0)
		return -EBADF; /* not loaded */
	return deny_set_wrap(bpf_map__fd(sensor->skel->maps.ows_isolated),
			     bpf_map__fd(sensor->skel->maps.ows_isolation_gate), sensor->pin_dir, out);
}

int ows_isolation_unpin_if_empty(struct ows_sensor *sensor)
{
	struct ows_deny_set *set;
	int err;

	if (!sensor)
		return -EINVAL;
	if (!sensor->pin_dir)
		return -ENOENT;
	err = ows_isolation_of(sensor, &set);
	if (err)
		return err;
	err = deny_set_unpin_if_empty(set, sensor->users_fd);
	ows_deny_set_close(set);
	return err;
}

static const struct btf_type *find_struct(struct ows_sensor *sensor, const char *name, int *err)
{
	const struct btf *btf;
	int id;

	*err = 0;
	btf = sensor ? bpf_object__btf(sensor->skel->obj) : NULL;
	if (!btf || !name) {
		*err = -EINVAL;
		return NULL;
	}
	id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	if (id < 0) {
		*err = id;
		return NULL;
	}
	return btf__type_by_id(btf, id);
}

int ows_btf_struct_size(struct ows_sensor *sensor, const char *struct_name)
{
	const struct btf_type *type;
	int err;

	type = find_struct(sensor, struct_name, &err);
	return type ? (int)type->size : err;
}

int ows_btf_member_count(struct ows_sensor *sensor, const char *struct_name)
{
	const struct btf_type *type;
	int err;

	type = find_struct(sensor, struct_name, &err);
	return type ? (int)btf_vlen(type) : err;
}

int ows_btf_member_offset(struct ows_sensor *sensor, const char *struct_name,
			  const char *member_name)
{
	const struct btf *btf;
	const struct btf_type *type;
	const struct btf_member *member;
	int err;

	type = find_struct(sensor, struct_name, &err);
	if (!type || !member_name)
		return type ? -EINVAL : err;
	btf = bpf_object__btf(sensor->skel->obj);
	member = btf_members(type);
	for (__u16 i = 0; i < btf_vlen(type); i++, member++) {
		if (strcmp(btf__name_by_offset(btf, member->name_off), member_name) == 0)
			return (int)(btf_member_bit_offset(type, i) / 8);
	}
	return -ENOENT;
}

int ows_btf_enum_value(struct ows_sensor *sensor, const char *enum_name,
		       const char *enumerator_name, __s64 *value)
{
	const struct btf *btf;
	const struct btf_type *type;
	const struct btf_enum *enumerator;
	int id;

	btf = sensor ? bpf_object__btf(sensor->skel->obj) : NULL;
	if (!btf || !enum_name || !enumerator_name || !value)
		return -EINVAL;
	id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	if (id < 0)
		return id;
	type = btf__type_by_id(btf, id);
	enumerator = btf_enum(type);
	for (__u16 i = 0; i < btf_vlen(type); i++, enumerator++) {
		if (strcmp(btf__name_by_offset(btf, enumerator->name_off), enumerator_name) == 0) {
			*value = enumerator->val;
			return 0;
		}
	}
	return -ENOENT;
}

int ows_native_layout(const char *struct_name, const char *member_name)
{
#define OWS_LAYOUT(type, member)                                                   \
	if (strcmp(struct_name, #type) == 0) {                                     \
		if (!member_name)                                                  \
			return (int)sizeof(struct type);                           \
		if (strcmp(member_name, #member) == 0)                             \
			return (int)offsetof(struct type, member);                 \
	}
	if (!struct_name)
		return -EINVAL;
	OWS_LAYOUT(ows_options, flow_map_entries)
	OWS_LAYOUT(ows_options, ringbuf_bytes)
	OWS_LAYOUT(ows_options, ringbuf_wakeup_bytes)
	OWS_LAYOUT(ows_ring, consumer_pos)
	OWS_LAYOUT(ows_ring, producer_pos)
	OWS_LAYOUT(ows_ring, data)
	OWS_LAYOUT(ows_ring, mask)
#undef OWS_LAYOUT
	return -ENOENT;
}

__u64 ows_monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;
}

const char *ows_error_text(int error)
{
	static __thread char text[128];

	if (libbpf_strerror(error, text, sizeof(text)) < 0)
		snprintf(text, sizeof(text), "error %d", error);
	return text;
}

void ows_close(struct ows_sensor *sensor)
{
	if (!sensor)
		return;
	ows_detach(sensor);
	bpf_link__destroy(sensor->flush_link);
	ring_mapping_close(&sensor->ring);
	if (sensor->flow_pin_fd >= 0)
		close(sensor->flow_pin_fd);
	if (sensor->users_fd >= 0)
		close(sensor->users_fd);
	onewaysensor_bpf__destroy(sensor->skel);
	free(sensor->pin_dir);
	free(sensor);
}
