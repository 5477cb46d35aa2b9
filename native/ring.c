// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Mapping a BPF ring buffer for reading in place: the sensor's own ring
 * (ows_ring_map) and one pinned by another process (ows_pinned_ring_open,
 * which the drain benchmark uses) share this code.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "ring.h"

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

int ring_mapping_open(int map_fd, __u64 size, struct ring_mapping *mapping)
{
	struct epoll_event event = { .events = EPOLLIN };
	size_t page = page_size();
	int err;

	/* same layout libbpf's ring_buffer uses: consumer page, then producer page and data twice */
	mapping->size = size;
	mapping->consumer_page = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (mapping->consumer_page == MAP_FAILED) {
		mapping->consumer_page = NULL;
		return -errno;
	}
	mapping->producer_length = page + 2 * size;
	mapping->producer_pages = mmap(NULL, mapping->producer_length, PROT_READ, MAP_SHARED, map_fd, page);
	if (mapping->producer_pages == MAP_FAILED) {
		err = -errno;
		mapping->producer_pages = NULL;
		goto cleanup;
	}
	mapping->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (mapping->epoll_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (epoll_ctl(mapping->epoll_fd, EPOLL_CTL_ADD, map_fd, &event) < 0) {
		err = -errno;
		goto cleanup;
	}
	return 0;

cleanup:
	/* undo what was done, so a retry starts clean */
	ring_mapping_close(mapping);
	return err;
}

void ring_mapping_describe(const struct ring_mapping *mapping, struct ows_ring *out)
{
	out->consumer_pos = mapping->consumer_page;
	out->producer_pos = mapping->producer_pages;
	out->data = (const __u8 *)mapping->producer_pages + page_size();
	out->mask = mapping->size - 1;
}

int ring_mapping_wait(const struct ring_mapping *mapping, int timeout_ms)
{
	struct epoll_event event;
	int ready;

	if (mapping->epoll_fd < 0)
		return -EINVAL;
	ready = epoll_wait(mapping->epoll_fd, &event, 1, timeout_ms);
	if (ready < 0)
		return errno == EINTR ? 0 : -errno;
	return ready > 0 ? 1 : 0;
}

void ring_mapping_close(struct ring_mapping *mapping)
{
	if (mapping->epoll_fd >= 0)
		close(mapping->epoll_fd);
	if (mapping->producer_pages)
		munmap(mapping->producer_pages, mapping->producer_length);
	if (mapping->consumer_page)
		munmap(mapping->consumer_page, page_size());
	*mapping = (struct ring_mapping)RING_MAPPING_INIT;
}

struct ows_pinned_ring {
	struct ring_mapping mapping;
	int map_fd;
};

int ows_pinned_ring_open(const char *path, struct ows_pinned_ring **out, struct ows_ring *ring)
{
	struct bpf_map_info info = {};
	__u32 length = sizeof(info);
	struct ows_pinned_ring *pinned;
	int err;

	if (!path || !out || !ring)
		return -EINVAL;
	*out = NULL;
	pinned = calloc(1, sizeof(*pinned));
	if (!pinned)
		return -ENOMEM;
	pinned->mapping = (struct ring_mapping)RING_MAPPING_INIT;
	pinned->map_fd = bpf_obj_get(path);
	if (pinned->map_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (bpf_obj_get_info_by_fd(pinned->map_fd, &info, &length) < 0) {
		err = -errno;
		goto cleanup;
	}
	if (info.type != BPF_MAP_TYPE_RINGBUF) {
		err = -EINVAL;
		goto cleanup;
	}
	err = ring_mapping_open(pinned->map_fd, info.max_entries, &pinned->mapping);
	if (err)
		goto cleanup;
	ring_mapping_describe(&pinned->mapping, ring);
	*out = pinned;
	return 0;

cleanup:
	ows_pinned_ring_close(pinned);
	return err;
}

int ows_pinned_ring_wait(struct ows_pinned_ring *ring, int timeout_ms)
{
	if (!ring)
		return -EINVAL;
	return ring_mapping_wait(&ring->mapping, timeout_ms);
}

void ows_pinned_ring_close(struct ows_pinned_ring *ring)
{
	if (!ring)
		return;
	ring_mapping_close(&ring->mapping);
	if (ring->map_fd >= 0)
		close(ring->map_fd);
	free(ring);
}
