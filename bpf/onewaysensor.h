/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types and constants shared by the BPF programs and user space.
 *
 * Only fixed-width types, explicit zeroed padding, no pointers. The C#
 * mirrors live in sensor/OneWaySensor.Linux/Kernel/ and a test checks them
 * against the BTF of the compiled object, member by member.
 */
#ifndef ONEWAYSENSOR_H
#define ONEWAYSENSOR_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define OWS_RECORD_VERSION 1

/* Kinds of records sent through the ring buffer. */
enum ows_record_kind {
	OWS_RECORD_FLOW_OPEN = 1,    /* a flow was seen for the first time */
	OWS_RECORD_PROCESS_EXEC = 2, /* a process called execve */
	OWS_RECORD_PROCESS_EXIT = 3, /* a process (thread group) exited */
};

#define OWS_COMM_LEN 16
#define OWS_FILENAME_LEN 256

/* Which way a packet went, seen from the cgroup's socket. */
enum ows_direction {
	OWS_DIR_TX = 0, /* egress: the local socket sent it */
	OWS_DIR_RX = 1, /* ingress: the local socket received it */
};

/* Indexes of the per-CPU counter array, so no loss goes unseen. */
enum ows_counter {
	OWS_COUNTER_FLOWS_CREATED = 0,  /* new entries in the flow map */
	OWS_COUNTER_FLOW_UPDATE_FAILED, /* a new flow could not be stored */
	OWS_COUNTER_RINGBUF_FULL,       /* a record was lost: ring buffer full */
	OWS_COUNTER_UNPARSED,           /* packets whose headers could not be read */
	OWS_COUNTER_FRAGMENTS,          /* non-first IP fragments (no L4 header) */
	OWS_COUNTER_MAX,
};

/* Every record starts with this header. */
struct ows_record_header {
	__u16 kind;    /* enum ows_record_kind */
	__u16 version; /* OWS_RECORD_VERSION */
	__u32 size;    /* whole record, header included */
	__u64 timestamp_ns; /* CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns) */
};

/*
 * One flow, seen from one cgroup: local is the socket in that cgroup.
 * IPv4 addresses sit in the first 4 bytes of the 16, the rest zero.
 * Ports are in host byte order. ICMP flows carry the echo identifier in
 * both ports (0 for other ICMP messages).
 */
struct ows_flow_key {
	__u64 cgroup_id;
	__u8 ip_version; /* 4 or 6 */
	__u8 protocol;   /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	__u16 local_port;
	__u16 remote_port;
	__u16 pad;
	__u8 local_addr[16];
	__u8 remote_addr[16];
};

/* Counters of one direction of a flow. */
struct ows_flow_counters {
	__u64 packets;
	__u64 ip_bytes;      /* IP header and everything after it */
	__u64 payload_bytes; /* L4 payload, as Zeek's orig_bytes/resp_bytes:
			      * for TCP new sequence space only, so a
			      * retransmission counts as a packet, not as payload */
};

/* The value of the flow map. */
struct ows_flow_stats {
	__u64 first_seen_ns;
	__u64 last_seen_ns;
	struct ows_flow_counters tx;
	struct ows_flow_counters rx;
	__u32 tx_next_seq; /* TCP: sequence number after the highest payload sent */
	__u32 rx_next_seq; /* TCP: the same, received */
	__u8 tx_tcp_flags; /* OR of the TCP flags sent */
	__u8 rx_tcp_flags; /* OR of the TCP flags received */
	__u8 initiator;    /* enum ows_direction of the opening packet */
	__u8 seq_known;    /* bit per enum ows_direction: its next_seq is set */
	__u8 pad[4];
};

/*
 * The process that owns a socket: set in socket-local storage when the
 * socket is created, connects or sends to an address, in that process's
 * context; accepted sockets inherit their listener's (BPF_F_CLONE).
 */
struct ows_process_ref {
	__u32 tgid; /* the process id as user space knows it */
	__u32 pid;  /* the thread */
	char comm[OWS_COMM_LEN];
};

/* OWS_RECORD_FLOW_OPEN: sent once, when a flow enters the flow map. */
struct ows_flow_open_record {
	struct ows_record_header header;
	struct ows_flow_key key;
	__u8 initiator;   /* enum ows_direction */
	__u8 tcp_flags;   /* flags of the opening packet */
	__u8 owner_known; /* 1 when owner is set */
	__u8 pad;
	/*
	 * The counts the record brings, in the opening packet's direction: the
	 * opening packet's (a GSO packet is several), or, for a flow whose entry
	 * was evicted while its socket went on counting, those the socket moved
	 * into the new entry in the initiator's direction
	 */
	__u32 packets;
	__u64 ip_bytes;
	__u64 payload_bytes;
	struct ows_process_ref owner;
};

/* OWS_RECORD_PROCESS_EXEC: from the sched:sched_process_exec tracepoint. */
struct ows_process_exec_record {
	struct ows_record_header header;
	__u64 cgroup_id;
	__u32 tgid;
	__u32 ppid;
	char comm[OWS_COMM_LEN];
	char filename[OWS_FILENAME_LEN]; /* NUL-terminated; bytes after it are undefined */
};

/* OWS_RECORD_PROCESS_EXIT: a thread group leader exited (sched:sched_process_exit). */
struct ows_process_exit_record {
	struct ows_record_header header;
	__u64 cgroup_id;
	__u32 tgid;
	__s32 exit_code; /* as wait(2) encodes it */
	char comm[OWS_COMM_LEN];
};

/*
 * The response: a deny set of cgroups whose packets the cgroup_skb programs
 * drop, both ways, instead of counting them (bpf/isolation.bpf.h). Keyed by
 * cgroup id; an entry also drops the packets of every descendant cgroup.
 */
enum ows_isolation_limit {
	OWS_ISOLATION_MAX_ENTRIES = 1024, /* cgroups the set holds */
	OWS_ISOLATION_MAX_LEVEL = 32,     /* levels looked at (a bit each): the v2 root is level 0 */
};

/* The deny set's value. */
struct ows_isolation {
	__u64 since_ns;   /* when it was isolated: CLOCK_REALTIME, set by user space */
	__u64 tx_dropped; /* egress packets dropped so far (the kernel adds) */
	__u64 rx_dropped; /* ingress packets dropped so far (the kernel adds) */
	__u32 level;      /* the cgroup's depth below the v2 root, 1 or more */
	__u32 pad;
};

#endif /* ONEWAYSENSOR_H */
