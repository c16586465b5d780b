/* SPDX-License-Identifier: BSD-3-Clause */
/* Toeplitz rows for a key (emu_toeplitz.h). */
#include "emu_toeplitz.h"

/* The key's 32 bits starting at bit pos (bit 0: the top bit of key[0]);
 * bits past the key are zero, as in ndis_toeplitz_hash. */
static uint32_t
key_window(const uint8_t *key, unsigned int pos)
{
	unsigned int byte = pos / 8u, shift = pos % 8u, i;
	uint64_t w = 0;

	/* Five bytes cover any 32 bits at a bit offset below 8. */
	for (i = 0; i < 5; i++)
		w = w << 8 | (byte + i < NDIS_RSS_KEY_SIZE ? key[byte + i] : 0u);
	return (uint32_t)(w >> (8u - shift));
}

void
emu_toeplitz_build(struct emu_toeplitz *tz, const uint8_t *key)
{
	uint32_t bitw[8];
	unsigned int i, b, v;

	for (i = 0; i < EMU_TOEPLITZ_IN_MAX; i++) {
		/* bitw[b]: what input bit b of byte i (value 1 << b) adds. */
		for (b = 0; b < 8; b++)
			bitw[b] = key_window(key, i * 8u + (7u - b));
		/* Each value is a smaller one (its lowest bit cleared) plus
		 * that bit's window. */
		tz->row[i][0] = 0;
		for (v = 1; v < 256; v++)
			tz->row[i][v] = tz->row[i][v & (v - 1u)] ^
					bitw[__builtin_ctz(v)];
	}
	memcpy(tz->key, key, NDIS_RSS_KEY_SIZE);
	tz->valid = true;
}
