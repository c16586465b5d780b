/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for vmbus_pkt: the input is a packet as copied out of a
 * ring. Every successful parse is walked completely (payload bytes, GPA
 * ranges and their PFNs, transfer-page ranges and their bounds) so that
 * the sanitizers see any read the parser's checks should have prevented,
 * and the parser's promises are checked with abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vmbus_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void
walk_gpa(const struct vmbus_pkt_info *info)
{
	struct vmbus_pkt_gpa_iter it;
	struct vmbus_pkt_gpa_view v;
	uint32_t n = 0;

	vmbus_pkt_gpa_iter_init(&it, info);
	while (vmbus_pkt_gpa_iter_next(&it, &v) == 0) {
		if (v.byte_offset >= HV_PAGE_SIZE || v.byte_count == 0 ||
		    v.pfn_count == 0)
			abort();
		for (uint32_t i = 0; i < v.pfn_count; i++)
			sink += vmbus_pkt_gpa_pfn(&v, i);
		n++;
	}
	/* A parsed GPA packet's ranges must all be walkable. */
	if (info->type == VMBUS_PKT_DATA_GPA_DIRECT && n != info->range_count)
		abort();
}

static void
walk_xfer(const struct vmbus_pkt_info *info)
{
	/* Receive buffer sizes around the interesting edges. */
	static const uint32_t buf_sizes[] = { 0, 4096, 16u << 20, UINT32_MAX };
	struct vmbus_xfer_page_range r;

	for (uint32_t i = 0; i < info->range_count; i++) {
		if (vmbus_pkt_xfer_range(info, i, &r) != 0) {
			if (info->type == VMBUS_PKT_DATA_XFER_PAGES)
				abort();
			return;
		}
		for (size_t k = 0; k < HV_ARRAY_SIZE(buf_sizes); k++) {
			if (vmbus_pkt_xfer_range_check(&r, buf_sizes[k]) == 0 &&
			    (uint64_t)r.byte_offset + r.byte_count >
				    buf_sizes[k])
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmbus_pkt_info info;
	const uint8_t *p;

	if (vmbus_pkt_parse(data, size, &info) != 0)
		return 0;
	if (info.hdr_len > info.pkt_len || info.pkt_len > size ||
	    info.hdr_len + info.payload_len != info.pkt_len)
		abort();
	p = info.payload;
	for (uint32_t i = 0; i < info.payload_len; i++)
		sink += p[i];
	walk_gpa(&info);
	walk_xfer(&info);
	return 0;
}
