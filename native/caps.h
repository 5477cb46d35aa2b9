/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside the shim only: capabilities of the calling thread (native/caps.c). */
#ifndef OWS_CAPS_H
#define OWS_CAPS_H

#include <linux/types.h>

/*
 * The calling thread keeps only the capabilities in keep (a bit per CAP_*
 * number), clears its ambient ones and sets no_new_privs. Safe in a signal
 * handler (system calls only). 0 or -errno.
 */
int caps_drop_own(__u64 keep);

#endif /* OWS_CAPS_H */
