/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the emulator's RSS hash of a received frame, as its
 * receive path computes it (test/emulator/net/emu_rxpath.c, the RSS
 * run): the inline input of the common IPv4 frame (emu_rss_fast.h) must
 * agree with emu_rss_input (the full parse) whenever it takes a frame,
 * and the table hash (emu_toeplitz.h) with ndis_toeplitz_hash (the
 * definition). Input: 4 bytes of hash types, 40 of key, then the frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu_offload.h"
#include "emu_rss_fast.h"
#include "emu_toeplitz.h"
#include "ndis_obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct emu_toeplitz tz;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t a[EMU_TOEPLITZ_IN_MAX], b[EMU_TOEPLITZ_IN_MAX];
	struct emu_rss_v4_plan plan;
	uint32_t types, ta, tb;
	size_t na, nb, np;
	bool took;
	uint8_t *f;

	if (size < 4 + NDIS_RSS_KEY_SIZE)
		return 0;
	memcpy(&types, data, sizeof(types));
	types &= NDIS_HASH_TYPE_MASK;
	emu_toeplitz_sync(&tz, data + 4);
	size -= 4 + NDIS_RSS_KEY_SIZE;
	/* A copy of its own size: reads past the frame are caught. */
	f = malloc(size != 0 ? size : 1);
	if (f == NULL)
		return 0;
	memcpy(f, data + 4 + NDIS_RSS_KEY_SIZE, size);
	nb = emu_rss_input(f, size, types, b, &tb);
	if (nb > EMU_TOEPLITZ_IN_MAX)
		abort();
	emu_rss_v4_plan_make(&plan, types);
	took = emu_rss_v4_n(f, size, &plan, &np);
	if (emu_rss_input_v4(f, size, types, a, &na, &ta)) {
		if (na != nb || ta != tb || memcmp(a, b, na) != 0 ||
		    !took || np != nb)
			abort();
	} else if (took) {
		abort();
	}
	if (emu_toeplitz_hash(&tz, b, nb) !=
	    ndis_toeplitz_hash(data + 4, NDIS_RSS_KEY_SIZE, b, nb))
		abort();
	free(f);
	return 0;
}
