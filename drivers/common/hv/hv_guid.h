/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GUIDs as VMBus uses them: class and instance ids of channels, written
 * in sysfs as "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" or without braces.
 *
 * The 16 bytes are kept in Microsoft's mixed-endian wire order (first
 * three groups little-endian), which is how offers carry them, so a GUID
 * parsed from sysfs compares equal to one taken from the wire.
 */
#ifndef HV_GUID_H
#define HV_GUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv_compiler.h"

struct hv_guid {
	uint8_t b[16];
};
HV_ASSERT_SIZE(struct hv_guid, 16);

/* 36 characters of text plus the terminator; braces not included. */
#define HV_GUID_STR_LEN 37

/*
 * Parse the canonical text form, with or without surrounding braces,
 * ignoring one trailing newline (sysfs files end in one). Hex digits may
 * be upper or lower case. Returns 0 or -EINVAL; nothing else is accepted,
 * not even whitespace, so a corrupt sysfs value is reported, not guessed.
 */
int hv_guid_parse(const char *text, size_t len, struct hv_guid *out);

/* Lower-case canonical text without braces into buf[HV_GUID_STR_LEN]. */
void hv_guid_format(const struct hv_guid *g, char buf[HV_GUID_STR_LEN]);

/* Value of one hexadecimal digit (either case), or -1. */
int hv_hex_digit(char c);

bool hv_guid_equal(const struct hv_guid *a, const struct hv_guid *b);
bool hv_guid_is_zero(const struct hv_guid *g);

#endif /* HV_GUID_H */
