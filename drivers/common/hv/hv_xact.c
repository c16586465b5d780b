/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pending-transaction table (see hv_xact.h).
 *
 * A slot keeps the generation of its last request after it ends, and
 * how it ended, so a second reply for that id is told apart as a
 * duplicate (completed) or late (cancelled/expired) until the slot is
 * reused; after reuse the old id has the wrong generation and is
 * "unknown". Free slots form a LIFO list; the
 * generation, not the reuse order, is what protects against stale ids.
 */
#include <errno.h>
#include <string.h>

#include "hv_xact.h"

enum {
	SLOT_FREE = 0,
	SLOT_PENDING = 1,
};

enum {
	RETIRED_NEVER = 0,
	RETIRED_COMPLETE = 1,
	RETIRED_CANCEL = 2,
};

#define IDX_MASK ((1u << HV_XACT_IDX_BITS) - 1u)
#define GEN_MASK_ID32 0x7fffu
#define GEN_MASK_ID64 0xffffffffu

int
hv_xact_init(struct hv_xact_table *t, struct hv_xact_slot *slots,
	     uint32_t nslots, uint32_t flags)
{
	if (t == NULL || slots == NULL || nslots == 0 ||
	    nslots > HV_XACT_MAX_SLOTS || (flags & ~HV_XACT_F_ID32) != 0)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	memset(slots, 0, sizeof(*slots) * nslots);
	t->slots = slots;
	t->nslots = nslots;
	t->gen_mask = (flags & HV_XACT_F_ID32) ? GEN_MASK_ID32 : GEN_MASK_ID64;
	for (uint32_t i = 0; i < nslots; i++)
		slots[i].next_free = i + 1;
	t->free_head = 0;
	return 0;
}

int
hv_xact_init_tagged(struct hv_xact_table *t, struct hv_xact_slot *slots,
		    uint32_t nslots, uint32_t flags, uint32_t tag)
{
	int rc;

	if (tag == 0 || tag > HV_XACT_TAG_MAX || (flags & HV_XACT_F_ID32))
		return -EINVAL;
	rc = hv_xact_init(t, slots, nslots, flags);
	if (rc == 0)
		t->tag_bits = (uint64_t)tag << HV_XACT_TAG_SHIFT;
	return rc;
}

static uint64_t
make_id(const struct hv_xact_table *t, uint32_t idx)
{
	return t->tag_bits |
	       ((uint64_t)(t->slots[idx].gen & t->gen_mask)
		<< HV_XACT_IDX_BITS) | (uint64_t)(idx + 1u);
}

/*
 * Decode a host-supplied id: slot index if the index field is in range
 * and no bit outside the index and generation fields is set, else -1.
 */
static int64_t
id_slot(const struct hv_xact_table *t, uint64_t id, uint32_t *gen)
{
	uint64_t idx1 = id & IDX_MASK;
	uint64_t g;

	/* Another table's id (or a forged one) is unknown here. */
	if ((id & ~((1ull << HV_XACT_TAG_SHIFT) - 1u)) != t->tag_bits)
		return -1;
	g = (id & ((1ull << HV_XACT_TAG_SHIFT) - 1u)) >> HV_XACT_IDX_BITS;
	if (idx1 == 0 || idx1 > t->nslots || g > t->gen_mask)
		return -1;
	*gen = (uint32_t)g;
	return (int64_t)(idx1 - 1u);
}

static void
fill_done(const struct hv_xact_table *t, uint32_t idx,
	  struct hv_xact_done *out)
{
	if (out == NULL)
		return;
	out->id = make_id(t, idx);
	out->cookie = t->slots[idx].cookie;
	out->kind = t->slots[idx].kind;
}

static void
release(struct hv_xact_table *t, uint32_t idx, uint8_t how)
{
	struct hv_xact_slot *s = &t->slots[idx];

	s->state = SLOT_FREE;
	s->retired_by = how;
	s->next_free = t->free_head;
	t->free_head = idx;
	t->pending--;
}

int
hv_xact_register(struct hv_xact_table *t, uint32_t kind, uint64_t cookie,
		 uint64_t deadline, uint64_t *id)
{
	struct hv_xact_slot *s;
	uint32_t idx;

	if (kind >= HV_XACT_KIND_COUNT)
		return -EINVAL;
	if (t->free_head >= t->nslots)
		return -ENOBUFS;
	idx = t->free_head;
	s = &t->slots[idx];
	t->free_head = s->next_free;
	/* A new generation makes every earlier id of this slot stale. */
	s->gen = (s->gen + 1u) & t->gen_mask;
	s->kind = (uint16_t)kind;
	s->cookie = cookie;
	s->deadline = deadline;
	s->state = SLOT_PENDING;
	s->retired_by = RETIRED_NEVER;
	t->pending++;
	t->stats.issued[kind]++;
	*id = make_id(t, idx);
	return 0;
}

/* Classify and count a reply that does not match a pending request. */
static int
reject(struct hv_xact_table *t, int64_t idx, uint32_t gen, uint32_t kind)
{
	const struct hv_xact_slot *s;
	enum hv_xact_reject why = HV_XACT_REJ_UNKNOWN;
	int rc = -ENOENT;

	if (idx >= 0) {
		s = &t->slots[idx];
		if (s->state == SLOT_FREE && s->gen == gen &&
		    s->retired_by == RETIRED_COMPLETE) {
			why = HV_XACT_REJ_DUPLICATE;
			rc = -EALREADY;
		} else if (s->state == SLOT_FREE && s->gen == gen &&
			   s->retired_by == RETIRED_CANCEL) {
			why = HV_XACT_REJ_LATE;
			rc = -ETIME;
		} else if (s->state == SLOT_PENDING && s->gen == gen) {
			why = HV_XACT_REJ_KIND;
			rc = -EPROTO;
		}
	}
	t->stats.rejected[why][kind]++;
	return rc;
}

int
hv_xact_complete(struct hv_xact_table *t, uint64_t id, uint32_t kind,
		 struct hv_xact_done *out)
{
	const struct hv_xact_slot *s;
	uint32_t gen = 0;
	int64_t idx;

	if (kind >= HV_XACT_KIND_COUNT)
		return -EINVAL;
	idx = id_slot(t, id, &gen);
	if (idx < 0)
		return reject(t, idx, gen, kind);
	s = &t->slots[idx];
	if (s->state != SLOT_PENDING || s->gen != gen || s->kind != kind)
		return reject(t, idx, gen, kind);
	fill_done(t, (uint32_t)idx, out);
	t->stats.completed[kind]++;
	release(t, (uint32_t)idx, RETIRED_COMPLETE);
	return 0;
}

int
hv_xact_peek(const struct hv_xact_table *t, uint64_t id, uint32_t kind,
	     struct hv_xact_done *out)
{
	const struct hv_xact_slot *s;
	uint32_t gen = 0;
	int64_t idx = id_slot(t, id, &gen);

	if (idx < 0)
		return -ENOENT;
	s = &t->slots[idx];
	if (s->state != SLOT_PENDING || s->gen != gen || s->kind != kind)
		return -ENOENT;
	fill_done(t, (uint32_t)idx, out);
	return 0;
}

static void
retire_cancel(struct hv_xact_table *t, uint32_t idx, bool expired)
{
	uint32_t kind = t->slots[idx].kind;

	t->stats.cancelled[kind]++;
	if (expired)
		t->stats.expired[kind]++;
	release(t, idx, RETIRED_CANCEL);
}

int
hv_xact_cancel(struct hv_xact_table *t, uint64_t id, struct hv_xact_done *out)
{
	uint32_t gen = 0;
	int64_t idx = id_slot(t, id, &gen);

	if (idx < 0 || t->slots[idx].state != SLOT_PENDING ||
	    t->slots[idx].gen != gen)
		return -ENOENT;
	fill_done(t, (uint32_t)idx, out);
	retire_cancel(t, (uint32_t)idx, false);
	return 0;
}

int
hv_xact_expire(struct hv_xact_table *t, uint64_t now,
	       struct hv_xact_done *out)
{
	if (t->pending == 0)
		return -ENOENT;
	for (uint32_t i = 0; i < t->nslots; i++) {
		const struct hv_xact_slot *s = &t->slots[i];

		if (s->state == SLOT_PENDING && s->deadline <= now) {
			fill_done(t, i, out);
			retire_cancel(t, i, true);
			return 0;
		}
	}
	return -ENOENT;
}

uint32_t
hv_xact_cancel_all(struct hv_xact_table *t)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->nslots && t->pending != 0; i++) {
		if (t->slots[i].state == SLOT_PENDING) {
			retire_cancel(t, i, false);
			n++;
		}
	}
	return n;
}

uint64_t
hv_xact_rejected(const struct hv_xact_table *t, enum hv_xact_reject why)
{
	uint64_t sum = 0;

	if ((unsigned int)why >= HV_XACT_REJ_COUNT)
		return 0;
	for (uint32_t k = 0; k < HV_XACT_KIND_COUNT; k++)
		sum += t->stats.rejected[why][k];
	return sum;
}
