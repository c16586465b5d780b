/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loopback backend: what the guest sends comes back to it.
 *
 * Frames are not offered back from inside xmit: that runs in the middle
 * of the service's guest-TX processing, and re-entering it with a receive
 * would interleave ring operations. They wait in a fixed ring of slots
 * (allocated once) and go back from the poll hook; a full ring drops.
 *
 * The poll hands the queued frames to emu_nic_rx_burst at once, where
 * they lie (every slot's pointer is fixed, xmit stores the length next
 * to it), so frames for one channel share a transfer-page packet and a
 * ring write, as the generator's do. The frames are the guest's, so the
 * host sums their checksums again (no EMU_RX_* flags).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "be_internal.h"
#include "emu_copy.h"
#include "hv_compiler.h"

#define LOOP_SLOTS_MAX 512u
#define LOOP_BYTES_MAX (8u << 20) /* bound the preallocation for big MTUs */

struct emu_loopbe {
	struct emu_be_base base;
	size_t slot_size;
	unsigned int nslots;	 /* a power of two */
	unsigned int head, tail; /* free-running; head - tail = queued */
	uint8_t *data;		 /* nslots * slot_size */
	/* Slot i's frame is ptrs[i] (its slot) and lens[i] bytes: the
	 * queued frames up to the ring's end are a burst for
	 * emu_nic_rx_burst as they lie, nothing is gathered per poll. A
	 * frame the NIC lets the loop hold (xmit_held) is not copied:
	 * ptrs[i] points into the guest's transmit memory until release,
	 * which offers it to the guest from there (the frame's one copy)
	 * or copies it into its slot if it is still queued. */
	const void **ptrs;
	size_t *lens;
	int *rcs;		 /* a burst's results */
	bool held;		 /* a slot from held_from on points away */
	unsigned int held_from;
};

/* Frames up to this length are copied even when they could be held:
 * two fixed moves cost less than the release's look at the slot. */
#define LOOP_HOLD_MIN 65u

/* Slot i's own storage. */
static inline uint8_t *
loop_slot(const struct emu_loopbe *l, unsigned int i)
{
	return l->data + (size_t)i * l->slot_size;
}

/* Point slot i (ring position head) at the guest's frame. */
static inline void
loop_hold(struct emu_loopbe *l, unsigned int head, unsigned int i,
	  const void *frame)
{
	if (!l->held) {
		l->held = true;
		l->held_from = head;
	}
	l->ptrs[i] = frame;
}

/*
 * The copy of a frame into its slot: minimum frames (32..64 bytes) as
 * two overlapping fixed-size moves, no call; the rest through emu_copy.
 */
static inline void
loop_copy(uint8_t *dst, const uint8_t *f, size_t len)
{
	if (len >= 32 && len <= 64) {
		memcpy(dst, f, 32);
		memcpy(dst + len - 32, f + len - 32, 32);
		return;
	}
	emu_copy(dst, f, len);
}

static void
loop_xmit(struct emu_backend *be, const void *frame, size_t len)
{
	struct emu_loopbe *l = (struct emu_loopbe *)be;
	unsigned int head = l->head, i;

	l->base.c.from_guest++;
	l->base.c.from_guest_bytes += len;
	if (len > l->slot_size || head - l->tail == l->nslots) {
		l->base.c.drops++;
		return;
	}
	i = head & (l->nslots - 1);
	loop_copy(l->data + (size_t)i * l->slot_size, frame, len);
	l->lens[i] = len;
	l->head = head + 1;
}

/*
 * The frames of a guest packet: xmit's work for each, the counters and
 * the ring's indexes once. Frames past a full ring or too long for a
 * slot are dropped and counted, as xmit does. Minimum frames take an
 * inner loop without calls (its values stay in registers); any other
 * frame leaves it for one round of the general case.
 */
static __attribute__((noinline)) void
loop_xmit_walk(struct emu_loopbe *l, const uint8_t *base,
	       const struct emu_frame_span *sp, unsigned int n, bool hold)
{
	unsigned int head = l->head, head0 = head, mask = l->nslots - 1;
	unsigned int limit = l->tail + l->nslots; /* head == limit: full */
	size_t slot = l->slot_size, small = slot < 64 ? slot : 64;
	const struct emu_frame_span *p = sp, *end = sp + n, *stop;
	uint8_t *data = l->data;
	size_t *lens = l->lens;
	uint64_t bytes = 0;
	size_t len;

	while (p != end) {
		/* As many frames as there are free slots up to the ring's
		 * end, at most: the slot and its length are then walked by
		 * pointer. */
		unsigned int i = head & mask, room = limit - head;
		uint8_t *dst = data + (size_t)i * slot;
		size_t *lp = lens + i;

		if (room > l->nslots - i)
			room = l->nslots - i;
		stop = (size_t)(end - p) < room ? end : p + room;
		for (; p != stop; p++, dst += slot, lp++) {
			const uint8_t *src = base + p->off;

			len = p->len;
			if (len - 32 > small - 32)
				break;
			memcpy(dst, src, 32);
			memcpy(dst + len - 32, src + len - 32, 32);
			*lp = len;
			bytes += len;
		}
		head += (unsigned int)(lp - (lens + i));
		if (p == end)
			break;
		len = p->len;
		bytes += len;
		p++;
		if (len > slot || head == limit)
			continue; /* dropped: counted below */
		if (hold && len >= LOOP_HOLD_MIN)
			loop_hold(l, head, head & mask, base + p[-1].off);
		else
			loop_copy(data + (size_t)(head & mask) * slot,
				  base + p[-1].off, len);
		lens[head & mask] = len;
		head++;
	}
	l->head = head;
	l->base.c.from_guest += n;
	l->base.c.from_guest_bytes += bytes;
	l->base.c.drops += n - (head - head0);
}

/*
 * loop_xmit_burst's common packet: n minimum frames (32..64 bytes) with
 * free slots for all of them before the ring's end; a loop without the
 * general case's bookkeeping. False, with nothing changed (a slot
 * written past head is free and unread), at the first other frame: the
 * general walk takes the packet from its start.
 */
static inline __attribute__((always_inline)) bool
loop_xmit_small(struct emu_loopbe *l, const uint8_t *base,
		const struct emu_frame_span *sp, unsigned int n,
		const size_t fixed)
{
	unsigned int head = l->head, i = head & (l->nslots - 1);
	size_t slot = l->slot_size, *lp = l->lens + i, len;
	const struct emu_frame_span *p = sp, *end = sp + n;
	uint8_t *dst = l->data + (size_t)i * slot;
	uint64_t bytes = 0;

	if (slot < 64 || n > l->tail + l->nslots - head || n > l->nslots - i)
		return false;
	for (; p != end; p++, dst += slot, lp++) {
		const uint8_t *src = base + p->off;

		len = p->len;
		if (fixed != 0) {
			/* Every frame that length: fixed moves, the bytes
			 * counted once below. */
			if (len != fixed)
				return false;
			len = fixed;
		} else if (len - 32 > 32) {
			return false;
		}
		memcpy(dst, src, 32);
		memcpy(dst + len - 32, src + len - 32, 32);
		*lp = len;
		if (fixed == 0)
			bytes += len;
	}
	if (fixed != 0)
		bytes = (uint64_t)n * fixed;
	l->head = head + n;
	l->base.c.from_guest += n;
	l->base.c.from_guest_bytes += bytes;
	return true;
}

/* A packet of 64-byte frames (RFC 2544's smallest, testpmd's) with the
 * length a constant; any other frame: the minimum-frame loop from the
 * packet's start (slots written past head are unread); the rest by the
 * walk, which with @held leaves the longer frames in the guest's send
 * sections until loop_release. */
static inline void
loop_xmit_spans(struct emu_backend *be, const uint8_t *base,
		const struct emu_frame_span *sp, unsigned int n, bool held)
{
	struct emu_loopbe *l = (struct emu_loopbe *)be;

	if (n != 0 && sp[0].len == 64 && loop_xmit_small(l, base, sp, n, 64))
		return;
	if (hv_likely(loop_xmit_small(l, base, sp, n, 0)))
		return;
	loop_xmit_walk(l, base, sp, n, held);
}

static void
loop_xmit_burst(struct emu_backend *be, const uint8_t *base,
		const struct emu_frame_span *sp, unsigned int n)
{
	loop_xmit_spans(be, base, sp, n, false);
}

static void
loop_xmit_burst_held(struct emu_backend *be, const uint8_t *base,
		     const struct emu_frame_span *sp, unsigned int n)
{
	loop_xmit_spans(be, base, sp, n, true);
}

/* loop_xmit without the copy (the frame stays in the guest's memory
 * until loop_release). */
static void
loop_xmit_held(struct emu_backend *be, const void *frame, size_t len)
{
	struct emu_loopbe *l = (struct emu_loopbe *)be;
	unsigned int head = l->head;

	if (len < LOOP_HOLD_MIN) {
		loop_xmit(be, frame, len);
		return;
	}
	l->base.c.from_guest++;
	l->base.c.from_guest_bytes += len;
	if (len > l->slot_size || head - l->tail == l->nslots) {
		l->base.c.drops++;
		return;
	}
	loop_hold(l, head, head & (l->nslots - 1), frame);
	l->lens[head & (l->nslots - 1)] = len;
	l->head = head + 1;
}

/* Count a refused frame's outcome as emu_be_to_guest does. */
static void
loop_count_refused(struct emu_loopbe *l, int rc)
{
	if (rc == -EAGAIN)
		l->base.c.backpressure++;
	else if (rc == -ENETDOWN)
		l->base.c.not_ready++;
	else
		l->base.c.drops++;
}

/* The outcomes of frames [t, t + done) of a burst that started at slot t. */
static void
loop_count(struct emu_loopbe *l, unsigned int t, unsigned int done)
{
	const int *rcs = l->rcs;
	const size_t *lens = l->lens + t;
	uint64_t refused = 0, bytes = 0;
	unsigned int k;
	int any = 0;

	/* The common burst, every frame taken: two reductions without
	 * branches (the compiler's vector loops); else frame by frame. */
#pragma GCC unroll 4
	for (k = 0; k < done; k++)
		any |= rcs[k];
	if (hv_likely(any == 0)) {
#pragma GCC unroll 4
		for (k = 0; k < done; k++)
			bytes += lens[k];
	} else {
		for (k = 0; k < done; k++) {
			if (rcs[k] == 0) {
				bytes += lens[k];
			} else {
				loop_count_refused(l, rcs[k]);
				refused++;
			}
		}
	}
	l->base.c.to_guest += done - refused;
	l->base.c.to_guest_bytes += bytes;
}

/*
 * Offer the queued frames as bursts (one up to the ring's end, then one
 * from its start). A burst stops at a frame the NIC cannot take now:
 * -EAGAIN keeps it and the rest for a later poll (the guest is merely
 * busy); any other refusal drops that frame alone and the rest are
 * offered again, as frame-by-frame delivery would.
 */
static void
loop_poll(struct emu_backend *be)
{
	struct emu_loopbe *l = (struct emu_loopbe *)be;
	unsigned int n, t;
	int done;

	while (l->tail != l->head) {
		if (l->base.be.nic == NULL) {
			/* As emu_be_to_guest: counted, the frame is gone. */
			l->base.c.not_ready++;
			l->tail++;
			continue;
		}
		t = l->tail & (l->nslots - 1);
		n = l->head - l->tail;
		if (n > l->nslots - t)
			n = l->nslots - t;
		done = emu_nic_rx_burst(l->base.be.nic, l->ptrs + t, l->lens + t,
					n, 0, l->rcs);
		if (done < 0) {
			l->base.c.drops += l->head - l->tail;
			l->tail = l->head;
			return;
		}
		loop_count(l, t, (unsigned int)done);
		l->tail += (unsigned int)done;
		if ((unsigned int)done == n)
			continue;
		loop_count_refused(l, l->rcs[done]);
		if (l->rcs[done] == -EAGAIN)
			return;
		l->tail++;
	}
}

/*
 * The NIC's frames may not stay where they are: offer them to the
 * guest now if allowed (its one copy), then copy those still queued
 * into their slots and point every slot back at itself. Slots from
 * held_from to head are the ones a hold may have touched (tail never
 * passes head, and the ring holds at most nslots): those before tail
 * are gone (delivered or dropped), the rest still queued.
 */
static void
loop_release(struct emu_backend *be, bool deliver)
{
	struct emu_loopbe *l = (struct emu_loopbe *)be;
	unsigned int k, i, head, q0, mask = l->nslots - 1;
	const void **ptrs = l->ptrs;
	uint8_t *slot;

	if (!l->held)
		return;
	if (deliver)
		loop_poll(be);
	head = l->head;
	k = l->held_from;
	/* tail inside [held_from, head]: the frames before it are gone. */
	q0 = l->tail - k <= head - k ? l->tail : k;
	for (; k != q0; k++) {
		i = k & mask;
		ptrs[i] = loop_slot(l, i);
	}
	for (; k != head; k++) {
		i = k & mask;
		slot = loop_slot(l, i);
		if (ptrs[i] != slot) {
			loop_copy(slot, ptrs[i], l->lens[i]);
			ptrs[i] = slot;
		}
	}
	l->held = false;
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
	free(l->data);
	free(l->ptrs);
	free(l->lens);
	free(l->rcs);
	free(l);
}

const struct emu_backend_ops emu_loop_ops = {
	.name = "loop",
	.xmit = loop_xmit,
	.xmit_burst = loop_xmit_burst,
	.xmit_held = loop_xmit_held,
	.xmit_burst_held = loop_xmit_burst_held,
	.release = loop_release,
	.poll = loop_poll,
	.print_stats = loop_print_stats,
	.destroy = loop_destroy,
};

int
emu_loop_backend_create(size_t max_frame, struct emu_backend **out)
{
	struct emu_loopbe *l;
	unsigned int i;

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
	l->data = malloc((size_t)l->nslots * l->slot_size);
	l->ptrs = calloc(l->nslots, sizeof(*l->ptrs));
	l->lens = calloc(l->nslots, sizeof(*l->lens));
	l->rcs = calloc(l->nslots, sizeof(*l->rcs));
	if (l->data == NULL || l->ptrs == NULL || l->lens == NULL ||
	    l->rcs == NULL) {
		loop_destroy(&l->base.be);
		return -ENOMEM;
	}
	for (i = 0; i < l->nslots; i++)
		l->ptrs[i] = loop_slot(l, i);
	l->base.be.ops = &emu_loop_ops;
	l->base.kind = EMU_BACKEND_LOOP;
	*out = &l->base.be;
	return 0;
}
