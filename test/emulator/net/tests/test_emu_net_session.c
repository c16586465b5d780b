/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core's session step function (hv_bringup) driving the emulated
 * host through the scripted guest's channel: bring-up against hosts of
 * every NVSP version from 6.1 down to 2 (the session must fall back one
 * exact version at a time), the results against what the host really
 * has, a SET, subchannels, and the teardown, without a single protocol
 * error on the host's side. The loop around the step function is the
 * test guest library's (tguest.h, through net_harness).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "hv_bringup.h"
#include "net_harness.h"

/* Run g->sess's op to its end; the action it ended with. */
static uint32_t
run(struct g *g)
{
	int rc = tg_session_run(&g->sess);

	/* A refused reply (a validator said no) fails here with its reason. */
	if (rc != 0 && rc != -EIO)
		fail_msg("session: %s", g->sess.why);
	return g->sess.out.action;
}

static void
bring_up_against(uint32_t host_version)
{
	const struct ng_opts opts = { .max_version = host_version };
	const struct hv_bringup_result *r;
	struct hv_bringup_cfg cfg;
	struct hv_bringup *b;
	uint32_t filter = RNDIS_PACKET_TYPE_DIRECTED;
	void *state;
	struct g *g;

	assert_int_equal(ng_setup(&state, &opts), 0);
	g = state;
	b = &g->sess.b;
	ng_session_cfg(g, &cfg);
	assert_int_equal(hv_bringup_start(b, &cfg), 0);
	assert_int_equal(run(g), HV_BU_DONE);
	r = hv_bringup_result(b);
	assert_int_equal(r->nvsp_version, host_version);
	assert_int_equal(g->nic->version, host_version);
	assert_int_equal(r->ndis_version, nvsp_ndis_version(host_version));
	assert_memory_equal(r->mac, emu_dev_mac(g->dev), 6);
	assert_int_equal(r->send_section_size, NG_SECTION);
	assert_true(r->recv_section_size >= 1514);
	assert_true(r->recv_section_count > 16);
	assert_true(r->rndis_pkt_align >= 4);
	assert_true(r->valid & HV_BU_HAVE_LINK);
	assert_true(r->link_up);
	assert_true(r->valid & HV_BU_HAVE_OFFLOAD);
	assert_int_equal((r->valid & HV_BU_HAVE_RSS) != 0,
			 host_version >= NVSP_VERSION_5);
	assert_int_equal(hv_xact_rejected(&b->xact, HV_XACT_REJ_UNKNOWN) +
			 hv_xact_rejected(&b->xact, HV_XACT_REJ_DUPLICATE) +
			 hv_xact_rejected(&b->xact, HV_XACT_REJ_LATE), 0);

	assert_int_equal(hv_bringup_rndis_set(b,
			 RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4), 0);
	assert_int_equal(run(g), HV_BU_DONE);
	assert_int_equal(r->set_status, RNDIS_STATUS_SUCCESS);
	assert_int_equal(g->nic->filter, filter);

	if (host_version >= NVSP_VERSION_5) {
		assert_int_equal(hv_bringup_subchannels(b, 3), 0);
		assert_int_equal(run(g), HV_BU_DONE);
		assert_true(r->num_subchannels >= 1 && r->num_subchannels <= 3);
	}

	assert_int_equal(hv_bringup_teardown(b), 0);
	assert_int_equal(run(g), HV_BU_DONE);
	assert_int_equal(b->state, HV_BU_S_CLOSED);
	assert_int_equal(ng_protocol_errors(g), 0);
	ng_teardown(&state);
}

static void
test_emu_net_session_every_host_version(void **state)
{
	(void)state;
	/* 6.1 down to 2: the hosts a session must be able to talk to. */
	for (unsigned int i = 0; i + 1 < NVSP_VERSION_COUNT; i++)
		bring_up_against(nvsp_versions[i]);
}

/* A host refusing everything the session offers: a clean error. */
static void
test_emu_net_session_version_too_old(void **state)
{
	const struct ng_opts opts = { .max_version = NVSP_VERSION_1 };
	struct hv_bringup_cfg cfg;
	void *st;
	struct g *g;

	(void)state;
	assert_int_equal(ng_setup(&st, &opts), 0);
	g = st;
	ng_session_cfg(g, &cfg);
	assert_int_equal(tg_bring_up(&g->sess, &cfg), -EIO);
	assert_int_equal(g->sess.out.error, HV_BU_ERR_NO_VERSION);
	assert_int_equal(g->sess.b.stats.refused, 5);
	ng_teardown(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_net_session_every_host_version),
		cmocka_unit_test(test_emu_net_session_version_too_old),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
