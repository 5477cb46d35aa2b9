// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Dropping capabilities after start-up, in every thread.
 *
 * Linux keeps capabilities per thread and capset(2) changes only the
 * caller's, while the .NET runtime has started a dozen threads by the time
 * the programs are attached. So, as glibc does for setuid(2): the caller
 * drops its own, then signals every other thread of the process to drop
 * theirs in a handler, and scans /proc/self/task until no thread holds more
 * than it should (a thread created meanwhile by one not yet reached is
 * caught by the next scan). Each thread also sets no_new_privs, so an exec
 * by a root process cannot hand the capabilities back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "ows.h"
#include "caps.h"

#define SCAN_ROUNDS 20
#define WAIT_STEPS 200 /* of WAIT_STEP_US each: 1 s a round */
#define WAIT_STEP_US 5000

static __u64 keep_mask;
static atomic_int threads_done;
static atomic_int threads_failed;

/* capget, mask, capset: system calls only, so safe in a signal handler */
int caps_drop_own(__u64 keep)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &header, data) < 0)
		return -errno;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		__u32 keep_word = (__u32)(keep >> (32 * i));

		data[i].effective &= keep_word;
		data[i].permitted &= keep_word;
		data[i].inheritable &= keep_word;
	}
	if (syscall(SYS_capset, &header, data) < 0)
		return -errno;
	/* ambient capabilities need inheritable ones, all but gone: clear them outright */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

static void on_drop_signal(int signal)
{
	int saved = errno;

	(void)signal;
	if (caps_drop_own(keep_mask) < 0)
		atomic_fetch_add(&threads_failed, 1);
	atomic_fetch_add(&threads_done, 1);
	errno = saved;
}

/* the thread's permitted set, from /proc/self/task/TID/status; -1 when it is gone */
static long long permitted_of(const char *tid)
{
	char path[sizeof("/proc/self/task//status") + NAME_MAX], line[256];
	long long permitted = -1;
	FILE *status;

	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	status = fopen(path, "re");
	if (!status)
		return -1;
	while (fgets(line, sizeof(line), status)) {
		if (strncmp(line, "CapPrm:", 7) == 0) {
			permitted = (long long)strtoull(line + 7, NULL, 16);
			break;
		}
	}
	fclose(status);
	return permitted;
}

/* signals every thread that still holds more than keep; returns how many, or -errno */
static int signal_holders(__u64 keep, int drop_signal)
{
	pid_t self = (pid_t)syscall(SYS_gettid);
	struct dirent *entry;
	int signalled = 0;
	DIR *tasks;

	tasks = opendir("/proc/self/task");
	if (!tasks)
		return -errno;
	while ((entry = readdir(tasks))) {
		long long permitted;
		pid_t tid;

		if (entry->d_name[0] == '.')
			continue;
		tid = (pid_t)atoi(entry->d_name);
		permitted = permitted_of(entry->d_name);
		if (tid == self || permitted < 0 || ((__u64)permitted & ~keep) == 0)
			continue;
		if (syscall(SYS_tgkill, getpid(), tid, drop_signal) == 0)
			signalled++;
	}
	closedir(tasks);
	return signalled;
}

int ows_keep_only_capabilities(__u64 keep)
{
	struct sigaction action = { .sa_handler = on_drop_signal, .sa_flags = SA_RESTART }, previous;
	int drop_signal = SIGRTMAX - 1; /* neither glibc's nor the .NET runtime's */
	int err = 0;

	err = caps_drop_own(keep);
	if (err)
		return err;
	keep_mask = keep;
	sigemptyset(&action.sa_mask);
	if (sigaction(drop_signal, &action, &previous) < 0)
		return -errno;
	for (int round = 0; round < SCAN_ROUNDS; round++) {
		int sent;

		atomic_store(&threads_done, 0);
		sent = signal_holders(keep, drop_signal);
		if (sent <= 0) {
			err = sent;
			break;
		}
		for (int step = 0; step < WAIT_STEPS && atomic_load(&threads_done) < sent; step++)
			usleep(WAIT_STEP_US);
		err = -EAGAIN; /* until a scan finds no holder */
	}
	sigaction(drop_signal, &previous, NULL);
	if (!err && atomic_load(&threads_failed))
		err = -EPERM;
	return err;
}
