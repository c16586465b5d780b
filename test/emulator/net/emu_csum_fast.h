/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive checksum verification of the common frame, inline: untagged
 * IPv4 with a 20-byte header, not a fragment, carrying UDP or TCP with
 * room for its header. The receive path sums every frame a backend could
 * not vouch for (the loopback's: the guest's own sends), so this runs
 * once per frame inside the receive loop, where a call would cost more
 * than the sums (the loop's registers spilled and reloaded around it).
 *
 * Same checks and same answer as emu_csum_verify (emu_offload.c, which
 * tries this first, so there is one definition of the rules): the
 * header's words and the segment's are added in host order, 8 bytes at a
 * time with the carry added back (RFC 1071: the one's complement sum
 * does not depend on byte order or on the width of the adder, as long as
 * the words are 16-bit aligned, which they are: IP starts 14 bytes in),
 * and folded once. false: not such a frame, emu_csum_verify's general
 * parse decides.
 */
#ifndef EMU_CSUM_FAST_H
#define EMU_CSUM_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rndis_wire.h"

static inline uint64_t
emu_cs_ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
emu_cs_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t
emu_cs_ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The 16-bit big-endian value v as a host-order load of its bytes reads. */
static inline uint32_t
emu_cs_wire16(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint32_t)__builtin_bswap16((uint16_t)v);
#else
	return v & 0xffffu;
#endif
}

/* One's complement add of a 64-bit word: the carry goes back in. */
static inline uint64_t
emu_cs_adc(uint64_t acc, uint64_t w)
{
	uint64_t s;

	/* The carry as a flag: an add and an add-with-carry. */
	return s = 0, __builtin_add_overflow(acc, w, &s) ? s + 1 : s;
}

/* Down to 16 bits (end-around carry); a non-zero sum stays non-zero. */
static inline uint32_t
emu_cs_fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint32_t)((s & 0xffffu) + (s >> 16));
}

/* Host-order sum of p[0, n) (p 16-bit aligned within the frame). */
static inline uint64_t
emu_cs_sum(uint64_t acc, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;

	for (; i + 8 <= n; i += 8)
		acc = emu_cs_adc(acc, emu_cs_ld64(p + i));
	if (n & 4u) {
		acc = emu_cs_adc(acc, emu_cs_ld32(p + i));
		i += 4;
	}
	if (n & 2u) {
		acc = emu_cs_adc(acc, emu_cs_ld16(p + i));
		i += 2;
	}
	/* An odd last byte is the high half of a zero-padded word. */
	if (n & 1u)
		acc = emu_cs_adc(acc, emu_cs_wire16((uint32_t)p[i] << 8));
	return acc;
}

/* Bytes 08 00 45 at the start of a host-order 32-bit load. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EMU_CS_V4_MASK 0x00ffffffu
#define EMU_CS_V4_WANT 0x00450008u
#else
#define EMU_CS_V4_MASK 0xffffff00u
#define EMU_CS_V4_WANT 0x08004500u
#endif
/* Bytes 20..23 (flags and fragment offset, TTL, protocol) as a
 * host-order load: MF and the offset, and the protocol. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EMU_CS_FRAG_PROTO_MASK 0xff00ff3fu
#define EMU_CS_UDP_WANT 0x11000000u
#define EMU_CS_TCP_WANT 0x06000000u
#else
#define EMU_CS_FRAG_PROTO_MASK 0x3fff00ffu
#define EMU_CS_UDP_WANT 0x00000011u
#define EMU_CS_TCP_WANT 0x00000006u
#endif

/*
 * Does the 20-byte IPv4 header at f + 14 (the frame has 34 bytes) sum
 * correctly? Its bytes as two 64-bit words and one 32-bit word, each
 * carry added back (2^64 and 2^16 are both 1 modulo 0xffff, so the
 * total is the sum of the header's 16-bit words modulo 0xffff): a
 * correct header sums to all ones, that is to a multiple of 0xffff
 * (never 0: the first byte is 0x45), which one multiply tells without
 * folding.
 */
static inline __attribute__((always_inline)) bool
emu_cs_v4_hdr_ok(const uint8_t *f)
{
	uint64_t acc = emu_cs_adc(emu_cs_ld64(f + 14), emu_cs_ld64(f + 22));

	return emu_cs_adc(acc, emu_cs_ld32(f + 30)) % 0xffffu == 0;
}

/* Frame lengths emu_csum_verify_v4_sized takes. */
static inline bool
emu_csum_v4_len_ok(size_t len)
{
	return len >= 34 && len <= UINT16_MAX;
}

/* emu_csum_verify_v4 for a len emu_csum_v4_len_ok accepts (a run of
 * frames of one length checks it once). */
/*
 * The TCP or UDP checksum of an IPv4 frame emu_csum_verify_v4_sized
 * accepted (tot: the IP total length): RNDIS_RXCSUM_{TCP,UDP}_{OK,FAILED}.
 * Out of line (emu_offload.c): it loops over the segment, and a call
 * there costs little beside it while keeping the frame checks tight.
 */
uint32_t emu_csum_v4_l4(const uint8_t *f, uint32_t tot, bool tcp);

static inline __attribute__((always_inline)) bool
emu_csum_verify_v4_sized(const uint8_t *f, size_t len, uint32_t *res)
{
	uint32_t w, tot, ip;

	/* EtherType 08 00 and 0x45 (version 4, 20-byte header): bytes
	 * 12..14 in one compare. */
	if ((emu_cs_ld32(f + 12) & EMU_CS_V4_MASK) != EMU_CS_V4_WANT)
		return false;
	/* MF and the offset zero with the protocol: bytes 20..23. */
	w = emu_cs_ld32(f + 20) & EMU_CS_FRAG_PROTO_MASK;
	tot = emu_cs_wire16(emu_cs_ld16(f + 16));
	ip = emu_cs_v4_hdr_ok(f) ? RNDIS_RXCSUM_IP_OK : RNDIS_RXCSUM_IP_FAILED;
	if (w == EMU_CS_UDP_WANT) {
		/* tot in [20 + 8, len - 14]: the UDP header inside. */
		if (len < 14u + 28u || tot - 28u > len - (14u + 28u))
			return false;
		/* UDP checksum 0: the sender did not sum. */
		if (emu_cs_ld16(f + 40) == 0) {
			*res = ip | RNDIS_RXCSUM_UDP_OK;
			return true;
		}
		*res = ip | emu_csum_v4_l4(f, tot, false);
		return true;
	}
	if (w == EMU_CS_TCP_WANT) {
		/* tot in [20 + 20, len - 14]: the TCP header inside. */
		if (len < 14u + 40u || tot - 40u > len - (14u + 40u))
			return false;
		*res = ip | emu_csum_v4_l4(f, tot, true);
		return true;
	}
	return false;
}

/*
 * The frame the loopback carries most, decided without the verdict's
 * branches: true only for a frame emu_csum_verify_v4_sized answers
 * RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK for with the UDP checksum
 * field 0 (the sender did not sum), and for every such frame. tot_max
 * is len - 42 (len >= 42, a receive run checks it once): the UDP header
 * inside the frame as emu_csum_verify_v4_sized asks, tot - 28 <= tot_max.
 */
static inline __attribute__((always_inline)) bool
emu_csum_v4_udp0_ok(const uint8_t *f, uint32_t tot_max)
{
	return (emu_cs_ld32(f + 12) & EMU_CS_V4_MASK) == EMU_CS_V4_WANT &&
	       (emu_cs_ld32(f + 20) & EMU_CS_FRAG_PROTO_MASK) == EMU_CS_UDP_WANT &&
	       emu_cs_wire16(emu_cs_ld16(f + 16)) - 28u <= tot_max &&
	       emu_cs_ld16(f + 40) == 0 && emu_cs_v4_hdr_ok(f);
}

typedef uint64_t emu_cs_v2 __attribute__((vector_size(16)));

/*
 * emu_csum_v4_udp0_ok for a run of frames of one length len (>= 42)
 * whose IP packet fills the frame (total length len - 14: no padding),
 * with the run's constants in registers: the bytes it tests in 12..27
 * (EtherType, version and header length, total length, MF and the
 * fragment offset, protocol) compared at once under a mask, and the
 * header sum's divisibility by 0xffff as the multiply by 0xffff's
 * inverse modulo 2^64 that the compiler makes of the % (x is a
 * multiple of an odd d exactly when x * d^-1 mod 2^64 <= (2^64-1) / d).
 * True only where emu_csum_v4_udp0_ok is (a padded frame is false
 * here, whatever that says).
 */
struct emu_cs_udp0_run {
	emu_cs_v2 mask, want;
	uint64_t inv, lim;
};

static inline void
emu_cs_udp0_run_init(struct emu_cs_udp0_run *r, size_t len)
{
	const uint8_t m[16] = { 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0, 0,
				0x3f, 0xff, 0, 0xff, 0, 0, 0, 0 };
	uint8_t w[16] = { 0x08, 0x00, 0x45, 0, 0, 0, 0, 0,
			  0, 0, 0, 0x11, 0, 0, 0, 0 };
	/* Read through volatile: kept in registers for the run instead of
	 * being rebuilt from immediates for each frame. */
	volatile uint64_t inv = 0xfffefffefffeffffull;
	volatile uint64_t lim = UINT64_MAX / 0xffffu;

	w[4] = (uint8_t)((len - 14) >> 8);
	w[5] = (uint8_t)(len - 14);
	memcpy(&r->mask, m, sizeof(m));
	memcpy(&r->want, w, sizeof(w));
	r->inv = inv;
	r->lim = lim;
}

static inline __attribute__((always_inline)) bool
emu_cs_udp0_run_ok(const struct emu_cs_udp0_run *r, const uint8_t *f)
{
	emu_cs_v2 a, d;
	uint64_t acc;

	memcpy(&a, f + 12, sizeof(a));
	d = (a & r->mask) ^ r->want;
	if ((d[0] | d[1]) != 0 || emu_cs_ld16(f + 40) != 0)
		return false;
	/* emu_cs_v4_hdr_ok's sum. */
	acc = emu_cs_adc(emu_cs_ld64(f + 14), emu_cs_ld64(f + 22));
	acc = emu_cs_adc(acc, emu_cs_ld32(f + 30));
	return acc * r->inv <= r->lim;
}

static inline __attribute__((always_inline)) bool
emu_csum_verify_v4(const uint8_t *f, size_t len, uint32_t *res)
{
	return emu_csum_v4_len_ok(len) && emu_csum_verify_v4_sized(f, len, res);
}

#endif /* EMU_CSUM_FAST_H */
