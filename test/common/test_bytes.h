/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unaligned little-endian field access for tests that check wire
 * encodings byte by byte or forge malformed messages.
 */
#ifndef TEST_BYTES_H
#define TEST_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t
get16(const void *b, size_t off)
{
	uint16_t v;

	memcpy(&v, (const uint8_t *)b + off, sizeof(v));
	return v;
}

static inline uint32_t
get32(const void *b, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)b + off, sizeof(v));
	return v;
}

static inline uint64_t
get64(const void *b, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)b + off, sizeof(v));
	return v;
}

static inline void
put16(void *b, size_t off, uint16_t v)
{
	memcpy((uint8_t *)b + off, &v, sizeof(v));
}

static inline void
put32(void *b, size_t off, uint32_t v)
{
	memcpy((uint8_t *)b + off, &v, sizeof(v));
}

static inline void
put64(void *b, size_t off, uint64_t v)
{
	memcpy((uint8_t *)b + off, &v, sizeof(v));
}

#endif /* TEST_BYTES_H */
