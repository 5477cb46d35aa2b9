/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The drain benchmark's types shared by its BPF producer and its C tools. */
#ifndef OWS_DRAIN_H
#define OWS_DRAIN_H

/* Where the producer pins its programs and maps, one name each. */
#define DRAIN_PIN_PRODUCE "produce"   /* the producer program */
#define DRAIN_PIN_AVAIL "ring_avail"  /* a program that returns the bytes waiting */
#define DRAIN_PIN_RING "ring"         /* the ring buffer (bpf/records.bpf.h's ows_records) */
#define DRAIN_PIN_COUNTERS "counters" /* the loss counters (bpf/counters.bpf.h's ows_counters) */

/* The produce program's context: one BPF_PROG_TEST_RUN writes one batch. */
struct drain_batch {
	__u32 count; /* records to write */
	__u32 pad;
};

#endif /* OWS_DRAIN_H */
