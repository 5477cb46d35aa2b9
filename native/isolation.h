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
 * Removes the pins and their directory when the set is empty and no program
 * other than the caller's own_programs uses it: 1 removed, 0 kept.
 */
int deny_set_unpin_if_empty(struct ows_deny_set *set, int own_programs);

/* 1 when the program (an fd) uses the set's map, 0 when not. */
int deny_set_program_uses(int program_fd, const struct ows_deny_set *set);

#endif /* OWS_ISOLATION_H */
