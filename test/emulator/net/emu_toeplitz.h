/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RSS hash of the receive path by table: for a fixed key, Toeplitz
 * is linear over XOR in the input bits, so the hash of an input is the
 * XOR, over its bytes, of what each byte value at that position
 * contributes. One table row per input position (256 values) holds
 * those contributions: a 12-byte IPv4 TCP tuple costs 12 loads instead
 * of 96 bit steps (ndis_toeplitz_hash, the definition, which the unit
 * tests compare this with on random keys and inputs).
 *
 * The rows depend on the key only; emu_toeplitz_sync rebuilds them when
 * the key differs from the one they were built for (the receive path
 * calls it once per burst, so any writer of the key is followed).
 */
#ifndef EMU_TOEPLITZ_H
#define EMU_TOEPLITZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ndis_wire.h"

/* Longest hash input: IPv6 addresses and ports (emu_rss_input). */
#define EMU_TOEPLITZ_IN_MAX 36u

struct emu_toeplitz {
	bool valid;
	uint8_t key[NDIS_RSS_KEY_SIZE];  /* the key the rows are for */
	uint32_t row[EMU_TOEPLITZ_IN_MAX][256];
};

/* Build the rows for key (NDIS_RSS_KEY_SIZE bytes). */
void emu_toeplitz_build(struct emu_toeplitz *tz, const uint8_t *key);

/* The rows for key, rebuilt only when it changed. */
static inline void
emu_toeplitz_sync(struct emu_toeplitz *tz, const uint8_t *key)
{
	if (!tz->valid || memcmp(tz->key, key, NDIS_RSS_KEY_SIZE) != 0)
		emu_toeplitz_build(tz, key);
}

/* ndis_toeplitz_hash(key, NDIS_RSS_KEY_SIZE, in, n) for the key the rows
 * were built for; n at most EMU_TOEPLITZ_IN_MAX (callers' inputs are
 * emu_rss_input's). */
static inline uint32_t
emu_toeplitz_hash(const struct emu_toeplitz *tz, const uint8_t *in, size_t n)
{
	uint32_t h = 0;
	size_t i;

	if (n > EMU_TOEPLITZ_IN_MAX)
		n = EMU_TOEPLITZ_IN_MAX;
	for (i = 0; i < n; i++)
		h ^= tz->row[i][in[i]];
	return h;
}

/* emu_toeplitz_hash for a constant n: unrolled, a load and an XOR per
 * input byte. */
static inline __attribute__((always_inline)) uint32_t
emu_toeplitz_hash_n(const struct emu_toeplitz *tz, const uint8_t *in,
		    const size_t n)
{
	uint32_t h = 0;
	size_t i;

#pragma GCC unroll 36
	for (i = 0; i < n; i++)
		h ^= tz->row[i][in[i]];
	return h;
}

#endif /* EMU_TOEPLITZ_H */
