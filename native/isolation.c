// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The deny set behind `onewaysensor isolate`: see ows.h for each export's
 * contract and bpf/isolation.bpf.h for what the programs do with it.
 *
 * Writers are the isolate and release commands (another process) and the
 * sensor (pins and gate at load, pruning removed cgroups, unpinning at a
 * clean stop). Each runs under flock(2) on the pin directory: a change first
 * checks that the pins still name the maps it holds, so it never lands in a
 * set a stopping sensor has just unpinned; a starting sensor holds the lock
 * from before it reuses or creates the pins until its gate is set, so it
 * never pins into a directory a stopping one is removing; and a stopping
 * sensor leaves the pins to any other sensor whose programs use them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ows.h"
#include "isolation.h"
#include "pins.h"

#define LOCK_ATTEMPTS 100     /* of LOCK_WAIT_US each: 5 s in all */
#define LOCK_WAIT_US 50000
#define MAX_PROGRAM_MAPS 64   /* map ids read per program when counting enforcers */
#define MAX_PROGRAMS 65536    /* bound on the walk over loaded programs */
#define DIR_ATTEMPTS 10       /* a starting sensor racing a stopping one's rmdir */

struct ows_deny_set {
	int set_fd;   /* ows_isolated */
	int gate_fd;  /* ows_isolation_gate */
	int dir_fd;   /* the pin directory, locked around changes; -1 when not pinned */
	char *dir;    /* its path, to check the pins still name these maps */
	__u32 set_id; /* kernel ids of the two maps */
	__u32 gate_id;
};

/* the id of the map pinned at dir/name; -ENOENT when nothing is pinned there */
static int pinned_id(const char *dir, const char *name, __u32 *id)
{
	struct bpf_map_info info;
	char path[PATH_MAX];
	int fd, err;

	err = pins_path(path, sizeof(path), dir, name);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return fd;
	err = pins_map_info(fd, &info);
	close(fd);
	if (!err)
		*id = info.id;
	return err;
}

int deny_set_prepare_pins(const char *dir, struct bpf_map *set, struct bpf_map *gate)
{
	char path[PATH_MAX];
	int err;

	err = pins_make_dir(dir);
	if (err)
		return err;
	err = pins_path(path, sizeof(path), dir, OWS_PIN_ISOLATED);
	err = err ?: pins_check(path, set);
	err = err ?: bpf_map__set_pin_path(set, path);
	if (err)
		return err;
	err = pins_path(path, sizeof(path), dir, OWS_PIN_ISOLATION_GATE);
	err = err ?: pins_check(path, gate);
	return err ?: bpf_map__set_pin_path(gate, path);
}

int deny_set_wrap(int set_fd, int gate_fd, const char *dir, struct ows_deny_set **out)
{
	struct ows_deny_set *set;
	struct bpf_map_info info;
	int err;

	*out = NULL;
	set = calloc(1, sizeof(*set));
	if (!set)
		return -ENOMEM;
	set->dir_fd = -1;
	set->set_fd = fcntl(set_fd, F_DUPFD_CLOEXEC, 0);
	set->gate_fd = fcntl(gate_fd, F_DUPFD_CLOEXEC, 0);
	if (set->set_fd < 0 || set->gate_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = pins_map_info(set->set_fd, &info);
	if (err)
		goto cleanup;
	set->set_id = info.id;
	err = pins_map_info(set->gate_fd, &info);
	if (err)
		goto cleanup;
	set->gate_id = info.id;
	if (dir) {
		set->dir = strdup(dir);
		if (!set->dir) {
			err = -ENOMEM;
			goto cleanup;
		}
		set->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (set->dir_fd < 0) {
			err = -errno;
			goto cleanup;
		}
	}
	*out = set;
	return 0;

cleanup:
	ows_deny_set_close(set);
	return err;
}

/* exclusive against every other writer; bounded, so a stuck holder is an error, not a hang */
static int lock_bounded(int fd)
{
	for (int attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		usleep(LOCK_WAIT_US);
	}
	return -EBUSY;
}

static int lock_pins(struct ows_deny_set *set)
{
	if (set->dir_fd < 0)
		return 0; /* not pinned: no other process can write */
	return lock_bounded(set->dir_fd);
}

int deny_set_lock_dir(const char *dir, int *out)
{
	struct stat opened, named;
	int fd, err = -EAGAIN;

	*out = -1;
	for (int attempt = 0; attempt < DIR_ATTEMPTS; attempt++) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			continue; /* removed between mkdir and open */
		}
		err = lock_bounded(fd);
		if (err) {
			close(fd);
			return err;
		}
		/* a stopping sensor may have removed the directory while we waited */
		if (fstat(fd, &opened) == 0 && stat(dir, &named) == 0 && opened.st_ino == named.st_ino) {
			*out = fd;
			return 0;
		}
		close(fd);
		err = -EAGAIN;
	}
	return err;
}

static void unlock_pins(struct ows_deny_set *set)
{
	if (set->dir_fd >= 0)
		flock(set->dir_fd, LOCK_UN);
}

/* under the lock: the pins still name this handle's maps (a stopping sensor may have removed them) */
static int check_still_pinned(struct ows_deny_set *set)
{
	__u32 id = 0;
	int err;

	if (set->dir_fd < 0)
		return 0;
	err = pinned_id(set->dir, OWS_PIN_ISOLATED, &id);
	if (err)
		return err;
	if (id != set->set_id)
		return -ENOENT;
	err = pinned_id(set->dir, OWS_PIN_ISOLATION_GATE, &id);
	if (err)
		return err;
	return id == set->gate_id ? 0 : -ENOENT;
}

/* a bit per level that holds an entry; the kernel never adds or removes entries, so the walk is stable */
static int compute_levels(struct ows_deny_set *set, __u32 *levels)
{
	struct ows_isolation value;
	__u64 key, next;
	void *previous = NULL;
	int err;

	*levels = 0;
	for (__u32 i = 0; i < OWS_ISOLATION_MAX_ENTRIES; i++) {
		err = bpf_map_get_next_key(set->set_fd, previous, &next);
		if (err == -ENOENT)
			return 0;
		if (err)
			return err;
		if (bpf_map_lookup_elem(set->set_fd, &next, &value) == 0 && value.level < OWS_ISOLATION_MAX_LEVEL)
			*levels |= 1u << value.level;
		key = next;
		previous = &key;
	}
	return 0;
}

static int write_gate(struct ows_deny_set *set, __u32 levels)
{
	__u32 zero = 0;

	return bpf_map_update_elem(set->gate_fd, &zero, &levels, BPF_ANY);
}

int deny_set_sync_gate_locked(struct ows_deny_set *set)
{
	__u32 levels;
	int err;

	err = compute_levels(set, &levels);
	return err ?: write_gate(set, levels);
}

int deny_set_join_users(const char *dir, int *out)
{
	char path[PATH_MAX];
	int fd, err;

	*out = -1;
	err = pins_path(path, sizeof(path), dir, OWS_PIN_USERS);
	if (err)
		return err;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* shared: every running sensor holds one; a stopping one that can take it exclusively is the last */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

int deny_set_unpin_if_empty(struct ows_deny_set *set, int users_fd)
{
	__u64 key;
	int err;

	if (set->dir_fd < 0)
		return -ENOENT;
	err = lock_pins(set);
	if (err)
		return err;
	err = check_still_pinned(set);
	if (err)
		goto cleanup;
	err = bpf_map_get_next_key(set->set_fd, NULL, &key);
	if (err != -ENOENT)
		goto cleanup; /* 0: something is isolated, keep the pins */
	/*
	 * another running sensor holds its shared lock on users: the pins are its
	 * too. Taking it exclusively needs no capability (counting the programs
	 * that use the set needed CAP_SYS_ADMIN, which a running sensor has dropped)
	 */
	err = 0;
	if (users_fd < 0 || flock(users_fd, LOCK_EX | LOCK_NB) < 0)
		goto cleanup;
	if (unlinkat(set->dir_fd, OWS_PIN_ISOLATED, 0) < 0 || unlinkat(set->dir_fd, OWS_PIN_ISOLATION_GATE, 0) < 0 ||
	    unlinkat(set->dir_fd, OWS_PIN_USERS, AT_REMOVEDIR) < 0) {
		err = -errno;
		goto cleanup;
	}
	/* under the lock, so a starting sensor never pins into a directory on its way out */
	if (rmdir(set->dir) < 0 && errno != ENOTEMPTY && errno != ENOENT && errno != EBUSY)
		err = -errno;
	else
		err = 1;

cleanup:
	unlock_pins(set);
	return err;
}

/* a map opened from a pin must have the shape this shim was built for */
static int check_shape(int fd, __u32 type, __u32 key_size, __u32 value_size)
{
	struct bpf_map_info info;
	int err = pins_map_info(fd, &info);

	if (err)
		return err;
	return info.type == type && info.key_size == key_size && info.value_size == value_size ? 0 : -ESTALE;
}

int ows_deny_set_open(const char *dir, struct ows_deny_set **out)
{
	char path[PATH_MAX];
	int set_fd = -1, gate_fd = -1, err;

	if (!dir || !out)
		return -EINVAL;
	*out = NULL;
	err = pins_path(path, sizeof(path), dir, OWS_PIN_ISOLATED);
	if (err)
		return err;
	set_fd = bpf_obj_get(path);
	if (set_fd < 0)
		return set_fd;
	err = pins_path(path, sizeof(path), dir, OWS_PIN_ISOLATION_GATE);
	if (err)
		goto cleanup;
	gate_fd = bpf_obj_get(path);
	if (gate_fd < 0) {
		err = gate_fd;
		goto cleanup;
	}
	err = check_shape(set_fd, BPF_MAP_TYPE_HASH, sizeof(__u64), sizeof(struct ows_isolation));
	err = err ?: check_shape(gate_fd, BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(__u32));
	err = err ?: deny_set_wrap(set_fd, gate_fd, dir, out);

cleanup:
	close(set_fd);
	if (gate_fd >= 0)
		close(gate_fd);
	return err;
}

int ows_deny_set_add(struct ows_deny_set *set, __u64 cgroup_id, __u32 level, __u64 since_ns)
{
	struct ows_isolation value = { .since_ns = since_ns, .level = level };
	__u32 zero = 0, levels = 0;
	int err;

	if (!set || !cgroup_id)
		return -EINVAL;
	if (level == 0)
		return -EINVAL; /* the root: every packet of the host */
	if (level >= OWS_ISOLATION_MAX_LEVEL)
		return -E2BIG;
	err = lock_pins(set);
	if (err)
		return err;
	err = check_still_pinned(set);
	if (err)
		goto cleanup;
	/* the gate first: an entry the gate does not cover would not be enforced */
	err = bpf_map_lookup_elem(set->gate_fd, &zero, &levels);
	err = err ?: write_gate(set, levels | (1u << level));
	if (err)
		goto cleanup;
	err = bpf_map_update_elem(set->set_fd, &cgroup_id, &value, BPF_NOEXIST);
	if (err == -EEXIST)
		err = 1;

cleanup:
	unlock_pins(set);
	return err;
}

int ows_deny_set_remove(struct ows_deny_set *set, __u64 cgroup_id, struct ows_isolation *last)
{
	struct ows_isolation value;
	__u32 levels;
	int err;

	if (!set)
		return -EINVAL;
	err = lock_pins(set);
	if (err)
		return err;
	err = check_still_pinned(set);
	err = err ?: bpf_map_lookup_and_delete_elem(set->set_fd, &cgroup_id, &value);
	if (err)
		goto cleanup;
	if (last)
		*last = value;
	/* the gate after: narrowed only to what is left */
	err = compute_levels(set, &levels);
	err = err ?: write_gate(set, levels);

cleanup:
	unlock_pins(set);
	return err;
}

int ows_deny_set_read(struct ows_deny_set *set, __u64 *cgroup_ids, struct ows_isolation *values,
		      __u32 capacity, __u32 *count)
{
	LIBBPF_OPTS(bpf_map_batch_opts, options);
	__u64 batch = 0;
	void *in_batch = NULL;
	__u32 total = 0;
	int err;

	if (!set || !cgroup_ids || !values || !count)
		return -EINVAL;
	*count = 0;
	while (total < capacity) {
		__u32 chunk = capacity - total;

		err = bpf_map_lookup_batch(set->set_fd, in_batch, &batch, cgroup_ids + total, values + total,
					   &chunk, &options);
		total += chunk;
		if (err == -ENOENT)
			break; /* walked the whole set */
		if (err == -ENOSPC && total > 0)
			break; /* a bucket did not fit what is left */
		if (err) {
			*count = total;
			return err;
		}
		in_batch = &batch;
	}
	*count = total;
	return 0;
}

/* 1 when the program (an fd) uses the set's map, 0 when not */
static int deny_set_program_uses(int program_fd, const struct ows_deny_set *set)
{
	__u32 map_ids[MAX_PROGRAM_MAPS];
	struct bpf_prog_info info = {};
	__u32 length = sizeof(info);
	int err, uses = 0;

	info.nr_map_ids = MAX_PROGRAM_MAPS;
	info.map_ids = (__u64)(unsigned long)map_ids;
	err = bpf_obj_get_info_by_fd(program_fd, &info, &length);
	if (err)
		return err;
	for (__u32 i = 0; i < info.nr_map_ids && i < MAX_PROGRAM_MAPS; i++)
		uses |= map_ids[i] == set->set_id;
	return uses;
}

/* 1 when the program with this id uses the set */
static int program_uses_set(__u32 program_id, const struct ows_deny_set *set)
{
	int fd, uses;

	fd = bpf_prog_get_fd_by_id(program_id);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd; /* unloaded meanwhile */
	uses = deny_set_program_uses(fd, set);
	close(fd);
	return uses;
}

int ows_deny_set_enforcers(struct ows_deny_set *set)
{
	__u32 id = 0;
	int count = 0;

	if (!set)
		return -EINVAL;
	for (int i = 0; i < MAX_PROGRAMS; i++) {
		int err = bpf_prog_get_next_id(id, &id);

		if (err == -ENOENT)
			break; /* walked every program */
		if (err)
			return err;
		err = program_uses_set(id, set);
		if (err < 0)
			return err;
		count += err;
	}
	return count;
}

void ows_deny_set_close(struct ows_deny_set *set)
{
	if (!set)
		return;
	if (set->set_fd >= 0)
		close(set->set_fd);
	if (set->gate_fd >= 0)
		close(set->gate_fd);
	if (set->dir_fd >= 0)
		close(set->dir_fd);
	free(set->dir);
	free(set);
}
