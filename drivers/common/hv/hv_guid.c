/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "hv_guid.h"

/*
 * Text order of the 16 bytes. The first three groups are stored
 * little-endian on the wire, so text byte i lives at b[text_order[i]].
 */
static const uint8_t text_order[16] = {
	3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15,
};

/* Dash positions in the 36-character form. */
static bool
is_dash_pos(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

int
hv_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hv_guid_parse(const char *text, size_t len, struct hv_guid *out)
{
	struct hv_guid g;
	size_t i, nibble = 0;

	if (text == NULL || out == NULL)
		return -EINVAL;
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len == 38) {
		if (text[0] != '{' || text[37] != '}')
			return -EINVAL;
		text++;
		len -= 2;
	}
	if (len != 36)
		return -EINVAL;

	for (i = 0; i < 36; i++) {
		int v;

		if (is_dash_pos(i)) {
			if (text[i] != '-')
				return -EINVAL;
			continue;
		}
		v = hv_hex_digit(text[i]);
		if (v < 0)
			return -EINVAL;
		if (nibble % 2 == 0)
			g.b[text_order[nibble / 2]] = (uint8_t)(v << 4);
		else
			g.b[text_order[nibble / 2]] |= (uint8_t)v;
		nibble++;
	}
	*out = g;
	return 0;
}

void
hv_guid_format(const struct hv_guid *g, char buf[HV_GUID_STR_LEN])
{
	static const char digits[] = "0123456789abcdef";
	size_t i, pos = 0;

	for (i = 0; i < 16; i++) {
		uint8_t v = g->b[text_order[i]];

		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[pos++] = '-';
		buf[pos++] = digits[v >> 4];
		buf[pos++] = digits[v & 0xf];
	}
	buf[pos] = '\0';
}

bool
hv_guid_equal(const struct hv_guid *a, const struct hv_guid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

bool
hv_guid_is_zero(const struct hv_guid *g)
{
	static const struct hv_guid zero;

	return hv_guid_equal(g, &zero);
}
