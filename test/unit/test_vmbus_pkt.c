/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for vmbus_pkt: channel packet header builders, the parser of
 * received packets, GPA range iteration and transfer-page range bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_bytes.h"

#include <errno.h>
#include <string.h>

#include "vmbus_pkt.h"

/* Descriptor fields written by hand, for malformed packets. */
static void
put_desc(uint8_t *p, uint16_t type, uint16_t off8, uint16_t len8,
	 uint16_t flags, uint64_t id)
{
	put16(p, 0, type);
	put16(p + 2, 0, off8);
	put16(p + 4, 0, len8);
	put16(p + 6, 0, flags);
	memcpy(p + 8, &id, sizeof(id));
}

static void
test_vmbus_pkt_inband_bytes(void **state)
{
	uint8_t b[16];
	int rc;

	(void)state;
	memset(b, 0xee, sizeof(b));
	rc = vmbus_pkt_build_inband(b, sizeof(b), 13, 0x1122334455667788ull,
				    VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_int_equal(rc, 16);
	assert_int_equal(get16(b, 0), VMBUS_PKT_DATA_INBAND);
	assert_int_equal(get16(b + 2, 0), 2);
	/* 16 + 13 rounded up to 8 = 32 bytes = 4 units */
	assert_int_equal(get16(b + 4, 0), 4);
	assert_int_equal(get16(b + 6, 0), 1);
	assert_true(get64(b + 8, 0) == 0x1122334455667788ull);
	assert_int_equal(vmbus_pkt_len(16, 13), 32);
}

static void
test_vmbus_pkt_comp_bytes(void **state)
{
	uint8_t b[16];

	(void)state;
	assert_int_equal(vmbus_pkt_build_comp(b, sizeof(b), 0, 42), 16);
	assert_int_equal(get16(b, 0), VMBUS_PKT_COMPLETION);
	assert_int_equal(get16(b + 4, 0), 2);
	assert_int_equal(get16(b + 6, 0), 0);
	assert_true(get64(b + 8, 0) == 42);
}

static void
test_vmbus_pkt_build_errors(void **state)
{
	uint8_t b[64];

	(void)state;
	assert_int_equal(vmbus_pkt_build_inband(b, 15, 0, 0, 0), -ENOBUFS);
	assert_int_equal(vmbus_pkt_build_inband(b, sizeof(b), 0, 0, 2),
			 -EINVAL);
	/* Largest payload that fits: 0xffff units minus the descriptor. */
	assert_int_equal(vmbus_pkt_build_inband(b, sizeof(b),
						VMBUS_PKT_MAX_LEN - 16, 0, 0),
			 16);
	assert_int_equal(get16(b + 4, 0), 0xffff);
	assert_int_equal(vmbus_pkt_build_inband(b, sizeof(b),
						VMBUS_PKT_MAX_LEN - 15, 0, 0),
			 -EMSGSIZE);
	assert_int_equal(vmbus_pkt_build_comp(b, sizeof(b), SIZE_MAX, 0),
			 -EMSGSIZE);
}

static void
test_vmbus_pkt_parse_inband(void **state)
{
	/* Odd offset: the parser must not assume alignment. */
	uint8_t raw[64 + 1];
	uint8_t *b = raw + 1;
	struct vmbus_pkt_info info;
	int rc;

	(void)state;
	memset(raw, 0, sizeof(raw));
	rc = vmbus_pkt_build_inband(b, 64, 5, 7, 1);
	assert_int_equal(rc, 16);
	memcpy(b + 16, "hello", 5);
	/* Extra bytes after the packet (the ring trailer) are fine. */
	assert_int_equal(vmbus_pkt_parse(b, 24 + 8, &info), 0);
	assert_int_equal(info.type, VMBUS_PKT_DATA_INBAND);
	assert_int_equal(info.flags, 1);
	assert_true(info.trans_id == 7);
	assert_int_equal(info.pkt_len, 24);
	assert_int_equal(info.hdr_len, 16);
	assert_ptr_equal(info.payload, b + 16);
	assert_int_equal(info.payload_len, 8);
	assert_memory_equal(info.payload, "hello", 5);
	assert_int_equal(info.range_count, 0);
	assert_null(info.ranges);
}

static void
test_vmbus_pkt_parse_bad_desc(void **state)
{
	uint8_t b[72] = { 0 };
	struct vmbus_pkt_info info;

	(void)state;
	put_desc(b, VMBUS_PKT_DATA_INBAND, 2, 2, 0, 0);
	assert_int_equal(vmbus_pkt_parse(b, 15, &info), -EINVAL);
	assert_int_equal(vmbus_pkt_parse(b, 16, &info), 0);
	assert_int_equal(info.payload_len, 0);

	put_desc(b, VMBUS_PKT_DATA_INBAND, 1, 2, 0, 0);
	assert_int_equal(vmbus_pkt_parse(b, 64, &info), -EINVAL);
	put_desc(b, VMBUS_PKT_DATA_INBAND, 0, 0, 0, 0);
	assert_int_equal(vmbus_pkt_parse(b, 64, &info), -EINVAL);
	put_desc(b, VMBUS_PKT_DATA_INBAND, 3, 2, 0, 0);
	assert_int_equal(vmbus_pkt_parse(b, 64, &info), -EINVAL);
	put_desc(b, VMBUS_PKT_DATA_INBAND, 2, 9, 0, 0);
	assert_int_equal(vmbus_pkt_parse(b, 64, &info), -EINVAL);
	assert_int_equal(vmbus_pkt_parse(b, 72, &info), 0);
	put_desc(b, VMBUS_PKT_COMPLETION, 2, 2, 2, 0);
	assert_int_equal(vmbus_pkt_parse(b, 64, &info), -EINVAL);
	put_desc(b, VMBUS_PKT_COMPLETION, 2, 2, 0x8001, 0);
	assert_int_equal(vmbus_pkt_parse(b, 64, &info), -EINVAL);
	/* The output never keeps stale pointers on error. */
	assert_null(info.payload);
}

static void
test_vmbus_pkt_parse_unknown_type(void **state)
{
	static const uint16_t types[] = {
		VMBUS_PKT_INVALID, VMBUS_PKT_SYNCH, VMBUS_PKT_DATA_GPADL,
		VMBUS_PKT_CANCEL_REQUEST, VMBUS_PKT_ADDITIONAL_DATA, 0x1234,
	};
	uint8_t b[32] = { 0 };
	struct vmbus_pkt_info info;

	(void)state;
	for (size_t i = 0; i < HV_ARRAY_SIZE(types); i++) {
		put_desc(b, types[i], 2, 3, 1, 99);
		assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info),
				 -ENOTSUP);
		/* Framing is sound, so the caller can skip the packet. */
		assert_int_equal(info.type, types[i]);
		assert_int_equal(info.pkt_len, 24);
		assert_true(info.trans_id == 99);
	}
}

static void
test_vmbus_pkt_pfn_count(void **state)
{
	(void)state;
	assert_int_equal(vmbus_pkt_gpa_pfn_count(0, 1), 1);
	assert_int_equal(vmbus_pkt_gpa_pfn_count(0, 4096), 1);
	assert_int_equal(vmbus_pkt_gpa_pfn_count(1, 4096), 2);
	assert_int_equal(vmbus_pkt_gpa_pfn_count(4095, 1), 1);
	assert_int_equal(vmbus_pkt_gpa_pfn_count(4095, 2), 2);
	assert_int_equal(vmbus_pkt_gpa_pfn_count(100, 8192), 3);
	assert_int_equal(vmbus_pkt_gpa_pfn_count(0, 0), 0);
	assert_int_equal(vmbus_pkt_gpa_pfn_count(4096, 1), 0);
	/* No 32-bit wrap of offset + count. */
	assert_int_equal(vmbus_pkt_gpa_pfn_count(4095, UINT32_MAX), 1048577);
}

static void
test_vmbus_pkt_gpa_pages_bytes(void **state)
{
	const struct vmbus_pkt_page pages[2] = {
		{ .pfn = 0x123456789ull, .byte_offset = 0x10, .byte_count = 100 },
		{ .pfn = 0x42, .byte_offset = 0, .byte_count = 4096 },
	};
	uint8_t b[64];
	int rc;

	(void)state;
	rc = vmbus_pkt_build_gpa_pages(b, sizeof(b), pages, 2, 40, 5, 1);
	assert_int_equal(rc, 24 + 32);
	assert_int_equal(get16(b, 0), VMBUS_PKT_DATA_GPA_DIRECT);
	assert_int_equal(get16(b + 2, 0), 7);
	assert_int_equal(get16(b + 4, 0), 12); /* 56 + 40 = 96 bytes */
	assert_int_equal(get32(b + 16, 0), 0);
	assert_int_equal(get32(b + 20, 0), 2);
	assert_int_equal(get32(b + 24, 0), 100);
	assert_int_equal(get32(b + 28, 0), 0x10);
	assert_true(get64(b + 32, 0) == 0x123456789ull);
	assert_int_equal(get32(b + 40, 0), 4096);
	assert_int_equal(get32(b + 44, 0), 0);
	assert_true(get64(b + 48, 0) == 0x42);
}

static void
test_vmbus_pkt_gpa_pages_errors(void **state)
{
	struct vmbus_pkt_page pg = { .pfn = 1, .byte_offset = 0,
				     .byte_count = 1 };
	uint8_t b[64];

	(void)state;
	assert_int_equal(vmbus_pkt_build_gpa_pages(b, sizeof(b), &pg, 0, 0, 0,
						   1), -EINVAL);
	assert_int_equal(vmbus_pkt_build_gpa_pages(b, 39, &pg, 1, 0, 0, 1),
			 -ENOBUFS);
	pg.byte_count = 0;
	assert_int_equal(vmbus_pkt_build_gpa_pages(b, sizeof(b), &pg, 1, 0, 0,
						   1), -EINVAL);
	pg.byte_count = 1;
	pg.byte_offset = 4096;
	assert_int_equal(vmbus_pkt_build_gpa_pages(b, sizeof(b), &pg, 1, 0, 0,
						   1), -EINVAL);
	/* Crossing into a second page needs the multi-PFN form. */
	pg.byte_offset = 4000;
	pg.byte_count = 97;
	assert_int_equal(vmbus_pkt_build_gpa_pages(b, sizeof(b), &pg, 1, 0, 0,
						   1), -EINVAL);
	pg.byte_count = 96;
	assert_int_equal(vmbus_pkt_build_gpa_pages(b, sizeof(b), &pg, 1, 0, 0,
						   4), -EINVAL);
	assert_int_equal(vmbus_pkt_build_gpa_pages(b, sizeof(b), &pg, 40000,
						   0, 0, 1), -EMSGSIZE);
}

static void
test_vmbus_pkt_gpa_ranges_roundtrip(void **state)
{
	static const uint64_t pfns0[3] = { 10, 11, 0xfffffffffull };
	static const uint64_t pfns1[1] = { 77 };
	const struct vmbus_pkt_gpa_range r[2] = {
		{ .byte_offset = 100, .byte_count = 8192, .pfns = pfns0 },
		{ .byte_offset = 0, .byte_count = 4096, .pfns = pfns1 },
	};
	uint8_t b[128] = { 0 };
	struct vmbus_pkt_info info;
	struct vmbus_pkt_gpa_iter it;
	struct vmbus_pkt_gpa_view v;
	int rc;

	(void)state;
	rc = vmbus_pkt_build_gpa_ranges(b, sizeof(b), r, 2, 8, 0xabc, 1);
	assert_int_equal(rc, 24 + 8 + 24 + 8 + 8);
	assert_int_equal(get32(b + 32 + 24, 0), 4096); /* second range at @56 */
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), 0);
	assert_int_equal(info.type, VMBUS_PKT_DATA_GPA_DIRECT);
	assert_int_equal(info.range_count, 2);
	assert_int_equal(info.hdr_len, 72);
	assert_int_equal(info.payload_len, 8);

	vmbus_pkt_gpa_iter_init(&it, &info);
	assert_int_equal(vmbus_pkt_gpa_iter_next(&it, &v), 0);
	assert_int_equal(v.byte_offset, 100);
	assert_int_equal(v.byte_count, 8192);
	assert_int_equal(v.pfn_count, 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_true(vmbus_pkt_gpa_pfn(&v, i) == pfns0[i]);
	assert_true(vmbus_pkt_gpa_pfn(&v, 3) == 0);
	assert_int_equal(vmbus_pkt_gpa_iter_next(&it, &v), 0);
	assert_int_equal(v.pfn_count, 1);
	assert_true(vmbus_pkt_gpa_pfn(&v, 0) == 77);
	assert_int_equal(vmbus_pkt_gpa_iter_next(&it, &v), -ENOENT);
	assert_int_equal(vmbus_pkt_gpa_iter_next(&it, &v), -ENOENT);
}

static void
test_vmbus_pkt_gpa_ranges_errors(void **state)
{
	static const uint64_t pfns[2] = { 1, 2 };
	struct vmbus_pkt_gpa_range r = { .byte_offset = 1, .byte_count = 4096,
					 .pfns = pfns };
	uint8_t b[128];

	(void)state;
	assert_int_equal(vmbus_pkt_build_gpa_ranges(b, 47, &r, 1, 0, 0, 1),
			 -ENOBUFS);
	assert_int_equal(vmbus_pkt_build_gpa_ranges(b, 48, &r, 1, 0, 0, 1),
			 48);
	r.pfns = NULL;
	assert_int_equal(vmbus_pkt_build_gpa_ranges(b, 48, &r, 1, 0, 0, 1),
			 -EINVAL);
	r.pfns = pfns;
	r.byte_count = 0;
	assert_int_equal(vmbus_pkt_build_gpa_ranges(b, 48, &r, 1, 0, 0, 1),
			 -EINVAL);
	/* ~1M PFNs cannot fit a 16-bit len8. */
	r.byte_count = UINT32_MAX;
	assert_int_equal(vmbus_pkt_build_gpa_ranges(b, 48, &r, 1, 0, 0, 1),
			 -EMSGSIZE);
}

/* 128-byte GPA-direct packet, header of off8 units, first range set. */
static void
put_gpa(uint8_t *b, uint16_t off8, uint32_t nranges, uint32_t off,
	uint32_t count)
{
	memset(b, 0, 128);
	put_desc(b, VMBUS_PKT_DATA_GPA_DIRECT, off8, 16, 1, 0);
	put32(b + 20, 0, nranges);
	put32(b + 24, 0, count);
	put32(b + 28, 0, off);
}

static void
test_vmbus_pkt_gpa_parse_errors(void **state)
{
	uint8_t b[128];
	struct vmbus_pkt_info info;

	(void)state;
	put_gpa(b, 5, 1, 0, 4096);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), 0);
	/* Two PFNs needed, one slot present. */
	put_gpa(b, 5, 1, 1, 4096);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
	assert_int_equal(info.range_count, 0);
	put_gpa(b, 6, 1, 1, 4096);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), 0);
	put_gpa(b, 5, 0, 0, 4096);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
	put_gpa(b, 5, 2, 0, 4096);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
	/* Second range announced but truncated by the header length. */
	put_gpa(b, 7, 2, 0, 4096);
	put32(b + 40, 0, 8);
	put32(b + 44, 0, 0);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), 0);
	put32(b + 40, 0, 4097);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
	put_gpa(b, 5, 1, 0, 0);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
	put_gpa(b, 5, 1, 4096, 1);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
	/* PFN count overflow attempt: huge count, few bytes. */
	put_gpa(b, 16, 1, 4095, UINT32_MAX);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
	/* Header too short for the GPA-direct prefix. */
	put_gpa(b, 2, 1, 0, 1);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
}

static void
test_vmbus_pkt_xfer_roundtrip(void **state)
{
	const struct vmbus_xfer_page_range r[3] = {
		{ .byte_count = 100, .byte_offset = 0 },
		{ .byte_count = 200, .byte_offset = 4096 },
		{ .byte_count = 1, .byte_offset = 0x10000 },
	};
	uint8_t b[128] = { 0 };
	struct vmbus_pkt_info info;
	struct vmbus_xfer_page_range out;
	int rc;

	(void)state;
	rc = vmbus_pkt_build_xfer(b, sizeof(b), 0xcafe, r, 3, 40, 17, 0);
	assert_int_equal(rc, 48);
	assert_int_equal(get16(b, 0), VMBUS_PKT_DATA_XFER_PAGES);
	assert_int_equal(get16(b + 2, 0), 6);
	assert_int_equal(get16(b + 4, 0), 11);
	assert_int_equal(get16(b + 16, 0), 0xcafe);
	assert_int_equal(get32(b + 20, 0), 3);
	assert_int_equal(get32(b + 32, 0), 200);
	assert_int_equal(get32(b + 36, 0), 4096);

	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), 0);
	assert_int_equal(info.xfer_pageset_id, 0xcafe);
	assert_int_equal(info.range_count, 3);
	assert_true(info.trans_id == 17);
	assert_ptr_equal(info.payload, b + 48);
	assert_int_equal(info.payload_len, 40);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(vmbus_pkt_xfer_range(&info, i, &out), 0);
		assert_int_equal(out.byte_count, r[i].byte_count);
		assert_int_equal(out.byte_offset, r[i].byte_offset);
	}
	assert_int_equal(vmbus_pkt_xfer_range(&info, 3, &out), -ERANGE);
	assert_int_equal(vmbus_pkt_xfer_range(&info, UINT32_MAX, &out),
			 -ERANGE);

	assert_int_equal(vmbus_pkt_build_xfer(b, 47, 1, r, 3, 0, 0, 0),
			 -ENOBUFS);
	assert_int_equal(vmbus_pkt_build_xfer(b, sizeof(b), 1, r, 0, 0, 0, 0),
			 -EINVAL);
}

/* The header alone, for ranges laid out after it: the same bytes. */
static void
test_vmbus_pkt_xfer_hdr_in_place(void **state)
{
	const struct vmbus_xfer_page_range r[3] = {
		{ .byte_count = 100, .byte_offset = 0 },
		{ .byte_count = 200, .byte_offset = 4096 },
		{ .byte_count = 1, .byte_offset = 0x10000 },
	};
	struct {
		struct vmbus_xfer_page_hdr h;
		struct vmbus_xfer_page_range r[3];
	} in;
	uint8_t b[128];

	(void)state;
	_Static_assert(sizeof(in) == sizeof(in.h) + sizeof(in.r),
		       "the ranges follow the header");
	memset(&in, 0xa5, sizeof(in));
	memcpy(in.r, r, sizeof(r));
	assert_int_equal(vmbus_pkt_build_xfer(b, sizeof(b), 0xcafe, r, 3, 40,
					      17, VMBUS_PKT_FLAG_COMPLETION_REQUESTED),
			 48);
	assert_int_equal(vmbus_pkt_build_xfer_hdr(&in.h, 0xcafe, 3, 40, 17,
						  VMBUS_PKT_FLAG_COMPLETION_REQUESTED),
			 48);
	assert_memory_equal(&in, b, 48);
	assert_int_equal(vmbus_pkt_build_xfer_hdr(&in.h, 1, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(vmbus_pkt_build_xfer_hdr(&in.h, 1, UINT32_MAX, 0, 0, 0),
			 -EMSGSIZE);
	assert_int_equal(vmbus_pkt_build_xfer_hdr(&in.h, 1, 3, 0, 0, 0x8000),
			 -EINVAL);
}

static void
test_vmbus_pkt_xfer_parse_errors(void **state)
{
	uint8_t b[64] = { 0 };
	struct vmbus_pkt_info info;
	struct vmbus_xfer_page_range out;

	(void)state;
	put_desc(b, VMBUS_PKT_DATA_XFER_PAGES, 4, 8, 0, 0);
	put32(b + 20, 0, 1);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), 0);
	put32(b + 20, 0, 2);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
	put32(b + 20, 0, 0);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
	put32(b + 20, 0, UINT32_MAX);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);
	put_desc(b, VMBUS_PKT_DATA_XFER_PAGES, 2, 8, 0, 0);
	put32(b + 20, 0, 0);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), -EINVAL);

	/* Range access on a packet of another type. */
	put_desc(b, VMBUS_PKT_DATA_INBAND, 2, 8, 0, 0);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), 0);
	assert_int_equal(vmbus_pkt_xfer_range(&info, 0, &out), -EPROTO);
}

static void
test_vmbus_pkt_gpa_iter_other_type(void **state)
{
	uint8_t b[64] = { 0 };
	struct vmbus_pkt_info info;
	struct vmbus_pkt_gpa_iter it;
	struct vmbus_pkt_gpa_view v;

	(void)state;
	/* A transfer-page packet's ranges are not GPA ranges. */
	put_desc(b, VMBUS_PKT_DATA_XFER_PAGES, 4, 8, 0, 0);
	put32(b + 20, 0, 1);
	assert_int_equal(vmbus_pkt_parse(b, sizeof(b), &info), 0);
	vmbus_pkt_gpa_iter_init(&it, &info);
	assert_int_equal(vmbus_pkt_gpa_iter_next(&it, &v), -ENOENT);
}

static void
test_vmbus_pkt_xfer_range_check(void **state)
{
	struct vmbus_xfer_page_range r;

	(void)state;
	r = (struct vmbus_xfer_page_range){ .byte_count = 64, .byte_offset = 0 };
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, 64), 0);
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, 63), -ERANGE);
	r = (struct vmbus_xfer_page_range){ .byte_count = 1, .byte_offset = 63 };
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, 64), 0);
	r.byte_offset = 64;
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, 64), -ERANGE);
	r.byte_offset = 65;
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, 64), -ERANGE);
	r.byte_count = 0;
	r.byte_offset = 0;
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, 64), -EINVAL);
	/* offset + count wraps to 8 in 32 bits. */
	r = (struct vmbus_xfer_page_range){ .byte_count = 0xfffffff8u,
					    .byte_offset = 16 };
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, 64), -ERANGE);
	r = (struct vmbus_xfer_page_range){ .byte_count = 0x20,
					    .byte_offset = 0xfffffff0u };
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, UINT32_MAX), -ERANGE);
	r.byte_count = 0xf;
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, UINT32_MAX), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmbus_pkt_inband_bytes),
		cmocka_unit_test(test_vmbus_pkt_comp_bytes),
		cmocka_unit_test(test_vmbus_pkt_build_errors),
		cmocka_unit_test(test_vmbus_pkt_parse_inband),
		cmocka_unit_test(test_vmbus_pkt_parse_bad_desc),
		cmocka_unit_test(test_vmbus_pkt_parse_unknown_type),
		cmocka_unit_test(test_vmbus_pkt_pfn_count),
		cmocka_unit_test(test_vmbus_pkt_gpa_pages_bytes),
		cmocka_unit_test(test_vmbus_pkt_gpa_pages_errors),
		cmocka_unit_test(test_vmbus_pkt_gpa_ranges_roundtrip),
		cmocka_unit_test(test_vmbus_pkt_gpa_ranges_errors),
		cmocka_unit_test(test_vmbus_pkt_gpa_parse_errors),
		cmocka_unit_test(test_vmbus_pkt_xfer_roundtrip),
		cmocka_unit_test(test_vmbus_pkt_xfer_hdr_in_place),
		cmocka_unit_test(test_vmbus_pkt_xfer_parse_errors),
		cmocka_unit_test(test_vmbus_pkt_gpa_iter_other_type),
		cmocka_unit_test(test_vmbus_pkt_xfer_range_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
