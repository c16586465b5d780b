/* SPDX-License-Identifier: BSD-3-Clause */
/* The test programs (mp.c, tso.c) read the PMD's own counters by name. */
#ifndef NV_XSTAT_H
#define NV_XSTAT_H

#include <stdint.h>
#include <rte_ethdev.h>

/* xstat NAME of PORT as this process reads it; UINT64_MAX if absent. */
static inline uint64_t
nv_xstat(uint16_t port, const char *name)
{
	uint64_t id, v;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0 ||
	    rte_eth_xstats_get_by_id(port, &id, &v, 1) != 1)
		return UINT64_MAX;
	return v;
}

#endif
