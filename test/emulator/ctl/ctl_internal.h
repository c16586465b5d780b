/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the server and the client side of the control socket. */
#ifndef EMU_CTL_INTERNAL_H
#define EMU_CTL_INTERNAL_H

#include <stddef.h>

#include "emu_ctl.h"

/* Send all of p, waiting a bounded time for room; 0 or -errno. */
int emu_ctl_send_all(int fd, const char *p, size_t len);

#endif /* EMU_CTL_INTERNAL_H */
