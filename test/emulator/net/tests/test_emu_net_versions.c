/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every NVSP version a guest may negotiate (1, 2, 4, 5, 6, 6.1), each on
 * a fresh host: the guest's set-up sequence for that version, RNDIS
 * init, one frame out through the send buffer and one frame in, with no
 * protocol error. Version 1 has no NDIS_CONFIG (it arrived with 2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "net_harness.h"

static void
bring_up_at(struct g *g, uint32_t version)
{
	uint8_t m[40];

	ng_nvsp_init(g, version, NVSP_STATUS_SUCCESS);
	if (version >= NVSP_VERSION_2) {
		ng_nvsp_config(g, NVSP_NDIS_CAP_IEEE8021Q);
	} else {
		assert_int_equal(nvsp_build_ndis_version(m, sizeof(m),
							 nvsp_ndis_version(version)), 40);
		ng_send_inband(g, 0, m, sizeof(m), 0, false);
	}
	assert_int_equal(ng_nvsp_recv_buf(g, emu_dev_gpadl(g->dev, HV_UIO_MAP_RECV_BUF)),
			 NVSP_STATUS_SUCCESS);
	ng_nvsp_send_buf(g);
	ng_rndis_init(g);
	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED);
}

/* One 60-byte frame through send-buffer section 0. */
static void
send_one(struct g *g)
{
	struct rndis_pkt_meta meta = { 0 };
	uint8_t frame[60], m[40];
	int off;

	memset(frame, 0x5a, sizeof(frame));
	memcpy(frame, "\x02\x00\x00\x00\x00\x09", 6);
	off = rndis_pkt_encode(g->sendbuf, NG_SECTION, &meta, sizeof(frame), 0);
	assert_true(off > 0);
	memcpy(g->sendbuf + off, frame, sizeof(frame));
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA, 0,
					      (uint32_t)off + sizeof(frame)), 40);
	ng_send_inband(g, 0, m, sizeof(m), 0x77, true);
	assert_int_equal(ng_expect_tx_comp(g, 0, 0x77), NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 1);
	assert_int_equal(g->cap.len[0], sizeof(frame));
	assert_memory_equal(g->cap.f[0], frame, sizeof(frame));
}

/* One frame in, read and ACKed by the guest. */
static void
receive_one(struct g *g)
{
	struct rndis_pkt_info pk;
	uint8_t frame[80];
	uint32_t n;

	memset(frame, 0xa5, sizeof(frame));
	memcpy(frame, emu_dev_mac(g->dev), 6);
	assert_int_equal(emu_nic_rx(g->nic, frame, sizeof(frame)), 0);
	n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_DATA);
	assert_int_equal(rndis_pkt_parse(g->msg, n, &pk), 0);
	assert_int_equal(pk.data_len, sizeof(frame));
	assert_memory_equal(g->msg + pk.data_off, frame, sizeof(frame));
}

static void
run_version(uint32_t version)
{
	void *state;
	struct g *g;

	ng_setup_default(&state);
	g = state;
	bring_up_at(g, version);
	assert_int_equal(g->nic->version, version);
	send_one(g);
	receive_one(g);
	assert_int_equal(ng_protocol_errors(g), 0);
	ng_teardown(&state);
}

static void
test_emu_net_every_version(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < NVSP_VERSION_COUNT; i++)
		run_version(nvsp_versions[i]);
}

/* NDIS_CONFIG is a version 2 message: a version 1 guest sending it errs. */
static void
test_emu_net_v1_rejects_ndis_config(void **state)
{
	void *st;
	struct g *g;

	(void)state;
	ng_setup_default(&st);
	g = st;
	ng_nvsp_init(g, NVSP_VERSION_1, NVSP_STATUS_SUCCESS);
	ng_nvsp_config(g, 0);
	ng_pump(g);
	assert_int_equal(ng_protocol_errors(g), 1);
	assert_true(ng_logged(g, "NDIS_CONFIG"));
	ng_teardown(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_net_every_version),
		cmocka_unit_test(test_emu_net_v1_rejects_ndis_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
