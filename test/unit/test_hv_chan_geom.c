/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv_chan_geom.h"

static void
test_hv_chan_geom_split_4k_and_64k(void **state)
{
	static const size_t pages[] = { 4096, 65536 };
	struct hv_chan_geom g;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		size_t pg = pages[i], size = 8 * pg;
		uint8_t *b = aligned_alloc(pg, size);

		assert_non_null(b);
		assert_int_equal(hv_chan_split(b, size, pg, &g), 0);
		assert_ptr_equal(g.tx_hdr, b);
		assert_ptr_equal(g.tx_data, b + pg);
		assert_ptr_equal(g.rx_hdr, b + size / 2);
		assert_ptr_equal(g.rx_data, b + size / 2 + pg);
		assert_int_equal(g.data_size, size / 2 - pg);
		memset(b, 0xee, size);
		hv_chan_reset_headers(&g, true);
		assert_int_equal(g.tx_hdr->write_index, 0);
		assert_int_equal(g.rx_hdr->read_index, 0);
		assert_int_equal(g.tx_hdr->feature_bits,
				 VMBUS_RING_FEAT_PENDING_SEND_SZ);
		assert_int_equal(g.rx_hdr->feature_bits,
				 VMBUS_RING_FEAT_PENDING_SEND_SZ);
		assert_int_equal(g.tx_hdr->interrupt_mask, 0);
		assert_int_equal(g.rx_hdr->interrupt_mask, 1);
		/* The whole header page is cleared, the data is not. */
		assert_int_equal(b[pg - 1], 0);
		assert_int_equal(b[size / 2 + pg - 1], 0);
		assert_int_equal(b[pg], 0xee);
		assert_int_equal(b[size / 2 + pg], 0xee);
		hv_chan_reset_headers(&g, false);
		assert_int_equal(g.rx_hdr->interrupt_mask, 0);
		free(b);
	}
}

static void
test_hv_chan_geom_rejects(void **state)
{
	uint8_t b[16];
	struct hv_chan_geom g;

	(void)state;
	assert_int_equal(hv_chan_ring_size_check(0, 4096), -EINVAL);
	assert_int_equal(hv_chan_ring_size_check(8192, 4096), -EINVAL);
	assert_int_equal(hv_chan_ring_size_check(16384, 4096), 0);
	assert_int_equal(hv_chan_ring_size_check(16384 + 8192, 4096), 0);
	assert_int_equal(hv_chan_ring_size_check(16384 + 4096, 4096), -EINVAL);
	assert_int_equal(hv_chan_ring_size_check(16384, 3000), -EINVAL);
	assert_int_equal(hv_chan_ring_size_check(16384, 2048), -EINVAL);
	assert_int_equal(hv_chan_ring_size_check(4u * 65536, 65536), 0);
	assert_int_equal(hv_chan_ring_size_check(2u * 65536, 65536), -EINVAL);
	assert_int_equal(hv_chan_ring_size_check(3ull << 33, 4096), -EINVAL);
	assert_int_equal(hv_chan_split(NULL, 16384, 4096, &g), -EINVAL);
	assert_int_equal(hv_chan_split(b, 8192, 4096, &g), -EINVAL);
}

static void
test_hv_chan_geom_doorbell_bits(void **state)
{
	static uint32_t page[HV_PAGE_SIZE / 4];
	static struct vmbus_monitor_page mp;
	uint32_t mask = 0, *w;

	(void)state;
	w = hv_chan_int_page_word(page, 0, &mask);
	assert_ptr_equal(w, &page[HV_PAGE_SIZE / 8]);
	assert_int_equal(mask, 1);
	w = hv_chan_int_page_word(page, 45, &mask);
	assert_ptr_equal(w, &page[HV_PAGE_SIZE / 8 + 1]);
	assert_int_equal(mask, 1u << 13);
	w = hv_chan_int_page_word(page, VMBUS_RELID_MAX - 1, &mask);
	assert_ptr_equal(w, &page[HV_PAGE_SIZE / 4 - 1]);
	assert_int_equal(mask, 1u << 31);
	assert_null(hv_chan_int_page_word(page, VMBUS_RELID_MAX, &mask));

	w = hv_chan_monitor_word(&mp, 0, &mask);
	assert_ptr_equal(w, &mp.trigger_group[0].pending);
	assert_int_equal(mask, 1);
	w = hv_chan_monitor_word(&mp, 70, &mask);
	assert_ptr_equal(w, &mp.trigger_group[2].pending);
	assert_int_equal(mask, 1u << 6);
	assert_null(hv_chan_monitor_word(&mp, 128, &mask));
	assert_ptr_equal(hv_chan_monitor_latency(&mp, 127), &mp.latency[3][31]);
	assert_null(hv_chan_monitor_latency(&mp, 0xff));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hv_chan_geom_split_4k_and_64k),
		cmocka_unit_test(test_hv_chan_geom_rejects),
		cmocka_unit_test(test_hv_chan_geom_doorbell_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
