/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Channel geometry (see hv_chan_geom.h).
 */
#include <errno.h>
#include <string.h>

#include "hv_atomic.h"
#include "hv_chan_geom.h"
#include "vmbus_ring.h"

int
hv_chan_ring_size_check(uint64_t size, size_t page_size)
{
	uint64_t half = size / 2;

	if (page_size < HV_PAGE_SIZE || (page_size & (page_size - 1)) != 0)
		return -EINVAL;
	if (size == 0 || size % 2 != 0 || half % HV_PAGE_SIZE != 0 ||
	    half % page_size != 0 || half <= page_size)
		return -EINVAL;
	/* Ring indices are 32-bit: a data area must fit. */
	if (half - page_size > UINT32_MAX)
		return -EINVAL;
	return 0;
}

int
hv_chan_split(void *base, size_t size, size_t page_size,
	      struct hv_chan_geom *g)
{
	uint8_t *b = base;
	size_t half = size / 2;

	if (base == NULL || g == NULL ||
	    hv_chan_ring_size_check(size, page_size) != 0)
		return -EINVAL;
	g->tx_hdr = (struct vmbus_ring_hdr *)(void *)b;
	g->tx_data = b + page_size;
	g->rx_hdr = (struct vmbus_ring_hdr *)(void *)(b + half);
	g->rx_data = b + half + page_size;
	g->data_size = (uint32_t)(half - page_size);
	g->page_size = page_size;
	return 0;
}

void
hv_chan_reset_headers(const struct hv_chan_geom *g, bool mask_inbound)
{
	/* The whole header page: on 64 KiB pages the gap is ours too. */
	memset(g->tx_hdr, 0, g->page_size);
	memset(g->rx_hdr, 0, g->page_size);
	vmbus_ring_hdr_reset(g->tx_hdr);
	vmbus_ring_hdr_reset(g->rx_hdr);
	g->rx_hdr->interrupt_mask = mask_inbound ? 1u : 0u;
	/* Visible before the channel is handed to the other party. */
	hv_fence_full();
}
