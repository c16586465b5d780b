/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loopback backend: what the guest sends comes back to it.
 *
 * Frames are not offered back from inside xmit: that runs in the middle
 * of the service's guest-TX processing, and re-entering it with a receive
 * would interleave ring operations. They wait in a fixed ring of slots
 * (allocated once) and go back from the poll hook; a full ring drops.
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

static void
loop_poll(struct emu_backend *be)
{
	struct emu_loopbe *l = (struct emu_loopbe *)be;

	while (l->tail != l->head) {
		unsigned int i = l->tail % l->nslots;
		int ret = emu_be_to_guest(&l->base,
					  l->data + (size_t)i * l->slot_size,
					  l->slot[i].len);

		/* Keep the frame while the guest is merely busy. */
		if (ret == -EAGAIN)
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
	if (l->slot == NULL || l->data == NULL) {
		loop_destroy(&l->base.be);
		return -ENOMEM;
	}
	l->base.be.ops = &emu_loop_ops;
	l->base.kind = EMU_BACKEND_LOOP;
	*out = &l->base.be;
	return 0;
}
