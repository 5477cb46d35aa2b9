/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside the shim only: maps pinned under bpffs, as the deny set and the flow map use them. */
#ifndef OWS_PINS_H
#define OWS_PINS_H

#include <stddef.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* The kernel's description of a map or program fd. */
int pins_map_info(int fd, struct bpf_map_info *info);

/* dir/name into out, or -ENAMETOOLONG. */
int pins_path(char *out, size_t size, const char *dir, const char *name);

/*
 * 0 when nothing is pinned at path or what is pinned has the shape this
 * object declares for map (type, key, value, entries, flags: what libbpf
 * checks before it reuses a pin); -ESTALE when it differs.
 */
int pins_check(const char *path, const struct bpf_map *map);

/*
 * Creates dir and any missing parents (mode 0700), after checking that the
 * nearest existing one of its parents lies on bpffs (so dir is inside a
 * bpffs mount, never the mount itself): -ENOTSUP when it does not, so
 * nothing is created outside bpffs.
 */
int pins_make_dir(const char *dir);

#endif /* OWS_PINS_H */
