/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RSS hash input of the common frame, inline: untagged IPv4 with a
 * 20-byte header (bytes 08 00 45 at 12..14). The receive path's RSS run
 * (emu_rxrss.c) finds every frame's queue, so this runs once per frame
 * in its loop, where emu_rss_input's full parse (emu_frame_parse) would
 * cost more than the hash.
 *
 * Same rules and same answer as emu_rss_input (emu_offload.c, the
 * definition; tests/test_emu_offload.c compares the two on every length
 * and every changed byte under every set of hash types): the addresses,
 * then the ports when the frame is TCP or UDP with that type enabled,
 * not a fragment, and the IP packet holds the L4 header. false: not
 * such a frame (or one emu_frame_parse refuses), emu_rss_input decides.
 */
#ifndef EMU_RSS_FAST_H
#define EMU_RSS_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "emu_csum_fast.h"
#include "emu_offload.h"
#include "ndis_wire.h"

/* Where the inline input lies in the frame: addresses, then ports
 * (bytes 26..37 of an untagged IPv4 frame with a 20-byte header). */
#define EMU_RSS_V4_IN_OFF 26u

/*
 * The length (0, 8 or 12) and type of the hash input of f, which lies
 * at f + EMU_RSS_V4_IN_OFF; false: not the common frame.
 */
static inline __attribute__((always_inline)) bool
emu_rss_v4_len(const uint8_t *f, size_t len, uint32_t types, size_t *n,
	       uint32_t *type)
{
	uint32_t tot, fp, l4;

	/* What emu_frame_parse takes: 14..65535 bytes, EtherType 08 00,
	 * version 4 with a 20-byte header inside, total length from 20 up
	 * to the frame's end. */
	if (len < 34u || len > UINT16_MAX ||
	    (emu_cs_ld32(f + 12) & EMU_CS_V4_MASK) != EMU_CS_V4_WANT)
		return false;
	tot = emu_cs_wire16(emu_cs_ld16(f + 16));
	if (tot < 20u || tot > len - 14u)
		return false;
	*n = 0;
	*type = 0;
	if (!(types & (NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4)))
		return true;
	*type = NDIS_HASH_IPV4;
	/* Flags and fragment offset (MF, offset) with the protocol, bytes
	 * 20..23 as for the checksums. */
	fp = emu_cs_ld32(f + 20) & EMU_CS_FRAG_PROTO_MASK;
	if (fp == EMU_CS_TCP_WANT && (types & NDIS_HASH_TCP_IPV4))
		l4 = tot >= 20u + EMU_TCP_MIN_HLEN ? NDIS_HASH_TCP_IPV4 : 0;
	else if (fp == EMU_CS_UDP_WANT && (types & NDIS_HASH_UDP_IPV4))
		l4 = tot >= 20u + EMU_UDP_HLEN ? NDIS_HASH_UDP_IPV4 : 0;
	else
		l4 = 0;
	if (l4 != 0) {
		/* Addresses, then source and destination port. */
		*type = l4;
		*n = 12;
		return true;
	}
	/* Address-only hashing needs its type enabled on its own. */
	*n = (types & NDIS_HASH_IPV4) ? 8u : 0u;
	return true;
}

/*
 * emu_rss_v4_len's answers for one set of hash types, worked out once
 * (a run of frames shares them): the input length of an IPv4 frame with
 * usable TCP ports, with usable UDP ports, and of any other.
 */
struct emu_rss_v4_plan {
	uint32_t n_tcp, n_udp, n_addr;
};

static inline void
emu_rss_v4_plan_make(struct emu_rss_v4_plan *p, uint32_t types)
{
	/* Address-only hashing needs its type enabled on its own; no
	 * IPv4 type at all hashes nothing. */
	p->n_addr = (types & NDIS_HASH_IPV4) ? 8u : 0u;
	p->n_tcp = (types & NDIS_HASH_TCP_IPV4) ? 12u : p->n_addr;
	p->n_udp = (types & NDIS_HASH_UDP_IPV4) ? 12u : p->n_addr;
}

/* emu_rss_v4_len's length with the types' plan (no type): the same
 * checks, the answer from the plan. */
static inline __attribute__((always_inline)) bool
emu_rss_v4_n(const uint8_t *f, size_t len, const struct emu_rss_v4_plan *p,
	     size_t *n)
{
	uint32_t tot, fp;

	if (len < 34u || len > UINT16_MAX ||
	    (emu_cs_ld32(f + 12) & EMU_CS_V4_MASK) != EMU_CS_V4_WANT)
		return false;
	tot = emu_cs_wire16(emu_cs_ld16(f + 16));
	if (tot < 20u || tot > len - 14u)
		return false;
	fp = emu_cs_ld32(f + 20) & EMU_CS_FRAG_PROTO_MASK;
	if (fp == EMU_CS_TCP_WANT && tot >= 20u + EMU_TCP_MIN_HLEN)
		*n = p->n_tcp;
	else if (fp == EMU_CS_UDP_WANT && tot >= 20u + EMU_UDP_HLEN)
		*n = p->n_udp;
	else
		*n = p->n_addr;
	return true;
}

/*
 * What emu_rss_v4_n's answer depends on besides the frame's length:
 * bytes 12..17 (EtherType, version and header length, TOS, total
 * length), the bits of an 8-byte load at byte 12 this mask keeps, and
 * bytes 20..23 under EMU_CS_FRAG_PROTO_MASK (the fragment bits and the
 * protocol). Frames of one length equal in those get the same answer
 * (the RSS memo compares them: emu_rss_memo.h; test_emu_offload checks
 * it on every changed bit).
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EMU_RSS_REF_LO_MASK 0x0000ffffffffffffull
#else
#define EMU_RSS_REF_LO_MASK 0xffffffffffff0000ull
#endif

/* emu_rss_input for the common frame (false: emu_rss_input decides):
 * the input copied to in. */
static inline __attribute__((always_inline)) bool
emu_rss_input_v4(const uint8_t *f, size_t len, uint32_t types, uint8_t in[12],
		 size_t *n, uint32_t *type)
{
	if (!emu_rss_v4_len(f, len, types, n, type))
		return false;
	memcpy(in, f + EMU_RSS_V4_IN_OFF, *n);
	return true;
}

#endif /* EMU_RSS_FAST_H */
