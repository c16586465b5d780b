/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of rndis_ppi: PACKET_MSG encoder, parser (header rules of
 * docs/design/protocol.md, "PACKET_MSG and per-packet
 * info") and the message iterator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_bytes.h"

#include <errno.h>
#include <string.h>

#include "ndis_wire.h"
#include "rndis_ppi.h"
#include "rndis_rx.h"

#define FRAME_LEN 60u

static void
tx_meta(struct rndis_pkt_meta *m)
{
	*m = (struct rndis_pkt_meta){
		.present = RNDIS_META_CSUM | RNDIS_META_LSO | RNDIS_META_VLAN |
			   RNDIS_META_HASH_VALUE,
		.csum = rndis_txcsum_value(RNDIS_TXCSUM_IPV4 | RNDIS_TXCSUM_TCP,
					   34),
		.lso_mss = 1460,
		.lso_tcp_off = 34,
		.vlan_tci = 0x2064, /* PCP 1, VID 100 */
		.hash_value = 3,
	};
}

/* Field by field: the structs have padding. */
static void
assert_meta_equal(const struct rndis_pkt_meta *a, const struct rndis_pkt_meta *b)
{
	assert_int_equal(a->present, b->present);
	assert_int_equal(a->csum, b->csum);
	assert_int_equal(a->lso_mss, b->lso_mss);
	assert_int_equal(a->lso_tcp_off, b->lso_tcp_off);
	assert_int_equal(a->lso_ipv6, b->lso_ipv6);
	assert_int_equal(a->vlan_tci, b->vlan_tci);
	assert_int_equal(a->hash_value, b->hash_value);
	assert_int_equal(a->hash_info, b->hash_info);
	assert_int_equal(a->frag_flags, b->frag_flags);
	assert_int_equal(a->frag_id, b->frag_id);
}

/* Encode meta with a frame right after the PPIs; returns msg_len. */
static uint32_t
make_pkt(uint8_t *b, size_t len, const struct rndis_pkt_meta *m)
{
	int off = rndis_pkt_encode(b, len, m, FRAME_LEN, 0);

	assert_true(off > 0);
	memset(b + off, 0x5a, FRAME_LEN);
	return (uint32_t)off + FRAME_LEN;
}

static void
test_rndis_ppi_bitfields(void **state)
{
	(void)state;
	assert_int_equal(rndis_txcsum_value(RNDIS_TXCSUM_IPV4 |
					    RNDIS_TXCSUM_TCP, 34),
			 0x5u | (34u << 16));
	assert_int_equal(rndis_vlan_tci_to_ppi(0xE00A), 0x7u | (10u << 4));
	assert_int_equal(rndis_vlan_tci_to_ppi(0x1001), 0x8u | (1u << 4));
	assert_int_equal(rndis_vlan_ppi_to_tci(0x7u | (10u << 4)), 0xE00A);
	for (uint32_t t = 0; t <= 0xFFFF; t += 0x101)
		assert_int_equal(rndis_vlan_ppi_to_tci(
				 rndis_vlan_tci_to_ppi((uint16_t)t)), t);
}

static void
test_rndis_ppi_tx_layout_bytes(void **state)
{
	struct rndis_pkt_meta m;
	uint8_t b[256];

	(void)state;
	tx_meta(&m);
	m.lso_ipv6 = true;
	assert_int_equal(rndis_pkt_hdr_len(&m), 44 + 4 * 16);
	assert_int_equal(rndis_pkt_encode(b, sizeof(b), &m, FRAME_LEN, 0), 108);
	assert_int_equal(get32(b, 0), 1);
	assert_int_equal(get32(b, 4), 108 + FRAME_LEN);
	assert_int_equal(get32(b, 8), 100); /* relative to @8 */
	assert_int_equal(get32(b, 12), FRAME_LEN);
	for (size_t off = 16; off < 28; off += 4)
		assert_int_equal(get32(b, off), 0); /* no OOB */
	assert_int_equal(get32(b, 28), 36); /* PPIs at absolute 44 */
	assert_int_equal(get32(b, 32), 64);
	assert_int_equal(get32(b, 36), 0);
	assert_int_equal(get32(b, 40), 0);
	/* checksum PPI */
	assert_int_equal(get32(b, 44), 16);
	assert_int_equal(get32(b, 48), RNDIS_PPI_CHECKSUM);
	assert_int_equal(get32(b, 52), 12);
	assert_int_equal(get32(b, 56), 0x5u | (34u << 16));
	/* LSOv2 PPI: MSS, TCP offset, type bit 30, IPv6 bit 31 */
	assert_int_equal(get32(b, 64), RNDIS_PPI_LSO);
	assert_int_equal(get32(b, 72),
			 1460u | (34u << 20) | 0x40000000u | 0x80000000u);
	/* VLAN PPI in PPI order: prio 1, VID 100 */
	assert_int_equal(get32(b, 80), RNDIS_PPI_VLAN);
	assert_int_equal(get32(b, 88), 1u | (100u << 4));
	assert_int_equal(get32(b, 96), RNDIS_PPI_HASH_VALUE);
	assert_int_equal(get32(b, 104), 3);
}

static void
test_rndis_ppi_no_ppi_layout(void **state)
{
	struct rndis_pkt_meta m = { 0 };
	struct rndis_pkt_info pi;
	uint8_t b[128];

	(void)state;
	assert_int_equal(rndis_pkt_encode(b, sizeof(b), &m, FRAME_LEN, 0), 44);
	assert_int_equal(get32(b, 8), 36);
	assert_int_equal(get32(b, 28), 0);
	assert_int_equal(get32(b, 32), 0);
	assert_int_equal(rndis_pkt_parse(b, 44 + FRAME_LEN, &pi), 0);
	assert_int_equal(pi.data_off, 44);
	assert_int_equal(pi.meta.present, 0);
}

static void
test_rndis_ppi_roundtrip_tx(void **state)
{
	struct rndis_pkt_meta m;
	struct rndis_pkt_info pi;
	uint8_t b[256];
	uint32_t n;

	(void)state;
	tx_meta(&m);
	n = make_pkt(b, sizeof(b), &m);
	assert_int_equal(rndis_pkt_parse(b, n, &pi), 0);
	assert_int_equal(pi.msg_len, n);
	assert_int_equal(pi.data_off, 108);
	assert_int_equal(pi.data_len, FRAME_LEN);
	assert_meta_equal(&pi.meta, &m);
}

static void
test_rndis_ppi_roundtrip_host_rx(void **state)
{
	struct rndis_pkt_meta m = {
		.present = RNDIS_META_CSUM | RNDIS_META_VLAN |
			   RNDIS_META_HASH_VALUE | RNDIS_META_HASH_INFO |
			   RNDIS_META_PKTINFO_ID,
		.csum = RNDIS_RXCSUM_TCP_OK | RNDIS_RXCSUM_IP_OK,
		.vlan_tci = 0xA005,
		.hash_value = 0x51ccc178,
		.hash_info = NDIS_HASH_FUNCTION_TOEPLITZ | NDIS_HASH_TCP_IPV4,
		.frag_flags = RNDIS_PKTINFO_FIRST_FRAG,
		.frag_id = 0x1234,
	};
	struct rndis_pkt_info pi;
	uint8_t b[512];

	(void)state;
	/* A host puts the frame at 256 in its receive sub-allocation. */
	assert_int_equal(rndis_pkt_encode(b, 256, &m, FRAME_LEN, 256), 256);
	assert_int_equal(get32(b, 8), 248);
	assert_int_equal(get32(b, 4), 256 + FRAME_LEN);
	assert_int_equal(rndis_pkt_parse(b, 256 + FRAME_LEN, &pi), 0);
	assert_int_equal(pi.data_off, 256);
	assert_meta_equal(&pi.meta, &m);
	/* PPIs that do not fit before the fixed frame offset. */
	assert_int_equal(rndis_pkt_encode(b, sizeof(b), &m, FRAME_LEN, 100),
			 -EMSGSIZE);
}

static void
test_rndis_ppi_encode_rejects(void **state)
{
	struct rndis_pkt_meta m;
	uint8_t b[256];

	(void)state;
	tx_meta(&m);
	assert_int_equal(rndis_pkt_encode(b, 107, &m, FRAME_LEN, 0), -ENOBUFS);
	assert_int_equal(rndis_pkt_encode(b, sizeof(b), &m, 0, 0), -EINVAL);
	assert_int_equal(rndis_pkt_encode(b, sizeof(b), &m, 0x7FFFFFF0u, 0),
			 -EMSGSIZE);
	m.lso_mss = RNDIS_LSO2_MSS_MAX + 1;
	memset(b, 0xcc, sizeof(b));
	assert_int_equal(rndis_pkt_encode(b, sizeof(b), &m, FRAME_LEN, 0),
			 -EINVAL);
	assert_int_equal(b[0], 0xcc); /* untouched on error */
	tx_meta(&m);
	m.lso_tcp_off = RNDIS_LSO2_TCP_OFFSET_MAX + 1;
	assert_int_equal(rndis_pkt_encode(b, sizeof(b), &m, FRAME_LEN, 0),
			 -EINVAL);
}

/* Corrupt one header field of a good packet and expect rejection. */
static void
expect_hdr_reject(size_t off, uint32_t v, int err)
{
	struct rndis_pkt_meta m;
	struct rndis_pkt_info pi;
	uint8_t b[256];
	uint32_t n;

	tx_meta(&m);
	n = make_pkt(b, sizeof(b), &m);
	put32(b, off, v);
	assert_int_equal(rndis_pkt_parse(b, n, &pi), err);
}

static void
test_rndis_ppi_header_rejects(void **state)
{
	struct rndis_pkt_meta m;
	struct rndis_pkt_info pi;
	uint8_t b[256];
	uint32_t n;

	(void)state;
	expect_hdr_reject(0, RNDIS_MSG_INIT, -EPROTO);
	expect_hdr_reject(4, 43, -EINVAL);           /* msg_len < header */
	expect_hdr_reject(4, 169, -EINVAL);          /* msg_len > buffer */
	expect_hdr_reject(8, 32, -EINVAL);           /* data inside header */
	expect_hdr_reject(8, 101, -EINVAL);          /* data past msg_len */
	expect_hdr_reject(8, 0xFFFFFFF0u, -EINVAL);  /* offset wraps */
	expect_hdr_reject(12, 0, -EINVAL);           /* data_len 0 */
	expect_hdr_reject(12, 13, -EINVAL);          /* below Ethernet hdr */
	expect_hdr_reject(12, 0xFFFFFFFFu, -EINVAL); /* length wraps */
	expect_hdr_reject(16, 36, -EINVAL);          /* OOB offset */
	expect_hdr_reject(20, 4, -EINVAL);           /* OOB length */
	expect_hdr_reject(24, 1, -EINVAL);           /* OOB count */
	expect_hdr_reject(36, 1, -EINVAL);           /* vc_handle */
	expect_hdr_reject(28, 32, -EINVAL);          /* PPIs in header */
	expect_hdr_reject(28, 38, -EINVAL);          /* PPIs misaligned */
	expect_hdr_reject(28, 40, -EINVAL);          /* PPIs overlap frame */
	expect_hdr_reject(32, 68, -EINVAL);          /* PPIs overlap frame */
	expect_hdr_reject(32, 0xFFFFFFFCu, -EINVAL); /* PPI length wraps */

	tx_meta(&m);
	n = make_pkt(b, sizeof(b), &m);
	assert_int_equal(rndis_pkt_parse(b, 43, &pi), -EINVAL);
	assert_int_equal(rndis_pkt_parse(b, 7, &pi), -EINVAL);
	for (uint32_t len = 0; len < n; len++)
		assert_int_not_equal(rndis_pkt_parse(b, len, &pi), 0);
	/* ppi_len 0 means no PPIs, whatever the offset says. */
	put32(b, 32, 0);
	put32(b, 28, 0x12345);
	assert_int_equal(rndis_pkt_parse(b, n, &pi), 0);
	assert_int_equal(pi.meta.present, 0);
}

/* A packet whose PPI area is raw bytes the test writes. */
static uint32_t
make_raw_ppi_pkt(uint8_t *b, const void *ppis, uint32_t ppi_len)
{
	struct rndis_packet_msg h = {
		.type = RNDIS_MSG_PACKET,
		.msg_len = 44 + ppi_len + FRAME_LEN,
		.data_offset = 36 + ppi_len,
		.data_len = FRAME_LEN,
		.ppi_offset = 36,
		.ppi_len = ppi_len,
	};

	memcpy(b, &h, sizeof(h));
	memcpy(b + 44, ppis, ppi_len);
	memset(b + 44 + ppi_len, 0, FRAME_LEN);
	return h.msg_len;
}

static int
parse_raw(const uint32_t *ppis, uint32_t ppi_len, struct rndis_pkt_info *pi)
{
	uint8_t b[512];
	uint32_t n = make_raw_ppi_pkt(b, ppis, ppi_len);

	return rndis_pkt_parse(b, n, pi);
}

static void
test_rndis_ppi_element_rejects(void **state)
{
	struct rndis_pkt_info pi;

	(void)state;
	/* size 0 must not loop forever */
	const uint32_t zero[4] = { 0, 0, 12, 0 };
	assert_int_equal(parse_raw(zero, 16, &pi), -EINVAL);
	const uint32_t small[4] = { 8, 0, 12, 0 };
	assert_int_equal(parse_raw(small, 16, &pi), -EINVAL);
	const uint32_t odd[5] = { 14, 0, 12, 0, 0 };
	assert_int_equal(parse_raw(odd, 20, &pi), -EINVAL);
	const uint32_t big[4] = { 20, 0, 12, 0 };
	assert_int_equal(parse_raw(big, 16, &pi), -EINVAL);
	const uint32_t off_hdr[4] = { 16, 0, 8, 0 };
	assert_int_equal(parse_raw(off_hdr, 16, &pi), -EINVAL);
	const uint32_t off_end[4] = { 16, 0, 16, 0 };
	assert_int_equal(parse_raw(off_end, 16, &pi), -EINVAL);
	/* a checksum value of 2 bytes is too short for a u32 */
	const uint32_t short_val[4] = { 16, RNDIS_PPI_CHECKSUM, 14, 0 };
	assert_int_equal(parse_raw(short_val, 16, &pi), -EINVAL);
	/* a good element followed by a 4-byte tail */
	const uint32_t tail[5] = { 16, RNDIS_PPI_CHECKSUM, 12, 1, 16 };
	assert_int_equal(parse_raw(tail, 20, &pi), -EINVAL);
}

static void
test_rndis_ppi_element_walk(void **state)
{
	struct rndis_pkt_info pi;

	(void)state;
	/* unknown type with an 8-byte value is skipped; the VLAN after it
	 * is read from a non-default value offset */
	const uint32_t ppis[] = {
		20, RNDIS_PPI_CLASSIFICATION_HANDLE, 12, 0xdead, 0xbeef,
		20, RNDIS_PPI_VLAN, 16, 0xffffffff, 7u | (5u << 4),
		16, RNDIS_PPI_HASH_VALUE, 12, 0xabc,
		16, RNDIS_PPI_PKTINFO_ID, 12, 2u | (0x06u << 8) | (9u << 16),
	};
	assert_int_equal(parse_raw(ppis, sizeof(ppis), &pi), 0);
	assert_int_equal(pi.meta.present, RNDIS_META_VLAN |
			 RNDIS_META_HASH_VALUE);
	assert_int_equal(pi.meta.vlan_tci, 0xE005);
	assert_int_equal(pi.meta.hash_value, 0xabc);

	const uint32_t rsc[] = {
		16, RNDIS_PPI_PKTINFO_ID, 12,
		1u | (RNDIS_PKTINFO_LAST_FRAG << 8) | (9u << 16),
	};
	assert_int_equal(parse_raw(rsc, sizeof(rsc), &pi), 0);
	assert_int_equal(pi.meta.present, RNDIS_META_PKTINFO_ID);
	assert_int_equal(pi.meta.frag_flags, RNDIS_PKTINFO_LAST_FRAG);
	assert_int_equal(pi.meta.frag_id, 9);
}

static void
test_rndis_ppi_iter(void **state)
{
	struct rndis_pkt_meta m = { 0 };
	struct rndis_pkt_info pi;
	struct rndis_msg_iter it;
	const void *msg;
	uint32_t mlen;
	uint8_t b[512];
	size_t off = 0;
	int n;

	(void)state;
	/* Three aggregated packets of 44 + 61 bytes, each padded to 8. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rndis_pkt_encode(b + off, sizeof(b) - off, &m,
						  61, 0), 44);
		n = rndis_pkt_msg_len_align(b + off, sizeof(b) - off, 8);
		assert_int_equal(n, 112);
		off += (size_t)n;
	}
	assert_int_equal(rndis_msg_iter_init(&it, b, off, 8), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), 0);
		assert_ptr_equal(msg, b + 112 * i);
		assert_int_equal(mlen, 112);
		assert_int_equal(rndis_pkt_parse(msg, mlen, &pi), 0);
		assert_int_equal(pi.data_len, 61);
	}
	assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), -ENOENT);

	/* Unpadded msg_len: the iterator does the rounding itself. */
	put32(b, 4, 105);
	assert_int_equal(rndis_msg_iter_init(&it, b, off - 3, 8), 0);
	assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), 0);
	assert_int_equal(mlen, 105);
	assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), 0);
	assert_ptr_equal(msg, b + 112);
	/* The last message no longer fits the shortened buffer. */
	assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), -EINVAL);
	assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), -ENOENT);
}

static void
test_rndis_ppi_iter_rejects(void **state)
{
	struct rndis_msg_iter it;
	const void *msg;
	uint32_t mlen;
	uint8_t b[64] = { 0 };

	(void)state;
	assert_int_equal(rndis_msg_iter_init(&it, b, sizeof(b), 3), -EINVAL);
	assert_int_equal(rndis_msg_iter_init(&it, b, sizeof(b), 8192),
			 -EINVAL);
	/* msg_len 0 must stop the walk, not spin */
	assert_int_equal(rndis_msg_iter_init(&it, b, sizeof(b), 0), 0);
	assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), -EINVAL);
	assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), -ENOENT);
	put32(b, 4, 65);
	assert_int_equal(rndis_msg_iter_init(&it, b, sizeof(b), 0), 0);
	assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), -EINVAL);
	/* fewer than 8 trailing bytes are padding */
	put32(b, 4, 60);
	assert_int_equal(rndis_msg_iter_init(&it, b, sizeof(b), 1), 0);
	assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), 0);
	assert_int_equal(rndis_msg_iter_next(&it, &msg, &mlen), -ENOENT);

	put32(b, 4, 70);
	assert_int_equal(rndis_pkt_msg_len_align(b, 71, 8), -ENOBUFS);
	assert_int_equal(rndis_pkt_msg_len_align(b, 72, 6), -EINVAL);
	assert_int_equal(rndis_pkt_msg_len_align(b, 72, 8), 72);
	assert_int_equal(get32(b, 4), 72);
}

/*
 * Every combination of the six PPI kinds: the header length the encoder
 * promises, the frame offset it returns and what the parser reads back
 * must agree (the encoder counts PPIs with bit tricks, not a loop).
 */
static void
test_rndis_ppi_all_combinations(void **state)
{
	uint8_t buf[512];

	(void)state;
	for (uint32_t present = 0; present < 64; present++) {
		struct rndis_pkt_meta m = {
			.present = present,
			.csum = rndis_txcsum_value(RNDIS_TXCSUM_IPV4 | RNDIS_TXCSUM_TCP, 34),
			.lso_mss = 1448,
			.lso_tcp_off = 34,
			.vlan_tci = 0x2005,
			.hash_value = 0x12345678u + present,
			.hash_info = 0x201,
			.frag_flags = 0x2,
			.frag_id = 7,
		};
		struct rndis_pkt_info pk;
		unsigned int nppi = (unsigned int)__builtin_popcount(present);
		int off;

		memset(buf, 0, sizeof(buf));
		off = rndis_pkt_encode(buf, sizeof(buf), &m, FRAME_LEN, 0);
		assert_true(off > 0);
		assert_int_equal((uint32_t)off, rndis_pkt_hdr_len(&m));
		/* 44-byte header, then one 12-byte element + 4-byte value each. */
		assert_int_equal(off, 44 + 16 * (int)nppi);
		memset(buf + off, 0xab, FRAME_LEN);
		assert_int_equal(rndis_pkt_parse(buf, (size_t)off + FRAME_LEN, &pk), 0);
		assert_int_equal(pk.data_off, (uint32_t)off);
		assert_int_equal(pk.data_len, FRAME_LEN);
		assert_int_equal(pk.meta.present, present);
		if (present & RNDIS_META_HASH_VALUE)
			assert_int_equal(pk.meta.hash_value, m.hash_value);
		if (present & RNDIS_META_VLAN)
			assert_int_equal(pk.meta.vlan_tci, m.vlan_tci);
		if (present & RNDIS_META_LSO)
			assert_int_equal(pk.meta.lso_mss, m.lso_mss);
	}
}

/* The receive path's parser (rndis_rx.h) against rndis_pkt_parse. */
static void
rx_agree(const uint8_t *b, uint32_t len, int want)
{
	struct rndis_pkt_info pi;
	struct rndis_rx_pkt a;

	assert_int_equal(rndis_pkt_parse(b, len, &pi), want);
	assert_int_equal(rndis_rx_parse(b, len, &a), want);
	if (want != 0)
		return;
	assert_int_equal(a.data_off, pi.data_off);
	assert_int_equal(a.data_len, pi.data_len);
	assert_int_equal(a.present, pi.meta.present);
	if (pi.meta.present & RNDIS_META_CSUM)
		assert_int_equal(a.csum, pi.meta.csum);
	if (pi.meta.present & RNDIS_META_HASH_VALUE)
		assert_int_equal(a.hash_value, pi.meta.hash_value);
	if (pi.meta.present & RNDIS_META_VLAN)
		assert_int_equal(a.vlan_tci, pi.meta.vlan_tci);
}

/*
 * The receive parser on a host-style message (frame at 256, msg_len the
 * whole range) and on each rule it must enforce like rndis_pkt_parse.
 */
static void
test_rndis_ppi_rx_parse(void **state)
{
	struct rndis_pkt_meta m = {
		.present = RNDIS_META_CSUM | RNDIS_META_HASH_VALUE |
			   RNDIS_META_VLAN,
		.csum = RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK,
		.hash_value = 0x12345678u, .vlan_tci = 0x0123,
	};
	uint8_t b[512];
	const uint32_t len = sizeof(b);
	const size_t ml = offsetof(struct rndis_packet_msg, msg_len);
	const size_t dl = offsetof(struct rndis_packet_msg, data_len);
	const size_t po = sizeof(struct rndis_packet_msg); /* first PPI */

	(void)state;
	memset(b, 0, sizeof(b));
	assert_int_equal(rndis_pkt_encode(b, sizeof(b), &m, 64, 256), 256);
	put32(b, ml, 512);                    /* the whole range, as hosts do */
	rx_agree(b, len, 0);
	put32(b, po + 12, RNDIS_RXCSUM_IP_FAILED);
	rx_agree(b, len, 0);
	put32(b, dl, 200);
	rx_agree(b, len, 0);
	put32(b, dl, 257);                    /* past msg_len (512) */
	rx_agree(b, len, -EINVAL);
	put32(b, dl, 13);                     /* shorter than Ethernet */
	rx_agree(b, len, -EINVAL);
	put32(b, dl, 64);
	rx_agree(b, 400, -EINVAL);            /* msg_len past the buffer */
	put32(b, ml, 320);
	rx_agree(b, 400, 0);
	put32(b, ml, 319);
	rx_agree(b, 400, -EINVAL);            /* frame past msg_len */
	put32(b, ml, 512);
	put32(b, po + 8, 16);                 /* PPI value offset = size */
	rx_agree(b, len, -EINVAL);
	put32(b, po + 8, 12);
	put32(b, po, 20);                     /* element size not /4 */
	rx_agree(b, len, -EINVAL);
	put32(b, po, 16);
	put32(b, po + 4, 0x1234u);            /* unknown PPI type: skipped */
	rx_agree(b, len, 0);
	put32(b, po + 4, RNDIS_PPI_CHECKSUM);
	put32(b, offsetof(struct rndis_packet_msg, vc_handle), 1);
	rx_agree(b, len, -EINVAL);
	put32(b, offsetof(struct rndis_packet_msg, vc_handle), 0);
	put32(b, 0, RNDIS_MSG_INIT);          /* not a data message */
	rx_agree(b, len, -EPROTO);
	put32(b, 0, RNDIS_MSG_PACKET);
	rx_agree(b, 7, -EINVAL);
	rx_agree(b, len, 0);
	/* PKTINFO_ID: flagged by its version only. */
	m.present |= RNDIS_META_PKTINFO_ID;
	memset(b, 0, sizeof(b));
	assert_int_equal(rndis_pkt_encode(b, sizeof(b), &m, 64, 256), 256);
	rx_agree(b, len, 0);
}

/*
 * The whole-message check of the common layout (one checksum PPI right
 * after the header, frame further on) takes a host's untagged frame, and
 * each field it compares, changed, sends the message to the general
 * rules with the same outcome as rndis_pkt_parse.
 */
static void
test_rndis_ppi_rx_parse_csum1(void **state)
{
	struct rndis_pkt_meta m = {
		.present = RNDIS_META_CSUM,
		.csum = RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_TCP_OK,
	};
	uint8_t b[512];
	const uint32_t len = sizeof(b);
	const size_t ml = offsetof(struct rndis_packet_msg, msg_len);
	const size_t dof = offsetof(struct rndis_packet_msg, data_offset);
	const size_t dl = offsetof(struct rndis_packet_msg, data_len);
	const size_t pl = offsetof(struct rndis_packet_msg, ppi_len);
	const size_t ppo = offsetof(struct rndis_packet_msg, ppi_offset);
	struct rndis_rx_pkt a;
	/* Fields the check compares: offset, a value that breaks it, and
	 * what rndis_pkt_parse says then. */
	static const struct {
		size_t off;
		uint32_t v;
		int want;
	} bad[] = {
		{ offsetof(struct rndis_packet_msg, oob_data_offset), 4, -EINVAL },
		{ offsetof(struct rndis_packet_msg, oob_data_len), 4, -EINVAL },
		{ offsetof(struct rndis_packet_msg, num_oob_data_elements), 1,
		  -EINVAL },
		{ offsetof(struct rndis_packet_msg, vc_handle), 1, -EINVAL },
		{ offsetof(struct rndis_packet_msg, ppi_offset), 40, -EINVAL },
		{ offsetof(struct rndis_packet_msg, ppi_len), 0, 0 },
		{ offsetof(struct rndis_packet_msg, ppi_len), 12, -EINVAL },
		{ sizeof(struct rndis_packet_msg), 20, -EINVAL },     /* size */
		{ sizeof(struct rndis_packet_msg) + 4, RNDIS_PPI_VLAN, 0 },
		{ sizeof(struct rndis_packet_msg) + 4, 0x1234u, 0 },  /* type */
		{ sizeof(struct rndis_packet_msg) + 8, 8, -EINVAL },  /* offset */
		{ 0, RNDIS_MSG_INIT, -EPROTO },
	};

	(void)state;
	memset(b, 0, sizeof(b));
	assert_int_equal(rndis_pkt_encode(b, sizeof(b), &m, 64, 256), 256);
	assert_int_equal(get32(b, pl), 16);
	assert_int_equal(get32(b, ppo), 36);
	put32(b, ml, 512);
	assert_int_equal(rndis_rx_parse_csum1(b, len, &a), 1);
	assert_int_equal(a.data_off, 256);
	assert_int_equal(a.data_len, 64);
	assert_int_equal(a.present, RNDIS_META_CSUM);
	assert_int_equal(a.csum, m.csum);
	rx_agree(b, len, 0);
	/* reserved is not compared (rndis_pkt_parse ignores it too) */
	put32(b, offsetof(struct rndis_packet_msg, reserved), 7);
	assert_int_equal(rndis_rx_parse_csum1(b, len, &a), 1);
	rx_agree(b, len, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t old = get32(b, bad[i].off);

		put32(b, bad[i].off, bad[i].v);
		assert_int_equal(rndis_rx_parse_csum1(b, len, &a), 0);
		rx_agree(b, len, bad[i].want);
		put32(b, bad[i].off, old);
	}
	/* The frame right after the element is the smallest data_offset. */
	put32(b, dof, 52);
	assert_int_equal(rndis_rx_parse_csum1(b, len, &a), 1);
	assert_int_equal(a.data_off, 60);
	rx_agree(b, len, 0);
	put32(b, dof, 51);                    /* overlaps the element */
	assert_int_equal(rndis_rx_parse_csum1(b, len, &a), 0);
	rx_agree(b, len, -EINVAL);
	put32(b, dof, 248);
	/* Lengths: the frame to msg_len exactly, one past; msg_len past the
	 * range; too short a frame; a range shorter than the check reads. */
	put32(b, ml, 320);
	assert_int_equal(rndis_rx_parse_csum1(b, 320, &a), 1);
	rx_agree(b, 320, 0);
	put32(b, ml, 319);
	assert_int_equal(rndis_rx_parse_csum1(b, 400, &a), 0);
	rx_agree(b, 400, -EINVAL);
	put32(b, ml, 320);
	assert_int_equal(rndis_rx_parse_csum1(b, 319, &a), 0);
	rx_agree(b, 319, -EINVAL);
	put32(b, dl, 13);
	assert_int_equal(rndis_rx_parse_csum1(b, len, &a), 0);
	rx_agree(b, len, -EINVAL);
	put32(b, dl, 64);
	assert_int_equal(rndis_rx_parse_csum1(b, 59, &a), 0);
	rx_agree(b, 59, -EINVAL);
	/* A data_offset so large that offset + length wraps 32 bits. */
	put32(b, dof, UINT32_MAX - 8);
	assert_int_equal(rndis_rx_parse_csum1(b, len, &a), 0);
	rx_agree(b, len, -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rndis_ppi_bitfields),
		cmocka_unit_test(test_rndis_ppi_tx_layout_bytes),
		cmocka_unit_test(test_rndis_ppi_no_ppi_layout),
		cmocka_unit_test(test_rndis_ppi_roundtrip_tx),
		cmocka_unit_test(test_rndis_ppi_roundtrip_host_rx),
		cmocka_unit_test(test_rndis_ppi_encode_rejects),
		cmocka_unit_test(test_rndis_ppi_header_rejects),
		cmocka_unit_test(test_rndis_ppi_element_rejects),
		cmocka_unit_test(test_rndis_ppi_element_walk),
		cmocka_unit_test(test_rndis_ppi_iter),
		cmocka_unit_test(test_rndis_ppi_iter_rejects),
		cmocka_unit_test(test_rndis_ppi_all_combinations),
		cmocka_unit_test(test_rndis_ppi_rx_parse),
		cmocka_unit_test(test_rndis_ppi_rx_parse_csum1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
