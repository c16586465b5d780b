/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RSS run's queues remembered by frame bytes (emu_rxrss.c).
 *
 * The queue the RSS run gives a frame it hashes inline is a pure
 * function of: the frame's length, its bytes 12..17 and 20..23 (all
 * that emu_rss_v4_n reads to decide the input length), its bytes
 * 26..37 (the input, 8 or 12 of them), the hash types, the key, and
 * the indirection table as resolved (rss_qmap). A source with few flows
 * (the generator's 16 per burst of 256) offers the same such bytes over
 * and over: a frame whose bytes equal a remembered frame's, every one
 * of them, gets that frame's queue without the parse and the hash. Any
 * other frame is decided in full (and remembered). The frame itself is
 * never trusted: only equal bytes share an answer, and the answers are
 * forgotten whenever anything else they depend on changed
 * (emu_rss_memo_sync, once per run, compares all of it).
 *
 * Direct-mapped by a multiplicative hash of the addresses: two flows
 * that share a slot only cost each other the full path.
 */
#ifndef EMU_RSS_MEMO_H
#define EMU_RSS_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "emu_csum_fast.h"
#include "emu_rss_fast.h"
#include "ndis_wire.h"

#define EMU_RSS_MEMO_BITS 8u
#define EMU_RSS_MEMO_SIZE (1u << EMU_RSS_MEMO_BITS)
/* The shortest frame whose bytes the memo compares (through byte 37). */
#define EMU_RSS_MEMO_MIN_LEN 38u
/* An empty slot's lo: bits EMU_RSS_REF_LO_MASK clears, so no frame's
 * masked bytes equal it. */
#define EMU_RSS_MEMO_EMPTY (~0ull)
/* The largest indirection table the memo's configuration holds. */
#define EMU_RSS_MEMO_QMAP 128u

struct emu_rss_memo_ent {
	uint64_t lo;   /* bytes 12..17 (EMU_RSS_REF_LO_MASK of 12..19) */
	uint64_t in0;  /* bytes 26..33 */
	uint32_t fp;   /* bytes 20..23, EMU_CS_FRAG_PROTO_MASK */
	uint32_t in1;  /* bytes 34..37 */
	uint32_t qi;   /* the queue */
	uint32_t pad;
};

/* What the remembered queues were computed with. */
struct emu_rss_memo_cfg {
	uint64_t len;          /* the frames' length */
	uint32_t types;        /* hash types */
	uint32_t entries;      /* indirection table size */
	uint8_t key[NDIS_RSS_KEY_SIZE];
	uint8_t qmap[EMU_RSS_MEMO_QMAP];
};

/*
 * A frame emu_cs_udp0_run_ok took (the loopback's summed minimum UDP
 * frames): its bytes 12..23 are no matter for its queue (IPv4 UDP, not
 * a fragment, 20-byte header, the length the memo is synced for: the
 * RSS input is its bytes 26..37 by the UDP hash types, whichever the
 * other bytes), so such frames are remembered by their input alone.
 * Only frames that run check took are looked up or put here.
 */
struct emu_rss_memo_u0 {
	uint64_t in0;  /* bytes 26..33 */
	uint64_t in1;  /* bytes 34..37, zero-extended; empty: ~0 */
	uint32_t qi;
	uint32_t pad[3];
};

struct emu_rss_memo {
	bool valid;
	struct emu_rss_memo_cfg cfg;
	/* The queues a frame may get: those qmap names, and 0 (a frame
	 * with nothing to hash). */
	uint64_t qmask;
	struct emu_rss_memo_ent e[EMU_RSS_MEMO_SIZE];
	struct emu_rss_memo_u0 u0[EMU_RSS_MEMO_SIZE];
};

/* The slot of a frame whose bytes 26..33 are in0. */
static inline __attribute__((always_inline)) struct emu_rss_memo_ent *
emu_rss_memo_slot(struct emu_rss_memo *m, uint64_t in0)
{
	return &m->e[(in0 * 0x9e3779b97f4a7c15ull) >> (64u - EMU_RSS_MEMO_BITS)];
}

/*
 * The queue remembered for frame f (at least EMU_RSS_MEMO_MIN_LEN bytes,
 * of the length the memo was synced for) in *qi; false: none is.
 */
static inline __attribute__((always_inline)) bool
emu_rss_memo_get(struct emu_rss_memo *m, const uint8_t *f, unsigned int *qi)
{
	uint64_t in0 = emu_cs_ld64(f + 26);
	const struct emu_rss_memo_ent *e = emu_rss_memo_slot(m, in0);

	/* Every compare folded into one test: one branch a frame. */
	if (((e->in0 ^ in0) |
	     (e->lo ^ (emu_cs_ld64(f + 12) & EMU_RSS_REF_LO_MASK)) |
	     (e->fp ^ (emu_cs_ld32(f + 20) & EMU_CS_FRAG_PROTO_MASK)) |
	     (e->in1 ^ emu_cs_ld32(f + 34))) != 0)
		return false;
	*qi = e->qi;
	return true;
}

/* Remember qi for frame f (one emu_rss_v4_n took, at least
 * EMU_RSS_MEMO_MIN_LEN bytes). */
static inline void
emu_rss_memo_put(struct emu_rss_memo *m, const uint8_t *f, unsigned int qi)
{
	uint64_t in0 = emu_cs_ld64(f + 26);
	struct emu_rss_memo_ent *e = emu_rss_memo_slot(m, in0);

	e->lo = emu_cs_ld64(f + 12) & EMU_RSS_REF_LO_MASK;
	e->in0 = in0;
	e->fp = emu_cs_ld32(f + 20) & EMU_CS_FRAG_PROTO_MASK;
	e->in1 = emu_cs_ld32(f + 34);
	e->qi = qi;
}

/* The queue remembered for a frame emu_cs_udp0_run_ok took, of the
 * length the memo was synced for, in *qi; false: none is. */
static inline __attribute__((always_inline)) bool
emu_rss_memo_u0_get(struct emu_rss_memo *m, const uint8_t *f, unsigned int *qi)
{
	uint64_t in0 = emu_cs_ld64(f + 26);
	const struct emu_rss_memo_u0 *e =
		&m->u0[(in0 * 0x9e3779b97f4a7c15ull) >> (64u - EMU_RSS_MEMO_BITS)];

	if (((e->in0 ^ in0) | (e->in1 ^ (uint64_t)emu_cs_ld32(f + 34))) != 0)
		return false;
	*qi = e->qi;
	return true;
}

/* Remember qi, the queue found in full, for such a frame. */
static inline void
emu_rss_memo_u0_put(struct emu_rss_memo *m, const uint8_t *f, unsigned int qi)
{
	uint64_t in0 = emu_cs_ld64(f + 26);
	struct emu_rss_memo_u0 *e =
		&m->u0[(in0 * 0x9e3779b97f4a7c15ull) >> (64u - EMU_RSS_MEMO_BITS)];

	e->in0 = in0;
	e->in1 = emu_cs_ld32(f + 34);
	e->qi = qi;
}

/*
 * The memo for this configuration (qmap: entries bytes): kept if it was
 * made for exactly this one, else emptied. false: a table larger than
 * the memo holds, do without it.
 */
static inline bool
emu_rss_memo_sync(struct emu_rss_memo *m, uint64_t len, uint32_t types,
		  uint32_t entries, const uint8_t *key, const uint8_t *qmap)
{
	struct emu_rss_memo_cfg c;
	unsigned int i;

	if (entries > EMU_RSS_MEMO_QMAP)
		return false;
	memset(&c, 0, sizeof(c));
	c.len = len;
	c.types = types;
	c.entries = entries;
	memcpy(c.key, key, sizeof(c.key));
	memcpy(c.qmap, qmap, entries);
	if (m->valid && memcmp(&m->cfg, &c, sizeof(c)) == 0)
		return true;
	m->cfg = c;
	for (i = 0; i < EMU_RSS_MEMO_SIZE; i++) {
		m->e[i].lo = EMU_RSS_MEMO_EMPTY;
		m->u0[i].in1 = EMU_RSS_MEMO_EMPTY;
	}
	m->qmask = 1u;
	for (i = 0; i < entries; i++)
		m->qmask |= 1ull << (qmap[i] & 63u);
	m->valid = true;
	return true;
}

#endif /* EMU_RSS_MEMO_H */
