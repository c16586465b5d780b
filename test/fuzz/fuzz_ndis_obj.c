/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: every NDIS object parser on the same input, plus the
 * Toeplitz hash with the input as key and as data.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndis_obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_QUEUES 8u
#define FUZZ_TABLE_CAP 512u

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndis_offload_params op;
	struct ndis_offload off;
	struct ndis_rss_caps_info caps;
	struct ndis_rss_params_info rss;
	struct rndis_config_param_info cp;
	uint32_t table[FUZZ_TABLE_CAP];
	volatile uint32_t sink = 0;

	(void)ndis_offload_params_parse(data, size, &op);
	if (ndis_offload_parse(data, size, &off) == 0)
		sink ^= off.lsov2.ip4_maxsz;
	(void)ndis_rss_caps_parse(data, size, &caps);
	if (ndis_rss_params_parse(data, size, FUZZ_MAX_QUEUES, table,
				  FUZZ_TABLE_CAP, &rss) == 0 && rss.enabled) {
		if (rss.table_entries == 0 || rss.table_entries > FUZZ_TABLE_CAP)
			abort();
		for (uint32_t i = 0; i < rss.table_entries; i++)
			if (table[i] >= FUZZ_MAX_QUEUES)
				abort();
	}
	if (rndis_config_param_parse(data, size, &cp) == 0) {
		if (strlen(cp.name) == 0 ||
		    strlen(cp.name) > RNDIS_CONFIG_PARAM_MAX_CHARS ||
		    strlen(cp.value) > RNDIS_CONFIG_PARAM_MAX_CHARS)
			abort();
	}
	sink ^= ndis_toeplitz_hash(data, size, data, size > 36 ? 36 : size);
	(void)sink;
	return 0;
}
