/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uio_hv_vmbus's size arithmetic (kernel/uhv_sizes.h) on 4, 16 and
 * 64 KiB system pages, held to the rules the bus applies to what it maps
 * (hv_chan_ring_size_check(), hv_chan_split(), docs/uio-abi.md). The
 * QEMU suite runs only 4 KiB x86 guests; this is where the other page
 * sizes are checked. The module compares the ring size with the core's
 * VMBUS_RING_SIZE() at probe (a WARN the QEMU suite would catch).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv_chan_geom.h"
#include "hv_uio_abi.h"
#include "uhv_sizes.h"

static const size_t pages[] = { 4096, 16384, 65536 };

/* Parameter values worth a look: bounds, defaults, odd sizes. */
static const unsigned int ring_kbs[] = {
	0, 1, 15, 16, 17, 20, 31, 32, 60, 64, 100, 127, 128, 256, 500, 512,
	513, 1000, 1024, 2048, 4095, 65536, 65537, 100000,
};

static void
test_ring_fits_the_bus_on_every_page_size(void **state)
{
	(void)state;
	for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
		size_t pg = pages[p];

		for (size_t i = 0; i < sizeof(ring_kbs) / sizeof(ring_kbs[0]); i++) {
			unsigned int kb = ring_kbs[i];
			size_t bytes = uhv_ring_bytes(kb, pg);
			size_t want = (size_t)uhv_clamp_kb(kb, UHV_RING_KB_MIN,
							   UHV_RING_KB_MAX) * 1024;
			struct hv_chan_geom g;
			uint8_t *b;

			/* Whole system pages, hence whole Hyper-V pages. */
			assert_int_equal(bytes % pg, 0);
			assert_int_equal(bytes % UHV_HV_PAGE, 0);
			/* The ring file / map 0 (both directions) passes the bus. */
			assert_int_equal(hv_chan_ring_size_check(2 * (uint64_t)bytes, pg), 0);
			/* Data room: all asked for, or all but the header page. */
			assert_true(bytes - pg >= (want >= 8 * pg ? want - pg : want));
			/* Never more than the request plus a header and rounding. */
			assert_true(bytes <= want + 2 * pg);
			b = aligned_alloc(pg, 2 * bytes);
			assert_non_null(b);
			assert_int_equal(hv_chan_split(b, 2 * bytes, pg, &g), 0);
			assert_ptr_equal(g.rx_hdr, b + bytes);
			assert_int_equal(g.data_size, bytes - pg);
			free(b);
		}
	}
}

static void
test_ring_header_rule(void **state)
{
	(void)state;
	/* 4 KiB: from 32 KiB up the header comes out of the payload. */
	assert_int_equal(uhv_ring_bytes(2048, 4096), 2048 * 1024);
	assert_int_equal(uhv_ring_bytes(512, 4096), 512 * 1024);
	assert_int_equal(uhv_ring_bytes(32, 4096), 32 * 1024);
	assert_int_equal(uhv_ring_bytes(16, 4096), 20 * 1024);
	/* 64 KiB: below 512 KiB a 64 KiB header page is added. */
	assert_int_equal(uhv_ring_bytes(2048, 65536), 2048 * 1024);
	assert_int_equal(uhv_ring_bytes(512, 65536), 512 * 1024);
	assert_int_equal(uhv_ring_bytes(256, 65536), 320 * 1024);
	assert_int_equal(uhv_ring_bytes(16, 65536), 128 * 1024);
	assert_int_equal(uhv_ring_bytes(100, 65536), 192 * 1024);
	/* The default is what hv_uio_abi.h documents. */
	assert_int_equal(uhv_ring_bytes(HV_UIO_DEFAULT_RING_SIZE / 1024, 65536),
			 HV_UIO_DEFAULT_RING_SIZE);
}

static void
test_buffers_are_system_pages(void **state)
{
	static const unsigned int kbs[] = { 0, 1, 63, 64, 65, 100, 4096, 31744,
					    16384, 131072, 131073, 1u << 31 };

	(void)state;
	for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
		size_t pg = pages[p];

		for (size_t i = 0; i < sizeof(kbs) / sizeof(kbs[0]); i++) {
			size_t want = (size_t)uhv_clamp_kb(kbs[i], UHV_BUF_KB_MIN,
							   UHV_BUF_KB_MAX) * 1024;
			size_t bytes = uhv_buf_bytes(kbs[i], pg);

			assert_int_equal(bytes % pg, 0);
			assert_true(bytes >= want && bytes < want + pg);
		}
	}
	assert_int_equal(uhv_buf_bytes(100, 65536), 128 * 1024);
	assert_int_equal(uhv_buf_bytes(HV_UIO_DEFAULT_RECV_BUF_SIZE / 1024, 65536),
			 HV_UIO_DEFAULT_RECV_BUF_SIZE);
}

static void
test_hv_page_offset_in_system_page(void **state)
{
	(void)state;
	/* A page-aligned allocation: the map starts with it. */
	assert_int_equal(uhv_hv_page_offs(0xffff888012340000u, 4096), 0);
	assert_int_equal(uhv_hv_page_offs(0xffff888012340000u, 65536), 0);
	/* A 4 KiB kmalloc on a 64 KiB kernel: inside the system page. */
	assert_int_equal(uhv_hv_page_offs(0xffff888012343000u, 65536), 0x3000);
	assert_int_equal(uhv_hv_page_offs(0xffff888012343000u, 4096), 0);
	assert_int_equal(uhv_hv_page_offs(0xffff88801234f000u, 16384), 0x3000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_fits_the_bus_on_every_page_size),
		cmocka_unit_test(test_ring_header_rule),
		cmocka_unit_test(test_buffers_are_system_pages),
		cmocka_unit_test(test_hv_page_offset_in_system_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
