/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside the shim only: what ows.c asks of the deny set (native/isolation.c). */
#ifndef OWS_ISOLATION_H
#define OWS_ISOLATION_H

#include <bpf/libbpf.h>

struct ows_deny_set;

/* Before load: checks dir is on bpffs, creates it, checks any maps pinned there and sets the pin paths. */
int deny_set_prepare_pins(const char *dir, struct bpf_map *set, struct bpf_map *gate);

/* A handle on two map fds (duplicated) and, when dir is set, their pin directory. */
int deny_set_wrap(int set_fd, int gate_fd, const char *dir, struct ows_deny_set **out);

/*
 * Creates dir if needed, opens and locks it (flock, bounded wait), retrying
 * when a stopping sensor removed it meanwhile; *out is the locked fd, which
 * closing unlocks.
 */
int deny_set_lock_dir(const char *dir, int *out);

/* Sets the gate from the set's entries; the caller holds the pin lock. */
int deny_set_sync_gate_locked(struct ows_deny_set *set);

/*
 * Under the pin lock, after the pins are in place: the sensor joins the
 * set's users, a shared flock(2) on dir/users held until *out is closed
 * (the process's end closes it, however it ends).
 */
int deny_set_join_users(const char *dir, int *out);

/*
 * Removes the pins and their directory when the set is empty and no other
 * running sensor is a user (users_fd, this sensor's own, can be taken
 * exclusively): 1 removed, 0 kept.
 */
int deny_set_unpin_if_empty(struct ows_deny_set *set, int users_fd);

#endif /* OWS_ISOLATION_H */
