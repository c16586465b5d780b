/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The /dev/uioN endpoint: an AF_UNIX SOCK_SEQPACKET listener at
 * <root>/dev/uioN. Each guest open() is one connection; the shim performs
 * the handshake of emu_proto.h inside open(). The first connection that
 * completes it opens the channel, EOF on the last one closes it (also when
 * the guest was SIGKILLed: the kernel closes its sockets).
 */
#ifndef EMU_UIO_H
#define EMU_UIO_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "emu_loop.h"
#include "emu_proto.h"

#define EMU_UIO_MAX_CONNS 32u

struct emu_uio_ops {
	/* First handshake done: open the channel. 0 or -errno (open fails). */
	int (*open)(void *arg);
	/* The last open connection went away. */
	void (*close)(void *arg);
	/* A guest 4-byte write: irq control and doorbell. */
	void (*write)(void *arg, uint32_t value);
	/* A guest memory range; fd belongs to the caller (closed after). */
	void (*mem)(void *arg, const struct emu_mem_range *r, int fd);
	/* Extents of the guest's guest-physical page table. */
	void (*frames)(void *arg, const struct emu_frame_extent *e, unsigned int n);
	/*
	 * A connection that handed memory over died (or was refused) before
	 * its handshake completed, while no channel is open: that memory
	 * belongs to nobody and must not be matched by the next opener.
	 */
	void (*mem_abandon)(void *arg);
};

struct emu_uio;

struct emu_uio_conn {
	struct emu_uio *u; /* back pointer: the slot is the callback arg */
	int fd;	    /* -1 = free slot */
	bool ready; /* handshake completed */
	bool sent_mem; /* EMU_MSG_MEM seen before the handshake completed */
};

struct emu_uio {
	struct emu_loop *loop;
	char path[PATH_MAX];
	int lfd;
	struct emu_uio_conn conn[EMU_UIO_MAX_CONNS];
	unsigned int nready;
	const struct emu_uio_ops *ops;
	void *arg;
};

int emu_uio_listen(struct emu_uio *u, struct emu_loop *loop, const char *path,
		   const struct emu_uio_ops *ops, void *arg);

/* Drop every connection (no close callback) and the listener. */
void emu_uio_destroy(struct emu_uio *u);

/*
 * Deliver the cumulative interrupt count to every open connection; a
 * connection whose socket buffer is full keeps its older pending count.
 */
void emu_uio_notify(struct emu_uio *u, uint32_t count);

/*
 * The device was rescinded: close every connection at once without the
 * close callback (the caller closes the channel itself; the shim turns
 * the guest's EOF/EPIPE into EIO) and stop listening (open fails). The
 * struct may then be reused by emu_uio_listen for a re-offer.
 */
void emu_uio_rescind(struct emu_uio *u);

static inline unsigned int
emu_uio_open_count(const struct emu_uio *u)
{
	return u->nready;
}

#endif /* EMU_UIO_H */
