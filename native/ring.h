/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside the shim only: a BPF ring buffer mapped for reading in place (native/ring.c). */
#ifndef OWS_RING_H
#define OWS_RING_H

#include <stddef.h>
#include <linux/types.h>
#include "ows.h"

/* The ring's pages in this process and an epoll set its wake-ups wake. */
struct ring_mapping {
	void *consumer_page;
	void *producer_pages; /* the producer page, then the data twice */
	size_t producer_length;
	__u64 size; /* bytes of data, a power of 2 */
	int epoll_fd; /* -1 while unmapped */
};

/* An unmapped ring_mapping. */
#define RING_MAPPING_INIT { .epoll_fd = -1 }

/* Maps the ring buffer map_fd (size bytes of data); on failure nothing stays mapped. */
int ring_mapping_open(int map_fd, __u64 size, struct ring_mapping *mapping);

/* Where the mapped ring's positions and data are, for the reader. */
void ring_mapping_describe(const struct ring_mapping *mapping, struct ows_ring *out);

/* Waits up to timeout_ms for a wake-up: 1 woken, 0 timed out (or interrupted). */
int ring_mapping_wait(const struct ring_mapping *mapping, int timeout_ms);

/* Unmaps and closes what ring_mapping_open made; safe on an unmapped one. */
void ring_mapping_close(struct ring_mapping *mapping);

#endif /* OWS_RING_H */
