// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Pinned maps under bpffs: see pins.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "pins.h"

int pins_map_info(int fd, struct bpf_map_info *info)
{
	__u32 length = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &length);
}

int pins_path(char *out, size_t size, const char *dir, const char *name)
{
	int length = snprintf(out, size, "%s/%s", dir, name);

	return length < 0 || (size_t)length >= size ? -ENAMETOOLONG : 0;
}

int pins_check(const char *path, const struct bpf_map *map)
{
	struct bpf_map_info info;
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd == -ENOENT)
		return 0; /* nothing yet: load creates and pins it */
	if (fd < 0)
		return fd;
	err = pins_map_info(fd, &info);
	close(fd);
	if (err)
		return err;
	if (info.type != (__u32)bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) || info.max_entries != bpf_map__max_entries(map) ||
	    info.map_flags != bpf_map__map_flags(map))
		return -ESTALE;
	return 0;
}

int pins_make_dir(const char *dir)
{
	char path[PATH_MAX];
	struct statfs fs;
	size_t existing;
	char *slash;

	if (dir[0] != '/')
		return -EINVAL;
	if (strlen(dir) >= sizeof(path))
		return -ENAMETOOLONG;
	strcpy(path, dir);
	/* dir lies inside a bpffs mount, never the mount itself: from its parent up, the nearest existing one is on bpffs */
	slash = strrchr(path, '/');
	slash[slash == path ? 1 : 0] = '\0';
	while (statfs(path, &fs) < 0) {
		if (errno != ENOENT)
			return -errno;
		slash = strrchr(path, '/');
		if (!slash || slash == path)
			return -ENOENT;
		*slash = '\0';
	}
	if (fs.f_type != BPF_FS_MAGIC)
		return -ENOTSUP;
	/* then create each missing component below it, in order */
	existing = strlen(path);
	strcpy(path, dir);
	for (size_t i = existing + 1; i <= strlen(dir); i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		path[i] = dir[i];
	}
	return 0;
}
