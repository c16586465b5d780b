/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hv_guid.h"
#include "vmbus_wire.h"

/* The network class GUID in wire (mixed-endian) byte order. */
static const uint8_t netvsc_wire[16] = {
	0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46,
	0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e,
};

static int
parse_str(const char *s, struct hv_guid *g)
{
	return hv_guid_parse(s, strlen(s), g);
}

static void
test_hv_guid_parse_wire_order(void **state)
{
	struct hv_guid g;

	(void)state;
	assert_int_equal(parse_str(VMBUS_CLASS_NETWORK, &g), 0);
	assert_memory_equal(g.b, netvsc_wire, 16);
}

static void
test_hv_guid_parse_sysfs_forms(void **state)
{
	struct hv_guid a, b, c, d;

	(void)state;
	assert_int_equal(parse_str("{f8615163-df3e-46c5-913f-f2d2f965ed0e}\n", &a), 0);
	assert_int_equal(parse_str("f8615163-df3e-46c5-913f-f2d2f965ed0e\n", &b), 0);
	assert_int_equal(parse_str("{F8615163-DF3E-46C5-913F-F2D2F965ED0E}", &c), 0);
	assert_int_equal(parse_str("f8615163-df3e-46c5-913f-f2d2f965ed0e", &d), 0);
	assert_true(hv_guid_equal(&a, &b));
	assert_true(hv_guid_equal(&a, &c));
	assert_true(hv_guid_equal(&a, &d));
}

static void
test_hv_guid_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"{}",
		"f8615163-df3e-46c5-913f-f2d2f965ed0",      /* short */
		"f8615163-df3e-46c5-913f-f2d2f965ed0e0",    /* long */
		"f8615163xdf3e-46c5-913f-f2d2f965ed0e",     /* dash missing */
		"f8615163-df3e-46c5-913f-f2d2f965ed0g",     /* not hex */
		"{f8615163-df3e-46c5-913f-f2d2f965ed0e",    /* unbalanced */
		"f8615163-df3e-46c5-913f-f2d2f965ed0e}",
		"(f8615163-df3e-46c5-913f-f2d2f965ed0e)",
		" f8615163-df3e-46c5-913f-f2d2f965ed0e",    /* whitespace */
		"f8615163-df3e-46c5-913f-f2d2f965ed0e\n\n",
		"f8615163--df3e-46c5-913f-f2d2f965ed0",
	};
	struct hv_guid g;

	(void)state;
	memset(&g, 0xaa, sizeof(g));
	for (size_t i = 0; i < HV_ARRAY_SIZE(bad); i++)
		assert_int_equal(parse_str(bad[i], &g), -EINVAL);
	/* A failed parse leaves the output alone. */
	for (size_t i = 0; i < sizeof(g.b); i++)
		assert_int_equal(g.b[i], 0xaa);
	assert_int_equal(hv_guid_parse(NULL, 0, &g), -EINVAL);
}

static void
test_hv_guid_parse_respects_length(void **state)
{
	/* Only len bytes are looked at: a longer buffer must not matter. */
	const char *s = "f8615163-df3e-46c5-913f-f2d2f965ed0eXYZ";
	struct hv_guid g;

	(void)state;
	assert_int_equal(hv_guid_parse(s, 36, &g), 0);
	assert_int_equal(hv_guid_parse(s, 37, &g), -EINVAL);
}

static void
test_hv_guid_format_round_trip(void **state)
{
	char text[HV_GUID_STR_LEN];
	struct hv_guid g, back;

	(void)state;
	memcpy(g.b, netvsc_wire, sizeof(g.b));
	hv_guid_format(&g, text);
	assert_string_equal(text, VMBUS_CLASS_NETWORK);

	for (unsigned int i = 0; i < 16; i++)
		g.b[i] = (uint8_t)(i * 17 + 1);
	hv_guid_format(&g, text);
	assert_int_equal(parse_str(text, &back), 0);
	assert_true(hv_guid_equal(&g, &back));
}

static void
test_hv_guid_zero_and_equal(void **state)
{
	struct hv_guid a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_true(hv_guid_is_zero(&a));
	b = a;
	b.b[15] = 1;
	assert_false(hv_guid_is_zero(&b));
	assert_false(hv_guid_equal(&a, &b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hv_guid_parse_wire_order),
		cmocka_unit_test(test_hv_guid_parse_sysfs_forms),
		cmocka_unit_test(test_hv_guid_parse_rejects),
		cmocka_unit_test(test_hv_guid_parse_respects_length),
		cmocka_unit_test(test_hv_guid_format_round_trip),
		cmocka_unit_test(test_hv_guid_zero_and_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
