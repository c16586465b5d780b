/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lock-free section bitmap (see hv_section.h).
 */
#include <errno.h>
#include <string.h>

#include "hv_atomic.h"
#include "hv_section.h"

int
hv_section_init(struct hv_section_map *m, uint64_t *words, size_t nwords,
		uint32_t base, uint32_t count)
{
	uint32_t tail;

	if (m == NULL || words == NULL || count == 0 ||
	    count > UINT32_MAX - base || nwords < HV_SECTION_WORDS(count))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->nwords = (uint32_t)HV_SECTION_WORDS(count);
	memset(words, 0, (size_t)m->nwords * sizeof(*words));
	/* Bits past count look allocated, so no search ever returns them. */
	tail = count % 64u;
	if (tail != 0)
		words[m->nwords - 1] = ~0ull << tail;
	m->words = words;
	m->base = base;
	m->count = count;
	return 0;
}

int
hv_section_alloc(struct hv_section_map *m, uint32_t *cursor,
		 uint32_t *index)
{
	uint32_t start = cursor != NULL ? *cursor : 0;

	if (start >= m->nwords)
		start = 0;
	for (uint32_t n = 0; n < m->nwords; n++) {
		uint32_t w = start + n < m->nwords ? start + n :
						       start + n - m->nwords;
		uint64_t cur = hv_load_relaxed_u64(&m->words[w]);

		/* Another thread may win the bit first: retry on this word
		 * until it is full; each lost race means someone else made
		 * progress, so this terminates. */
		while (cur != ~0ull) {
			uint64_t bit = 1ull << __builtin_ctzll(~cur);
			/* A1: pairs with R1 in hv_section_free. */
			uint64_t old = hv_fetch_or_acquire_u64(&m->words[w],
							       bit);

			if ((old & bit) == 0) {
				hv_fetch_add_relaxed_u32(&m->used, 1);
				*index = m->base + w * 64u +
					 (uint32_t)__builtin_ctzll(bit);
				if (cursor != NULL)
					*cursor = w;
				return 0;
			}
			cur = old | bit;
		}
	}
	return -ENOBUFS;
}

int
hv_section_free(struct hv_section_map *m, uint32_t index)
{
	uint32_t rel, w;
	uint64_t bit, old;

	if (index < m->base || index - m->base >= m->count)
		return -ERANGE;
	rel = index - m->base;
	w = rel / 64u;
	bit = 1ull << (rel % 64u);
	/* R1: the section's contents, written by its owner, are published
	 * before anyone can allocate it again (A1). */
	old = hv_fetch_and_release_u64(&m->words[w], ~bit);
	if ((old & bit) == 0)
		return -EALREADY;
	hv_fetch_sub_relaxed_u32(&m->used, 1);
	return 0;
}

bool
hv_section_in_use(const struct hv_section_map *m, uint32_t index)
{
	uint32_t rel;

	if (index < m->base || index - m->base >= m->count)
		return false;
	rel = index - m->base;
	return (hv_load_relaxed_u64(&m->words[rel / 64u]) >>
		(rel % 64u)) & 1u;
}

uint32_t
hv_section_used(const struct hv_section_map *m)
{
	return hv_load_relaxed_u32(&m->used);
}

int
hv_section_slice(uint32_t count, uint32_t n, uint32_t i, uint32_t *slice_base,
		 uint32_t *slice_count)
{
	uint32_t q, r;

	if (n == 0 || i >= n)
		return -EINVAL;
	q = count / n;
	r = count % n;
	*slice_count = q + (i < r ? 1u : 0u);
	*slice_base = i * q + (i < r ? i : r);
	return 0;
}
