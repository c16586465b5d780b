/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loopback backend: what the guest sends comes back to it.
 *
 * Frames are not offered back from inside xmit: that runs in the middle
 * of the service's guest-TX processing, and re-entering it with a receive
 * would interleave ring operations. They wait in a fixed ring of slots
 * (allocated once) and go back from the poll hook; a full ring drops.
 *
 * The poll hands every queued frame to emu_nic_rx_burst at once (the
 * pointer and length arrays are allocated with the ring), so frames for
 * one channel share a transfer-page packet and a ring write, as the
 * generator's do. The frames are the guest's, so the host sums their
 * checksums again (no EMU_RX_* flags).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "be_internal.h"

#define LOOP_SLOTS_MAX 512u
#define LOOP_BYTES_MAX (8u << 20) /* bound the preallocation for big MTUs */

struct loop_slot {
	size_t len;
};

struct emu_loopbe {
	struct emu_be_base base;
	size_t slot_size;
	unsigned int nslots;
	unsigned int head, tail; /* free-running; head - tail = queued */
	struct loop_slot *slot;
	uint8_t *data;		 /* nslots * slot_size */
	const void **ptrs;	 /* a burst for emu_nic_rx_burst ... */
	size_t *lens;
	int *rcs;		 /* ... and its results */
};

static void
loop_xmit(struct emu_backend *be, const void *frame, size_t len)
{
	struct emu_loopbe *l = (struct emu_loopbe *)be;
	unsigned int i;

	l->base.c.from_guest++;
	l->base.c.from_guest_bytes += len;
	if (len > l->slot_size || l->head - l->tail == l->nslots) {
		l->base.c.drops++;
		return;
	}
	i = l->head % l->nslots;
	memcpy(l->data + (size_t)i * l->slot_size, frame, len);
	l->slot[i].len = len;
	l->head++;
}

/* Count a frame's outcome as emu_be_to_guest does. */
static void
loop_count(struct emu_loopbe *l, int rc, size_t len)
{
	if (rc == 0) {
		l->base.c.to_guest++;
		l->base.c.to_guest_bytes += len;
	} else if (rc == -EAGAIN) {
		l->base.c.backpressure++;
	} else if (rc == -ENETDOWN) {
		l->base.c.not_ready++;
	} else {
		l->base.c.drops++;
	}
}

/*
 * Offer the queued frames as bursts. A burst stops at a frame the NIC
 * cannot take now: -EAGAIN keeps it and the rest for a later poll (the
 * guest is merely busy); any other refusal drops that frame alone and
 * the rest are offered again, as frame-by-frame delivery would.
 */
static void
loop_poll(struct emu_backend *be)
{
	struct emu_loopbe *l = (struct emu_loopbe *)be;
	unsigned int n, k, i;
	int done;

	while (l->tail != l->head) {
		if (l->base.be.nic == NULL) {
			/* As emu_be_to_guest: counted, the frame is gone. */
			l->base.c.not_ready++;
			l->tail++;
			continue;
		}
		n = l->head - l->tail;
		for (k = 0; k < n; k++) {
			i = (l->tail + k) % l->nslots;
			l->ptrs[k] = l->data + (size_t)i * l->slot_size;
			l->lens[k] = l->slot[i].len;
		}
		done = emu_nic_rx_burst(l->base.be.nic, l->ptrs, l->lens, n, 0,
					l->rcs);
		if (done < 0) {
			l->base.c.drops += n;
			l->tail += n;
			return;
		}
		for (k = 0; k < (unsigned int)done; k++)
			loop_count(l, l->rcs[k], l->lens[k]);
		l->tail += (unsigned int)done;
		if ((unsigned int)done == n)
			return;
		loop_count(l, l->rcs[done], l->lens[done]);
		if (l->rcs[done] == -EAGAIN)
			return;
		l->tail++;
	}
}

static void
loop_print_stats(struct emu_backend *be, FILE *out)
{
	emu_be_print_counters((struct emu_be_base *)be, "loop", out);
}

static void
loop_destroy(struct emu_backend *be)
{
	struct emu_loopbe *l = (struct emu_loopbe *)be;

	if (l == NULL)
		return;
	free(l->slot);
	free(l->data);
	free(l->ptrs);
	free(l->lens);
	free(l->rcs);
	free(l);
}

const struct emu_backend_ops emu_loop_ops = {
	.name = "loop",
	.xmit = loop_xmit,
	.poll = loop_poll,
	.print_stats = loop_print_stats,
	.destroy = loop_destroy,
};

int
emu_loop_backend_create(size_t max_frame, struct emu_backend **out)
{
	struct emu_loopbe *l;

	if (max_frame < 60 || max_frame > LOOP_BYTES_MAX)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->slot_size = max_frame;
	l->nslots = LOOP_BYTES_MAX / max_frame;
	if (l->nslots > LOOP_SLOTS_MAX)
		l->nslots = LOOP_SLOTS_MAX;
	/* A power of two keeps head % nslots continuous when head wraps. */
	while (l->nslots & (l->nslots - 1))
		l->nslots &= l->nslots - 1;
	l->slot = calloc(l->nslots, sizeof(*l->slot));
	l->data = malloc((size_t)l->nslots * l->slot_size);
	l->ptrs = calloc(l->nslots, sizeof(*l->ptrs));
	l->lens = calloc(l->nslots, sizeof(*l->lens));
	l->rcs = calloc(l->nslots, sizeof(*l->rcs));
	if (l->slot == NULL || l->data == NULL || l->ptrs == NULL ||
	    l->lens == NULL || l->rcs == NULL) {
		loop_destroy(&l->base.be);
		return -ENOMEM;
	}
	l->base.be.ops = &emu_loop_ops;
	l->base.kind = EMU_BACKEND_LOOP;
	*out = &l->base.be;
	return 0;
}
