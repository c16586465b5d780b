/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: every RNDIS control-message parser, guest and host side,
 * on the same input. Any slice a parser returns is read in full so the
 * sanitizers catch a slice that escapes the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rndis_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t
touch(const void *p, uint32_t off, uint32_t len, size_t size)
{
	const uint8_t *b = p;
	uint8_t x = 0;

	if (p == NULL)
		return 0;
	if ((uint64_t)off + len > size)
		abort();
	for (uint32_t i = 0; i < len; i++)
		x ^= b[i];
	return x;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rndis_peek pk;
	struct rndis_init_info init;
	struct rndis_query_result q;
	struct rndis_cmplt_result c;
	struct rndis_status_ind s;
	struct rndis_ctl_req r;
	volatile uint8_t sink = 0;
	uint32_t speed;

	if (rndis_msg_peek(data, size, &pk) == 0 && pk.msg_len > size)
		abort();
	if (rndis_init_cmplt_parse(data, size, &init) == 0)
		sink ^= (uint8_t)rndis_init_pkt_align(&init);
	if (rndis_query_cmplt_parse(data, size, &q) == 0)
		sink ^= touch(q.info, q.info_off, q.info_len, size);
	(void)rndis_set_cmplt_parse(data, size, &c);
	(void)rndis_keepalive_cmplt_parse(data, size, &c);
	(void)rndis_reset_cmplt_parse(data, size, &c);
	if (rndis_indicate_status_parse(data, size, &s) == 0) {
		sink ^= touch(s.buf, s.buf_off, s.buf_len, size);
		if (rndis_status_link_speed(&s, &speed) == 0)
			sink ^= (uint8_t)speed;
	}
	if (rndis_ctl_req_parse(data, size, &r) == 0) {
		if (r.rid == 0 || r.msg_len > size)
			abort();
		/* The info buffer lies inside the message it reports. */
		sink ^= touch(r.info, r.info_off, r.info_len, r.msg_len);
	}
	(void)sink;
	return 0;
}
