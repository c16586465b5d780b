/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Section allocator: a bitmap over fixed-size sections of a shared
 * buffer. The guest hands out send-buffer ("chimney") sections to its
 * Tx queues with it; the emulator can cut its receive buffer into
 * sub-allocations with it.
 *
 * Lock-free: allocation sets a free bit with an atomic OR (acquire) and
 * keeps it only if it was clear; free clears it with an atomic AND
 * (release). Several threads may allocate and free on one map at once.
 * Each caller keeps its own search cursor (e.g. one per Tx queue), so
 * queues start in different words and rarely contend. For zero
 * contention, give each queue its own map over a slice of the sections
 * (hv_section_slice()): the indexes a map returns are absolute
 * (base + bit), so slices share one index space.
 *
 * Misuse is detected, not trusted: freeing an index outside the map is
 * -ERANGE, freeing a free section is -EALREADY (nothing changes), so a
 * completion the host sends twice cannot free a section that another
 * packet already owns... unless it was reallocated in between, which
 * only the caller's transaction table (hv_xact.h) can rule out.
 *
 * Storage is the caller's: HV_SECTION_WORDS(count) u64 words.
 */
#ifndef HV_SECTION_H
#define HV_SECTION_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_SECTION_WORDS(count) (((size_t)(count) + 63u) / 64u)

struct hv_section_map {
	uint64_t *words; /* bit set = in use; bits past count stay set */
	uint32_t nwords;
	uint32_t base;   /* index of bit 0 */
	uint32_t count;
	uint32_t used;   /* updated atomically; a snapshot when read */
};

/*
 * Map count sections (1..UINT32_MAX - base) numbered from base over
 * nwords >= HV_SECTION_WORDS(count) words, all free. 0 or -EINVAL.
 * Not thread-safe: initialise before sharing.
 */
int
hv_section_init(struct hv_section_map *m, uint64_t *words, size_t nwords,
		uint32_t base, uint32_t count);

/*
 * Take a free section: *index = base + bit. cursor (may be NULL) is the
 * caller's private search start, updated to where the next search
 * should begin; any value is safe. 0 or -ENOBUFS (none free).
 */
int
hv_section_alloc(struct hv_section_map *m, uint32_t *cursor,
		 uint32_t *index);

/* Give back index: 0, -ERANGE (not in this map), -EALREADY (free). */
int
hv_section_free(struct hv_section_map *m, uint32_t index);

/* Is index allocated? false outside the map. */
bool
hv_section_in_use(const struct hv_section_map *m, uint32_t index);

/* Sections currently allocated. */
uint32_t
hv_section_used(const struct hv_section_map *m);

/*
 * Single-owner variants, for a map only one thread uses at a time (a Tx
 * queue's own slice, used under its channel lock): the same results as
 * hv_section_alloc() / hv_section_free() (same search, same checks, same
 * errors) with plain loads and stores instead of atomic read-modify-
 * writes, inline, so that a per-packet path can afford them. Never mix
 * them with the atomic calls on a map other threads use meanwhile.
 */
static inline int
hv_section_take(struct hv_section_map *m, uint32_t *cursor, uint32_t *index)
{
	uint32_t w = cursor != NULL && *cursor < m->nwords ? *cursor : 0;

	for (uint32_t n = 0; n < m->nwords; n++) {
		uint64_t cur = m->words[w];

		if (cur != ~0ull) {
			uint32_t b = (uint32_t)__builtin_ctzll(~cur);

			m->words[w] = cur | (1ull << b);
			m->used++;
			*index = m->base + w * 64u + b;
			if (cursor != NULL)
				*cursor = w;
			return 0;
		}
		if (++w == m->nwords)
			w = 0;
	}
	return -ENOBUFS;
}

static inline int
hv_section_give(struct hv_section_map *m, uint32_t index)
{
	uint32_t rel = index - m->base;
	uint64_t bit;

	if (index < m->base || rel >= m->count)
		return -ERANGE;
	bit = 1ull << (rel % 64u);
	if ((m->words[rel / 64u] & bit) == 0)
		return -EALREADY;
	m->words[rel / 64u] &= ~bit;
	m->used--;
	return 0;
}

/* Sections free now (single owner: exact). */
static inline uint32_t
hv_section_avail(const struct hv_section_map *m)
{
	return m->count - m->used;
}

/*
 * Slice i of n of count sections: the first count % n slices get one
 * more. 0 or -EINVAL (n == 0, i >= n). A slice may be empty
 * (*slice_count 0) when count < n.
 */
int
hv_section_slice(uint32_t count, uint32_t n, uint32_t i, uint32_t *slice_base,
		 uint32_t *slice_count);

#endif /* HV_SECTION_H */
