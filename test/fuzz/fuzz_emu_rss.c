/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the emulator's RSS hash of a received frame, as its
 * receive path computes it (test/emulator/net/emu_rxrss.c, the RSS
 * run): the inline input of the common IPv4 frame (emu_rss_fast.h) must
 * agree with emu_rss_input (the full parse) whenever it takes a frame,
 * and the table hash (emu_toeplitz.h) with ndis_toeplitz_hash (the
 * definition). The run's memo (emu_rss_memo.h) shares an answer between
 * frames whose compared bytes are equal: a copy of the frame with every
 * other byte and bit changed must get the same input length and input
 * from emu_rss_v4_n, and the memo must name it. A frame the summed
 * run's UDP check takes (emu_cs_udp0_run_ok) is remembered by its input
 * alone (emu_rss_memo_u0): it must be summed IP_OK | UDP_OK, taken by
 * emu_rss_v4_n with the UDP types' input length, and found by exactly
 * its bytes 26..37.
 * Input: 4 bytes of hash types, 40 of key, then the frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu_offload.h"
#include "emu_rss_fast.h"
#include "emu_rss_memo.h"
#include "emu_toeplitz.h"
#include "ndis_obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct emu_toeplitz tz;
static struct emu_rss_memo memo;

/*
 * f (size bytes, emu_rss_v4_n took it with input length np) remembered
 * under a queue; a copy with every byte and bit the memo does not
 * compare flipped must be taken with the same length and input, and be
 * found in the memo.
 */
static void
memo_check(const uint8_t *f, size_t size, const struct emu_rss_v4_plan *plan,
	   size_t np)
{
	/* The compared bits of bytes 12..23 (EMU_RSS_REF_LO_MASK over
	 * 12..19, EMU_CS_FRAG_PROTO_MASK over 20..23) and all of 26..37. */
	uint64_t lo_mask = EMU_RSS_REF_LO_MASK;
	uint32_t fp_mask = EMU_CS_FRAG_PROTO_MASK, in1;
	uint8_t keep[EMU_RSS_MEMO_MIN_LEN], qmap[1] = { 0 };
	unsigned int qi = ~0u;
	size_t i, n2;
	uint8_t *g;

	if (size < EMU_RSS_MEMO_MIN_LEN)
		return;
	memset(keep, 0, sizeof(keep));
	memcpy(keep + 12, &lo_mask, sizeof(lo_mask));
	memcpy(keep + 20, &fp_mask, sizeof(fp_mask));
	memset(keep + 26, 0xff, 12);
	g = malloc(size);
	if (g == NULL)
		return;
	for (i = 0; i < size; i++)
		g[i] = (uint8_t)(f[i] ^ ~(i < sizeof(keep) ? keep[i] : 0u));
	memo.valid = false;
	if (!emu_rss_memo_sync(&memo, size, 0, 0, tz.key, qmap))
		abort();
	emu_rss_memo_put(&memo, f, 5u);
	if (!emu_rss_memo_get(&memo, g, &qi) || qi != 5u)
		abort();
	if (!emu_rss_v4_n(g, size, plan, &n2) || n2 != np ||
	    memcmp(f + EMU_RSS_V4_IN_OFF, g + EMU_RSS_V4_IN_OFF, np) != 0)
		abort();
	/* Any compared byte changed: not found. */
	memcpy(&in1, g + 34, sizeof(in1));
	in1 ^= 1u;
	memcpy(g + 34, &in1, sizeof(in1));
	if (emu_rss_memo_get(&memo, g, &qi))
		abort();
	free(g);
}

/* f (size bytes): if the summed run's UDP check takes it, the premises
 * of emu_rss_memo_u0 (took, np: emu_rss_v4_n's answer). */
static void
u0_check(const uint8_t *f, size_t size, const struct emu_rss_v4_plan *plan,
	 bool took, size_t np)
{
	struct emu_cs_udp0_run r;
	uint8_t qmap[1] = { 0 };
	unsigned int qi = ~0u;
	uint32_t cs = 0;
	uint8_t *g;

	if (size < 42 || !emu_csum_v4_len_ok(size))
		return;
	emu_cs_udp0_run_init(&r, size);
	if (!emu_cs_udp0_run_ok(&r, f))
		return;
	if (!emu_csum_verify_v4_sized(f, size, &cs) ||
	    cs != (RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK) || !took ||
	    np != plan->n_udp)
		abort();
	memo.valid = false;
	if (!emu_rss_memo_sync(&memo, size, 0, 0, tz.key, qmap))
		abort();
	emu_rss_memo_u0_put(&memo, f, 3u);
	if (!emu_rss_memo_u0_get(&memo, f, &qi) || qi != 3u)
		abort();
	/* Another port (byte 37): not found. */
	g = malloc(size);
	if (g == NULL)
		return;
	memcpy(g, f, size);
	g[37] ^= 1u;
	if (emu_rss_memo_u0_get(&memo, g, &qi))
		abort();
	free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t a[EMU_TOEPLITZ_IN_MAX], b[EMU_TOEPLITZ_IN_MAX];
	struct emu_rss_v4_plan plan;
	uint32_t types, ta, tb;
	size_t na, nb, np = 0;
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
	if (took)
		memo_check(f, size, &plan, np);
	u0_check(f, size, &plan, took, np);
	if (emu_toeplitz_hash(&tz, b, nb) !=
	    ndis_toeplitz_hash(data + 4, NDIS_RSS_KEY_SIZE, b, nb))
		abort();
	free(f);
	return 0;
}
