// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * owsgen: a bounded traffic generator for the kernel tests. It is run
 * inside a test's own cgroup and talks only to loopback addresses the
 * test names. Every mode sends a fixed count and stops by itself; every
 * read has a timeout. On success it prints one line:
 *   pid=N local_port=N sent_bytes=N received_bytes=N sent_packets=N received_packets=N
 *
 * Modes (GAP_MS, optional, paces the sends so a flow stays active a while;
 * HOLD_MS, optional, keeps the socket open and idle that long after the
 * last send, before it closes):
 *   udp-send  ADDR PORT COUNT SIZE [GAP_MS [HOLD_MS]]  send COUNT datagrams, read nothing
 *   udp-echo  ADDR PORT COUNT SIZE [GAP_MS [HOLD_MS]]  send COUNT datagrams, read each echo
 *   tcp-send  ADDR PORT COUNT SIZE [GAP_MS [HOLD_MS]]  write COUNT chunks, read nothing back
 *   tcp-echo  ADDR PORT COUNT SIZE [GAP_MS [HOLD_MS]]  write COUNT chunks, read each echo
 *   icmp-echo ADDR COUNT SIZE                COUNT echo requests (raw socket, root), read each reply
 *   udp-fan   ADDR PORT FLOWS COUNT SIZE
 *             FLOWS UDP sockets open at once, each its own flow; each in turn
 *             sends COUNT datagrams back to back; reads nothing. Its line adds
 *             flows=N; local_port is the first socket's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 65000
#define MAX_COUNT 100000
#define MAX_FLOWS 16000
#define MAX_GAP_MS 10000
#define TIMEOUT_SECONDS 3

struct target {
	struct sockaddr_storage address;
	socklen_t length;
	int family;
};

struct totals {
	unsigned long long sent_bytes, received_bytes, sent_packets, received_packets;
};

static int fail(const char *what)
{
	fprintf(stderr, "owsgen: %s: %s\n", what, strerror(errno));
	return 1;
}

static int parse_target(const char *host, int port, struct target *target)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&target->address;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&target->address;

	memset(target, 0, sizeof(*target));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((unsigned short)port);
		target->length = sizeof(*v4);
		target->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((unsigned short)port);
		target->length = sizeof(*v6);
		target->family = AF_INET6;
		return 0;
	}
	fprintf(stderr, "owsgen: not an IP address: %s\n", host);
	return -1;
}

static int open_socket(const struct target *target, int type, int protocol)
{
	struct timeval timeout = { .tv_sec = TIMEOUT_SECONDS };
	int fd = socket(target->family, type, protocol);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	return fd;
}

/*
 * bind to the loopback address of the target's family, port 0, before
 * connecting: the kernel then picks the port among that address's, so
 * sockets other tests hold on other loopback addresses cannot use them up
 * (a wildcard bind conflicts with all of them)
 */
static int bind_loopback(int fd, int family)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	return family == AF_INET ? bind(fd, (struct sockaddr *)&v4, sizeof(v4))
				 : bind(fd, (struct sockaddr *)&v6, sizeof(v6));
}

static int local_port(int fd)
{
	struct sockaddr_storage address;
	socklen_t length = sizeof(address);

	if (getsockname(fd, (struct sockaddr *)&address, &length) < 0)
		return -1;
	if (address.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&address)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
}

static int read_exactly(int fd, char *buffer, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = recv(fd, buffer + done, size - done, 0);

		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static void pause_ms(long ms)
{
	struct timespec gap = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&gap, &gap) < 0 && errno == EINTR)
		;
}

static int run_stream(const struct target *target, int datagram, int echo, long count, long size,
		      long gap_ms, long hold_ms, struct totals *totals, int *port)
{
	static char buffer[MAX_SIZE];
	int fd = open_socket(target, datagram ? SOCK_DGRAM : SOCK_STREAM, 0);
	int err = 0;

	if (fd < 0)
		return fail("socket");
	memset(buffer, 'o', sizeof(buffer));
	if (bind_loopback(fd, target->family) < 0) {
		err = fail("bind");
		goto cleanup;
	}
	if (connect(fd, (struct sockaddr *)&target->address, target->length) < 0) {
		err = fail("connect");
		goto cleanup;
	}
	*port = local_port(fd);
	for (long i = 0; i < count; i++) {
		if (i > 0)
			pause_ms(gap_ms);
		if (send(fd, buffer, (size_t)size, 0) != size) {
			err = fail("send");
			goto cleanup;
		}
		totals->sent_bytes += (unsigned long long)size;
		totals->sent_packets++;
		if (!echo)
			continue;
		if (datagram ? recv(fd, buffer, sizeof(buffer), 0) != size
			     : read_exactly(fd, buffer, (size_t)size) < 0) {
			err = fail("reading the echo");
			goto cleanup;
		}
		totals->received_bytes += (unsigned long long)size;
		totals->received_packets++;
	}
	pause_ms(hold_ms);
	if (!datagram) {
		/* half-close, then wait for the peer to close: both FINs are on the wire */
		shutdown(fd, SHUT_WR);
		while (recv(fd, buffer, sizeof(buffer), 0) > 0)
			;
	}

cleanup:
	close(fd);
	return err;
}

/* each socket needs a descriptor: raise the soft limit as far as the hard one allows */
static int allow_descriptors(long wanted)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
		return -1;
	if (limit.rlim_cur >= (rlim_t)wanted)
		return 0;
	if (limit.rlim_max < (rlim_t)wanted) {
		errno = EMFILE;
		return -1;
	}
	limit.rlim_cur = (rlim_t)wanted;
	return setrlimit(RLIMIT_NOFILE, &limit);
}

static int run_fan(const struct target *target, long flows, long count, long size,
		   struct totals *totals, int *port)
{
	static char buffer[MAX_SIZE];
	static int fds[MAX_FLOWS];
	long opened = 0;
	int err = 0;

	memset(buffer, 'f', sizeof(buffer));
	if (allow_descriptors(flows + 16) < 0)
		return fail("raising RLIMIT_NOFILE");
	/* every socket open before the first datagram: all flows are live together */
	for (; opened < flows; opened++) {
		fds[opened] = open_socket(target, SOCK_DGRAM, 0);
		if (fds[opened] < 0) {
			err = fail("socket");
			goto cleanup;
		}
		if (bind_loopback(fds[opened], target->family) < 0 ||
		    connect(fds[opened], (struct sockaddr *)&target->address, target->length) < 0) {
			opened++;
			err = fail("connect");
			goto cleanup;
		}
	}
	*port = local_port(fds[0]);
	for (long i = 0; i < flows; i++) {
		for (long n = 0; n < count; n++) {
			if (send(fds[i], buffer, (size_t)size, 0) != size) {
				err = fail("send");
				goto cleanup;
			}
			totals->sent_bytes += (unsigned long long)size;
			totals->sent_packets++;
		}
	}

cleanup:
	while (opened > 0)
		close(fds[--opened]);
	return err;
}

static unsigned short checksum(const void *data, size_t length)
{
	const unsigned short *words = data;
	unsigned long sum = 0;

	for (; length > 1; length -= 2)
		sum += *words++;
	if (length)
		sum += *(const unsigned char *)words;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (unsigned short)~sum;
}

static int run_icmp(const struct target *target, long count, long size, struct totals *totals,
		    int *port)
{
	static char packet[MAX_SIZE + 8], reply[MAX_SIZE + 128];
	int v6 = target->family == AF_INET6;
	int fd = open_socket(target, SOCK_RAW, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	unsigned short id = (unsigned short)(getpid() & 0xFFFF);
	int err = 0;

	if (fd < 0)
		return fail("raw socket (needs root)");
	if (v6) {
		/* only replies reach this socket, not the request looped back to it */
		struct icmp6_filter filter;

		ICMP6_FILTER_SETBLOCKALL(&filter);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter));
	}
	for (long i = 0; i < count; i++) {
		memset(packet, 'p', sizeof(packet));
		packet[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
		packet[1] = 0;
		memset(packet + 2, 0, 2);
		*(unsigned short *)(packet + 4) = htons(id);
		*(unsigned short *)(packet + 6) = htons((unsigned short)i);
		if (!v6) /* the kernel fills in the ICMPv6 checksum itself */
			*(unsigned short *)(packet + 2) = checksum(packet, (size_t)size + 8);
		if (sendto(fd, packet, (size_t)size + 8, 0, (struct sockaddr *)&target->address,
			   target->length) != size + 8) {
			err = fail("sendto");
			goto cleanup;
		}
		totals->sent_bytes += (unsigned long long)size;
		totals->sent_packets++;
		/* wait for our own reply; a raw IPv4 socket also sees other ICMP */
		for (;;) {
			ssize_t n = recv(fd, reply, sizeof(reply), 0);
			const unsigned char *icmp = (const unsigned char *)reply;

			if (n < 0) {
				err = fail("waiting for the echo reply");
				goto cleanup;
			}
			if (!v6)
				icmp += (reply[0] & 0x0F) * 4;
			if (icmp[0] == (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) &&
			    ntohs(*(const unsigned short *)(icmp + 4)) == id &&
			    ntohs(*(const unsigned short *)(icmp + 6)) == (unsigned short)i)
				break;
		}
		totals->received_bytes += (unsigned long long)size;
		totals->received_packets++;
	}
	*port = id;

cleanup:
	close(fd);
	return err;
}

static long bounded(const char *text, long low, long high, const char *name)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (*end || value < low || value > high) {
		fprintf(stderr, "owsgen: %s must be %ld..%ld, got %s\n", name, low, high, text);
		exit(2);
	}
	return value;
}

int main(int argc, char **argv)
{
	struct totals totals = { 0 };
	struct target target;
	const char *mode = argc > 1 ? argv[1] : "";
	long flows = 1;
	int port = -1, err;

	if (strcmp(mode, "icmp-echo") == 0 && argc == 5) {
		if (parse_target(argv[2], 0, &target) < 0)
			return 2;
		err = run_icmp(&target, bounded(argv[3], 1, MAX_COUNT, "COUNT"),
			       bounded(argv[4], 0, MAX_SIZE, "SIZE"), &totals, &port);
	} else if (argc >= 6 && argc <= 8 &&
		   (strcmp(mode, "udp-send") == 0 || strcmp(mode, "udp-echo") == 0 ||
		    strcmp(mode, "tcp-send") == 0 || strcmp(mode, "tcp-echo") == 0)) {
		if (parse_target(argv[2], (int)bounded(argv[3], 1, 65535, "PORT"), &target) < 0)
			return 2;
		err = run_stream(&target, mode[0] == 'u', strstr(mode, "echo") != NULL,
				 bounded(argv[4], 1, MAX_COUNT, "COUNT"),
				 bounded(argv[5], 1, MAX_SIZE, "SIZE"),
				 argc >= 7 ? bounded(argv[6], 0, MAX_GAP_MS, "GAP_MS") : 0,
				 argc == 8 ? bounded(argv[7], 0, MAX_GAP_MS, "HOLD_MS") : 0, &totals, &port);
	} else if (argc == 7 && strcmp(mode, "udp-fan") == 0) {
		if (parse_target(argv[2], (int)bounded(argv[3], 1, 65535, "PORT"), &target) < 0)
			return 2;
		flows = bounded(argv[4], 1, MAX_FLOWS, "FLOWS");
		err = run_fan(&target, flows, bounded(argv[5], 1, MAX_COUNT, "COUNT"),
			      bounded(argv[6], 1, MAX_SIZE, "SIZE"), &totals, &port);
	} else {
		fprintf(stderr, "usage: owsgen udp-send|udp-echo|tcp-send|tcp-echo ADDR PORT COUNT SIZE [GAP_MS [HOLD_MS]]\n"
				"       owsgen udp-fan ADDR PORT FLOWS COUNT SIZE\n"
				"       owsgen icmp-echo ADDR COUNT SIZE\n");
		return 2;
	}
	if (err)
		return 1;
	printf("pid=%d local_port=%d sent_bytes=%llu received_bytes=%llu sent_packets=%llu received_packets=%llu",
	       (int)getpid(), port, totals.sent_bytes, totals.received_bytes, totals.sent_packets,
	       totals.received_packets);
	if (strcmp(mode, "udp-fan") == 0)
		printf(" flows=%ld", flows);
	printf("\n");
	return 0;
}
