// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * scalegen: the traffic of the scale benchmark (bench/scale/run.sh).
 * Loopback only (127.0.0.0/8); every mode stops by itself.
 *
 *   scalegen sink ECHO_PORT DRAIN_PORT SECONDS
 *       UDP on every 127/8 address: echoes each datagram sent to ECHO_PORT
 *       from the address it was sent to (so the sender's flow sees its
 *       answer), reads and drops what comes to DRAIN_PORT.
 *
 *   scalegen flows DIR FIRST CGROUPS FLOWS ONE_WAY_EVERY ECHO_PORT DRAIN_PORT
 *                  ROUND_MS SECONDS PROBE_START PROBE_EVERY PROBES
 *       For each cgroup DIR/cg-FIRST .. DIR/cg-(FIRST+CGROUPS-1) it moves
 *       itself in and opens FLOWS connected UDP sockets (a socket's cgroup
 *       is fixed when it is made), each to its own 127.x.y.z, then moves to
 *       DIR/gen. One process holds at most its hard RLIMIT_NOFILE of
 *       sockets, so the script runs several, each with its own FIRST. Every
 *       ONE_WAY_EVERY-th flow goes to DRAIN_PORT (one-way), the rest to
 *       ECHO_PORT (two-way). Then, for SECONDS, one 32-byte datagram per
 *       flow per round of ROUND_MS, paced over the round. From PROBE_START
 *       seconds on, every PROBE_EVERY seconds, it opens one new one-way
 *       flow in DIR/probe and prints its first packet's time:
 *         probe N ADDR PORT FIRST_PACKET_UNIX_NS
 *       At the end: one "totals ..." line.
 *
 *   scalegen stamp
 *       Copies the sensor's alert lines from stdin to stdout, each after
 *       the CLOCK_REALTIME time it arrived ("SECONDS.NANOS LINE"), and
 *       drops every other record; counts both on stderr at EOF.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FLOWS 1000000
#define MAX_CGROUPS 10000
#define MAX_PROBES 64
#define MAX_SECONDS 86400
#define PAYLOAD 32
#define PACE_CHUNK 256
#define SINK_BATCH 64
#define SINK_RCVBUF (32 << 20)

struct flow {
	int fd;
	unsigned char two_way;
};

struct totals {
	unsigned long long sent, received, send_errors, late_rounds, max_late_ms;
};

static long long now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(long long monotonic_ns)
{
	struct timespec ts = { .tv_sec = monotonic_ns / 1000000000LL, .tv_nsec = monotonic_ns % 1000000000LL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int number(const char *text, long low, long high, const char *what, long *out)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (*text == '\0' || *end != '\0' || value < low || value > high) {
		fprintf(stderr, "scalegen: %s must be %ld..%ld, got '%s'\n", what, low, high, text);
		return -1;
	}
	*out = value;
	return 0;
}

static struct sockaddr_in loopback(unsigned char b, unsigned char c, unsigned char d, int port)
{
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };

	address.sin_addr.s_addr = htonl((127u << 24) | ((unsigned)b << 16) | ((unsigned)c << 8) | d);
	return address;
}

/* a socket's cgroup is the one its creator is in at socket() */
static int enter_cgroup(const char *dir, const char *name)
{
	char path[4096], pid[32];
	int fd, length, ok;

	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", dir, name);
	length = snprintf(pid, sizeof(pid), "%d\n", getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "scalegen: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = write(fd, pid, length) == length;
	if (!ok)
		fprintf(stderr, "scalegen: write %s: %s\n", path, strerror(errno));
	close(fd);
	return ok ? 0 : -1;
}

static int open_flow(struct sockaddr_in local, struct sockaddr_in remote)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* the local address is per cgroup, so no one address runs out of ports */
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
	    connect(fd, (struct sockaddr *)&remote, sizeof(remote)) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void send_one(struct flow *flow, struct totals *totals)
{
	char buffer[PAYLOAD] = "ows-scale";

	/* read last round's echo first, so no receive queue grows */
	while (flow->two_way && recv(flow->fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0)
		totals->received++;
	if (send(flow->fd, buffer, sizeof(buffer), 0) == PAYLOAD)
		totals->sent++;
	else
		totals->send_errors++;
}

/* up to the hard limit only: raising that takes CAP_SYS_RESOURCE, which a container may lack */
static int raise_nofile(long needed)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
		return -1;
	if ((rlim_t)needed > limit.rlim_max) {
		fprintf(stderr, "scalegen: %ld sockets need RLIMIT_NOFILE %ld, the hard limit is %llu: give this process fewer cgroups\n",
			needed - 64, needed, (unsigned long long)limit.rlim_max);
		return -1;
	}
	limit.rlim_cur = (rlim_t)needed;
	return setrlimit(RLIMIT_NOFILE, &limit);
}

static int run_flows(int argc, char **argv)
{
	long first, cgroups, per_cgroup, one_way_every, echo_port, drain_port, round_ms, seconds;
	long probe_start, probe_every, probes;
	const char *dir;
	struct flow *flows = NULL;
	struct totals totals = { 0 };
	long count = 0, opened_probes = 0, i;
	long long start, end, next_probe, setup_start;
	int rc = 1;

	if (argc != 14) {
		fprintf(stderr, "usage: scalegen flows DIR FIRST CGROUPS FLOWS ONE_WAY_EVERY ECHO_PORT DRAIN_PORT ROUND_MS SECONDS PROBE_START PROBE_EVERY PROBES\n");
		return 2;
	}
	dir = argv[2];
	if (number(argv[3], 0, MAX_CGROUPS - 1, "FIRST", &first) ||
	    number(argv[4], 1, MAX_CGROUPS, "CGROUPS", &cgroups) || number(argv[5], 1, MAX_FLOWS, "FLOWS", &per_cgroup) ||
	    number(argv[6], 0, MAX_FLOWS, "ONE_WAY_EVERY", &one_way_every) ||
	    number(argv[7], 1, 65535, "ECHO_PORT", &echo_port) || number(argv[8], 1, 65535, "DRAIN_PORT", &drain_port) ||
	    number(argv[9], 10, 600000, "ROUND_MS", &round_ms) || number(argv[10], 1, MAX_SECONDS, "SECONDS", &seconds) ||
	    number(argv[11], 0, MAX_SECONDS, "PROBE_START", &probe_start) ||
	    number(argv[12], 1, MAX_SECONDS, "PROBE_EVERY", &probe_every) ||
	    number(argv[13], 0, MAX_PROBES, "PROBES", &probes))
		return 2;
	if ((first + cgroups) * per_cgroup > MAX_FLOWS || first + cgroups > MAX_CGROUPS) {
		fprintf(stderr, "scalegen: at most %d flows\n", MAX_FLOWS);
		return 2;
	}
	if (raise_nofile(cgroups * per_cgroup + probes + 64) < 0)
		return 1;
	flows = calloc((size_t)(cgroups * per_cgroup + probes), sizeof(*flows));
	if (!flows)
		return 1;

	setup_start = now_ns(CLOCK_MONOTONIC);
	for (long c = first; c < first + cgroups; c++) {
		char name[32];

		snprintf(name, sizeof(name), "cg-%04ld", c);
		if (enter_cgroup(dir, name) < 0)
			goto cleanup;
		for (long f = 0; f < per_cgroup; f++, count++) {
			/* flow n of the whole run talks to 127.(20 + n/65536).(n/256%256).(n%256): one remote endpoint each */
			long n = c * per_cgroup + f;
			int two_way = one_way_every == 0 || n % one_way_every != one_way_every - 1;
			struct sockaddr_in local = loopback(10, (unsigned char)(c >> 8), (unsigned char)c, 0);
			struct sockaddr_in remote = loopback((unsigned char)(20 + (n >> 16)), (unsigned char)(n >> 8),
							     (unsigned char)n, two_way ? (int)echo_port : (int)drain_port);

			flows[count].fd = open_flow(local, remote);
			flows[count].two_way = (unsigned char)two_way;
			if (flows[count].fd < 0) {
				fprintf(stderr, "scalegen: flow %ld: %s\n", count, strerror(errno));
				goto cleanup;
			}
		}
	}
	if (enter_cgroup(dir, "gen") < 0)
		goto cleanup;
	start = now_ns(CLOCK_MONOTONIC);
	fprintf(stderr, "scalegen: %ld flows in cgroups %ld..%ld opened in %.1f s\n", count, first, first + cgroups - 1,
		(start - setup_start) / 1e9);

	end = start + seconds * 1000000000LL;
	next_probe = probes > 0 ? start + probe_start * 1000000000LL : end;
	/* a round that runs late is followed at once by the next; the end is wall time, late or not */
	for (long long round = start; round < end && now_ns(CLOCK_MONOTONIC) < end; round += round_ms * 1000000LL) {
		long long late;

		/* a new one-way flow whose first packet's time the script compares with its alert */
		if (opened_probes < probes && round >= next_probe) {
			struct flow *probe = &flows[count];
			struct sockaddr_in remote = loopback(99, 0, (unsigned char)(opened_probes + 1), (int)drain_port);

			if (enter_cgroup(dir, "probe") < 0)
				goto cleanup;
			probe->fd = open_flow(loopback(11, 0, 1, 0), remote);
			if (enter_cgroup(dir, "gen") < 0 || probe->fd < 0)
				goto cleanup;
			printf("probe %ld 127.99.0.%ld %ld %lld\n", opened_probes, opened_probes + 1, drain_port, now_ns(CLOCK_REALTIME));
			fflush(stdout);
			send_one(probe, &totals);
			count++;
			opened_probes++;
			next_probe += probe_every * 1000000000LL;
		}

		/* spread the round's datagrams evenly over it: the echo sink keeps up, no burst */
		for (i = 0; i < count; i++) {
			if (i % PACE_CHUNK == 0)
				sleep_until(round + (long long)round_ms * 1000000LL * i / count);
			send_one(&flows[i], &totals);
		}
		late = (now_ns(CLOCK_MONOTONIC) - round) / 1000000LL - round_ms;
		if (late > 0) {
			totals.late_rounds++;
			if ((unsigned long long)late > totals.max_late_ms)
				totals.max_late_ms = (unsigned long long)late;
		}
	}
	printf("totals flows=%ld probes=%ld sent=%llu received=%llu send_errors=%llu late_rounds=%llu max_late_ms=%llu\n",
	       count - opened_probes, opened_probes, totals.sent, totals.received, totals.send_errors, totals.late_rounds,
	       totals.max_late_ms);
	rc = 0;
cleanup:
	for (i = 0; i < count; i++)
		close(flows[i].fd);
	free(flows);
	return rc;
}

static int sink_socket(int port, int echo)
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int buffer = SINK_RCVBUF, on = 1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	any.sin_addr.s_addr = htonl(INADDR_ANY);
	/* root may go past rmem_max: a round's datagrams must fit while the sink is descheduled */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof(buffer));
	if ((echo && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0) ||
	    bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* replies to each datagram from the address it was sent to, as a real peer would */
static unsigned echo_batch(int fd, unsigned long long *echoed)
{
	char data[SINK_BATCH][PAYLOAD], control[SINK_BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct sockaddr_in peers[SINK_BATCH];
	struct iovec iov[SINK_BATCH];
	struct mmsghdr messages[SINK_BATCH];
	int received, sent;

	memset(messages, 0, sizeof(messages));
	for (int i = 0; i < SINK_BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = data[i], .iov_len = PAYLOAD };
		messages[i].msg_hdr = (struct msghdr){ .msg_name = &peers[i], .msg_namelen = sizeof(peers[i]),
						       .msg_iov = &iov[i], .msg_iovlen = 1,
						       .msg_control = control[i], .msg_controllen = sizeof(control[i]) };
	}
	received = recvmmsg(fd, messages, SINK_BATCH, MSG_DONTWAIT, NULL);
	if (received <= 0)
		return 0;
	for (int i = 0; i < received; i++) {
		struct msghdr *header = &messages[i].msg_hdr;
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(header);

		iov[i].iov_len = messages[i].msg_len;
		/* the received IP_PKTINFO, sent back, sets the reply's source to the address asked */
		if (cmsg && cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo *info = (struct in_pktinfo *)CMSG_DATA(cmsg);

			info->ipi_spec_dst = info->ipi_addr;
			info->ipi_ifindex = 0;
		} else {
			header->msg_control = NULL;
			header->msg_controllen = 0;
		}
	}
	sent = sendmmsg(fd, messages, (unsigned)received, 0);
	if (sent > 0)
		*echoed += (unsigned long long)sent;
	return (unsigned)received;
}

static unsigned drain_batch(int fd)
{
	char data[SINK_BATCH][PAYLOAD];
	struct iovec iov[SINK_BATCH];
	struct mmsghdr messages[SINK_BATCH];
	int received;

	memset(messages, 0, sizeof(messages));
	for (int i = 0; i < SINK_BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = data[i], .iov_len = PAYLOAD };
		messages[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	received = recvmmsg(fd, messages, SINK_BATCH, MSG_DONTWAIT, NULL);
	return received > 0 ? (unsigned)received : 0;
}

static int run_sink(int argc, char **argv)
{
	long echo_port, drain_port, seconds;
	unsigned long long echoed = 0, drained = 0, received = 0;
	long long end;
	int echo_fd, drain_fd;

	if (argc != 5) {
		fprintf(stderr, "usage: scalegen sink ECHO_PORT DRAIN_PORT SECONDS\n");
		return 2;
	}
	if (number(argv[2], 1, 65535, "ECHO_PORT", &echo_port) || number(argv[3], 1, 65535, "DRAIN_PORT", &drain_port) ||
	    number(argv[4], 1, MAX_SECONDS, "SECONDS", &seconds))
		return 2;
	echo_fd = sink_socket((int)echo_port, 1);
	drain_fd = sink_socket((int)drain_port, 0);
	if (echo_fd < 0 || drain_fd < 0) {
		fprintf(stderr, "scalegen: sink on ports %ld, %ld: %s\n", echo_port, drain_port, strerror(errno));
		return 1;
	}
	printf("sink ready\n");
	fflush(stdout);
	end = now_ns(CLOCK_MONOTONIC) + seconds * 1000000000LL;
	while (now_ns(CLOCK_MONOTONIC) < end) {
		unsigned got = echo_batch(echo_fd, &echoed);
		unsigned dropped = drain_batch(drain_fd);

		received += got;
		drained += dropped;
		/* nothing waiting: a millisecond's nap costs less than a busy loop, and the buffers hold a round */
		if (got == 0 && dropped == 0)
			sleep_until(now_ns(CLOCK_MONOTONIC) + 1000000LL);
	}
	printf("sink received=%llu echoed=%llu drained=%llu\n", received, echoed, drained);
	close(echo_fd);
	close(drain_fd);
	return 0;
}

static int run_stamp(void)
{
	unsigned long long lines = 0, alerts = 0;
	char *line = NULL;
	size_t capacity = 0;
	ssize_t length;

	while ((length = getline(&line, &capacity, stdin)) > 0) {
		lines++;
		/* a record starts {"seq":N,"kind":"...": the kind is within its first 40 bytes */
		if (memmem(line, length < 40 ? (size_t)length : 40, "\"kind\":\"alert\"", 14)) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			printf("%lld.%09ld %s", (long long)ts.tv_sec, ts.tv_nsec, line);
			fflush(stdout);
			alerts++;
		}
	}
	fprintf(stderr, "stamp: records=%llu alerts=%llu\n", lines, alerts);
	free(line);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "flows") == 0)
		return run_flows(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "sink") == 0)
		return run_sink(argc, argv);
	if (argc == 2 && strcmp(argv[1], "stamp") == 0)
		return run_stamp();
	fprintf(stderr, "usage: scalegen flows|sink|stamp ... (see the comment at the top of bench/scale/scalegen.c)\n");
	return 2;
}
