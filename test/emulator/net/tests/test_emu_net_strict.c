/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host is as strict as Azure's (docs/emulator.md, "Strictness"):
 * exact NVSP INIT, fatal RESET / second INIT / duplicate setup / buffer
 * revoke, no link indication after RNDIS INIT, TASK_OFFLOAD after an
 * offload SET, coalesced link flaps, late subchannel offers with the
 * indirection table after them; each leniency option restores the old
 * behaviour. A planted guest bug (subchannels assumed open when the
 * completion arrives) fails with -ENOENT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net_harness.h"

/* Hang guard of the loops that wait for the host's timers. */
#define WAIT_NS (10ull * 1000000000u)

static int
setup_with(void **state, uint32_t version, uint32_t lenient)
{
	const struct ng_opts o = { .max_version = version, .lenient = lenient };

	return ng_setup(state, &o);
}

static int setup_strict(void **s) { return setup_with(s, NVSP_VERSION_61, 0); }
static int setup_init_range(void **s)
{ return setup_with(s, NVSP_VERSION_61, EMU_LENIENT_INIT_RANGE); }
static int setup_reset(void **s)
{ return setup_with(s, NVSP_VERSION_61, EMU_LENIENT_RESET); }
static int setup_link_at_init(void **s)
{ return setup_with(s, NVSP_VERSION_61, EMU_LENIENT_LINK_AT_INIT); }

static int
setup_late_subch(void **state)
{
	/* Long enough never to expire in a test: wait_channels ends it. */
	const struct ng_opts o = { .max_version = NVSP_VERSION_61,
				   .subch_delay_ms = 60000 };

	return ng_setup(state, &o);
}

static int setup_early(void **s)
{ return setup_with(s, NVSP_VERSION_61, EMU_LENIENT_EARLY_SUBCH); }

static int
setup_grant2(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61,
				   .subch_grant_max = 2 };

	return ng_setup(state, &o);
}

static int
setup_v6_quirk(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_6,
				   .txtbl_offset_quirk = true };

	return ng_setup(state, &o);
}

static int
setup_v5_short(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_5,
				   .resp_size_pre61 = NVSP_RESP_SIZE_V1 };

	return ng_setup(state, &o);
}

static int setup_v5(void **s) { return setup_with(s, NVSP_VERSION_5, 0); }

static uint64_t
stops(const struct g *g)
{
	struct emu_nic_stats st;

	emu_nic_stats(g->nic, &st);
	return st.channel_stops;
}

/* A stopped host answers nothing, not even a keepalive. */
static void
assert_stopped(struct g *g, const char *why)
{
	struct vmbus_pkt_info pi;
	uint8_t req[64];

	assert_int_equal(stops(g), 1);
	assert_true(ng_logged(g, why));
	assert_true(g->nic->q[0]->broken);
	ng_rndis_send(g, req, rndis_keepalive_req_build(req, sizeof(req), 77));
	ng_pump(g);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
}

static void
send_init_range(struct g *g, uint32_t min, uint32_t max, uint64_t id,
		struct nvsp_init_info *ii, int expect_rc)
{
	struct nvsp_init m = { .type = NVSP_MSG_TYPE_INIT, .min_version = min,
			       .max_version = max };
	struct vmbus_pkt_info pi;

	ng_send_inband(g, 0, &m, sizeof(m), id, true);
	ng_expect_comp(g, 0, id, &pi);
	assert_int_equal(nvsp_parse_init_complete(pi.payload, pi.payload_len, ii),
			 expect_rc);
}

/* ---- NVSP INIT ---- */

static void
test_init_exact_version(void **state)
{
	struct g *g = *state;
	struct nvsp_init_info ii;

	/* Not a version at all: refused with status NONE, no violation. */
	send_init_range(g, 0x30000, NVSP_VERSION_61, 1, &ii, -ENOTSUP);
	assert_int_equal(ii.status, NVSP_STATUS_NONE);
	/* Azure takes exactly the minimum, not the best of the range. */
	send_init_range(g, NVSP_VERSION_5, NVSP_VERSION_61, 2, &ii, 0);
	assert_int_equal(g->nic->version, NVSP_VERSION_5);
	assert_int_equal(ng_protocol_errors(g), 0);
	assert_int_equal(stops(g), 0);
}

static void
test_init_range_lenient(void **state)
{
	struct g *g = *state;
	struct nvsp_init_info ii;

	send_init_range(g, NVSP_VERSION_5, NVSP_VERSION_61, 2, &ii, 0);
	assert_int_equal(g->nic->version, NVSP_VERSION_61);
}

static void
test_second_init_stops(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	ng_bring_up(g);
	assert_int_equal(nvsp_build_init(m, sizeof(m), NVSP_VERSION_61), 40);
	ng_send_inband(g, 0, m, sizeof(m), 3, true);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_stopped(g, "channel stopped: NVSP INIT: a second INIT");
}

/* ---- Duplicates, revokes, RESET, RNDIS re-INIT ---- */

static void
test_duplicate_version_stops(void **state)
{
	struct g *g = *state;
	uint8_t m[40];

	ng_bring_up(g);
	assert_int_equal(nvsp_build_ndis_version(m, sizeof(m),
						 nvsp_ndis_version(g->version)), 40);
	ng_send_inband(g, 0, m, sizeof(m), 0, false);
	assert_stopped(g, "channel stopped: NVSP SEND_NDIS_VERSION: duplicate");
}

static void
test_duplicate_send_buf_stops(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	ng_bring_up(g);
	assert_int_equal(nvsp_build_send_send_buf(m, sizeof(m),
			 emu_dev_gpadl(g->dev, HV_UIO_MAP_SEND_BUF),
			 NVSP_SEND_BUF_ID), 40);
	ng_send_inband(g, 0, m, sizeof(m), 8, true);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_stopped(g, "channel stopped: NVSP SEND_SEND_BUF: duplicate");
}

static void
test_revoke_stops(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	ng_bring_up(g);
	assert_int_equal(nvsp_build_revoke_send_buf(m, sizeof(m), NVSP_SEND_BUF_ID), 40);
	ng_send_inband(g, 0, m, sizeof(m), 60, true);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_stopped(g, "channel stopped: NVSP REVOKE_SEND_BUF (id 0xface): buffer revoked");
}

static void
test_reset_stops(void **state)
{
	struct g *g = *state;
	uint8_t req[64];

	ng_bring_up(g);
	ng_rndis_send(g, req, rndis_reset_req_build(req, sizeof(req)));
	assert_stopped(g, "channel stopped: RNDIS RESET");
}

static void
test_reset_lenient(void **state)
{
	struct g *g = *state;
	struct rndis_cmplt_result cr;
	uint8_t req[64];
	uint32_t n;

	ng_bring_up(g);
	ng_rndis_send(g, req, rndis_reset_req_build(req, sizeof(req)));
	n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	assert_int_equal(rndis_reset_cmplt_parse(g->msg, n, &cr), 0);
	assert_int_equal(stops(g), 0);
	assert_true(ng_logged(g, "lenient, channel kept: RNDIS RESET"));
}

static void
test_rndis_reinit_stops(void **state)
{
	struct g *g = *state;
	uint8_t req[64];

	ng_bring_up(g);
	ng_rndis_send(g, req, rndis_init_req_build(req, sizeof(req), 9,
						   RNDIS_MAX_XFER_SIZE_DEFAULT));
	assert_stopped(g, "channel stopped: RNDIS INITIALIZE rid 9: device already initialised");
}

/* ---- Indications ---- */

static void
test_no_link_after_init(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint32_t v = 0;

	/* By hand: the session's queries would hide an indication. */
	ng_bring_up_by_hand(g, NVSP_VERSION_61, NVSP_NDIS_CAP_IEEE8021Q);
	ng_pump(g);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	/* The guest learns the link from the query. */
	assert_int_equal(ng_rndis_query(g, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, &v, 4), 4);
	assert_int_equal(v, RNDIS_MEDIA_STATE_CONNECTED);
}

static void
test_link_at_init_lenient(void **state)
{
	struct g *g = *state;

	/* By hand: the session's queries would take the indication. */
	ng_bring_up_by_hand(g, NVSP_VERSION_61, NVSP_NDIS_CAP_IEEE8021Q);
	ng_expect_indication(g, RNDIS_STATUS_MEDIA_CONNECT);
}

static void
test_task_offload_after_set(void **state)
{
	struct g *g = *state;
	struct ndis_offload_params p;
	struct rndis_status_ind ind;
	struct ndis_offload o;
	static uint8_t big[1024];
	uint8_t obj[128];
	uint32_t n;
	int len;

	ng_bring_up(g);
	memset(&p, 0, sizeof(p));
	p.tcp4csum = NDIS_OFFLOAD_PARAM_TXRX;
	len = ndis_offload_params_build(obj, sizeof(obj), &p, 2);
	assert_true(len > 0);
	assert_int_equal(ng_rndis_set(g, RNDIS_OID_TCP_OFFLOAD_PARAMETERS, obj,
				      (uint32_t)len), RNDIS_STATUS_SUCCESS);
	n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	assert_int_equal(rndis_indicate_status_parse(g->msg, n, &ind), 0);
	assert_int_equal(ind.status, RNDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG);
	assert_int_equal(ndis_offload_parse(ind.buf, ind.buf_len, &o), 0);
	assert_true(o.csum.ip4_txcsum & NDIS_CSUM_CAP_TCP4);
	/* The offloads in force: UDP over IPv4 off, the rest unchanged. */
	memset(&p, 0, sizeof(p));
	p.udp4csum = NDIS_OFFLOAD_PARAM_OFF;
	len = ndis_offload_params_build(obj, sizeof(obj), &p, 2);
	assert_int_equal(ng_rndis_set(g, RNDIS_OID_TCP_OFFLOAD_PARAMETERS, obj,
				      (uint32_t)len), RNDIS_STATUS_SUCCESS);
	n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	assert_int_equal(rndis_indicate_status_parse(g->msg, n, &ind), 0);
	assert_int_equal(ndis_offload_parse(ind.buf, ind.buf_len, &o), 0);
	assert_false(o.csum.ip4_txcsum & NDIS_CSUM_CAP_UDP4);
	assert_false(o.csum.ip4_rxcsum & NDIS_CSUM_CAP_UDP4);
	assert_true(o.csum.ip4_txcsum & NDIS_CSUM_CAP_TCP4);
	assert_true(o.csum.ip6_txcsum & NDIS_CSUM_CAP_UDP6);
	/* The hardware's capabilities do not change. */
	n = ng_rndis_query(g, RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, big,
			   sizeof(big));
	assert_int_equal(ndis_offload_parse(big, n, &o), 0);
	assert_true(o.csum.ip4_txcsum & NDIS_CSUM_CAP_UDP4);
}

static void
test_link_flaps_coalesced(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;

	ng_bring_up(g);
	/* Three changes before the host looks: only the last state. */
	emu_nic_set_link(g->nic, false);
	emu_nic_set_link(g->nic, true);
	emu_nic_set_link(g->nic, false);
	ng_pump(g);
	ng_expect_indication(g, RNDIS_STATUS_MEDIA_DISCONNECT);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	/* A flap the guest missed (down, up): shown as down at once... */
	emu_nic_set_link(g->nic, true);
	emu_nic_set_link(g->nic, false);
	ng_pump(g);
	ng_expect_indication(g, RNDIS_STATUS_MEDIA_CONNECT);
	ng_pump(g);
	/* ...and the final state only after the 5 s window. */
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_int_equal(g->nic->link_pending, EMU_LINK_DELAY);
	g->nic->link_due_ns = 0; /* end the window now */
	ng_pump(g);
	ng_expect_indication(g, RNDIS_STATUS_MEDIA_DISCONNECT);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
}

/* ---- Subchannels ---- */

static void
request_subchannels(struct g *g, uint32_t n, uint32_t expect_granted)
{
	struct nvsp_subchannel_info si;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(nvsp_build_subchannel_req(m, sizeof(m), n), 40);
	ng_send_inband(g, 0, m, sizeof(m), 9, true);
	ng_expect_comp(g, 0, 9, &pi);
	assert_int_equal(nvsp_parse_subchannel_resp(pi.payload, pi.payload_len, n,
						    &si), 0);
	assert_int_equal(si.num_subchannels, expect_granted);
}

/*
 * The planted bug: a guest that opens its subchannels the moment the
 * completion arrives. It finds no channels/<relid>/ directory.
 */
static int
naive_open_subchannels(struct g *g, uint32_t n)
{
	uint32_t relid = emu_chan_relid(emu_dev_primary(g->dev));
	char path[PATH_MAX];
	uint32_t i;

	for (i = 1; i <= n; i++) {
		snprintf(path, sizeof(path), "%s/sys/bus/vmbus/devices/%s/channels/%u/ring",
			 emu_host_root(g->h), emu_dev_guid(g->dev), relid + i);
		if (access(path, F_OK) != 0)
			return -ENOENT;
	}
	return 0;
}

/* The patient guest: wait for the offers (hang guard only). A test host
 * with a long delay has it cut short here (white-box). */
static void
wait_channels(struct g *g, unsigned int nchan)
{
	uint64_t deadline = emu_net_now_ns() + WAIT_NS;

	if (g->nic->subch_offer_pending)
		g->nic->subch_due_ns = 0;

	while (emu_nic_nchan(g->nic) < nchan && emu_net_now_ns() < deadline)
		assert_int_equal(emu_loop_run_once(emu_host_loop(g->h), 5), 0);
	assert_int_equal(emu_nic_nchan(g->nic), nchan);
}

static void
expect_table(struct g *g, uint32_t nchan, uint32_t field, uint32_t len)
{
	struct nvsp_indirection_info it;
	struct vmbus_pkt_info pi;
	uint32_t off;

	ng_pump(g);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.type, VMBUS_PKT_DATA_INBAND);
	assert_true(pi.payload_len >= len && pi.payload_len < len + 8);
	memcpy(&off, (const uint8_t *)pi.payload + 8, sizeof(off));
	assert_int_equal(off, field);
	assert_int_equal(nvsp_parse_indirection_table(pi.payload, pi.payload_len,
						      g->version, &it), 0);
	assert_true(nvsp_indirection_table_valid(&it, nchan));
	assert_int_equal(it.table[nchan - 1], nchan - 1);
}

static void
test_subchannels_late(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	unsigned int i;

	ng_bring_up(g);
	request_subchannels(g, 3, 3);
	/* Completion first: nothing offered yet, no table. */
	assert_int_equal(emu_nic_nchan(g->nic), 1);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_int_equal(naive_open_subchannels(g, 3), -ENOENT);
	wait_channels(g, 4);
	assert_int_equal(naive_open_subchannels(g, 3), 0);
	for (i = 1; i < 4; i++)
		ng_attach_rings(g, i);
	/* Then the table, right after its 12-byte header (76 bytes). */
	expect_table(g, 4, 12, 76);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* With the old behaviour the naive guest gets away with it. */
static void
test_subchannels_early_lenient(void **state)
{
	struct g *g = *state;

	ng_bring_up(g);
	request_subchannels(g, 3, 3);
	assert_int_equal(naive_open_subchannels(g, 3), 0);
	expect_table(g, 4, 12, 76);
}

static void
test_subchannels_fewer_granted(void **state)
{
	struct g *g = *state;

	ng_bring_up(g);
	request_subchannels(g, 3, 2);
	wait_channels(g, 3);
	assert_false(emu_dev_chan_by_relid(g->dev,
			emu_chan_relid(emu_dev_primary(g->dev)) + 3) != NULL);
	expect_table(g, 3, 12, 76);
}

static void
test_txtbl_offset_quirk(void **state)
{
	struct g *g = *state;

	ng_bring_up_with(g, NVSP_VERSION_6, NVSP_NDIS_CAP_IEEE8021Q);
	request_subchannels(g, 3, 3);
	wait_channels(g, 4);
	/* Field 12, table at 40: only a guest that knows the quirk (our
	 * parser, Linux) finds it. */
	expect_table(g, 4, 12, 104);
}

/* ---- Response sizes below 6.1 ---- */

static void
subch_resp_len(struct g *g, uint32_t expect_len)
{
	struct nvsp_subchannel_info si;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	ng_bring_up_with(g, NVSP_VERSION_5, NVSP_NDIS_CAP_IEEE8021Q);
	assert_int_equal(nvsp_build_subchannel_req(m, sizeof(m), 1), 40);
	ng_send_inband(g, 0, m, sizeof(m), 9, true);
	ng_expect_comp(g, 0, 9, &pi);
	/* Our validator takes both sizes; Debian's stock PMD wants 40. */
	assert_int_equal(nvsp_parse_subchannel_resp(pi.payload, pi.payload_len, 1,
						    &si), 0);
	assert_int_equal(pi.payload_len, expect_len);
}

static void
test_resp_size_padded(void **state)
{
	subch_resp_len(*state, 40);
}

static void
test_resp_size_short(void **state)
{
	/* 28 bytes, padded to 32 in the ring: "invalid NVS resp len 32". */
	subch_resp_len(*state, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_exact_version, setup_strict, ng_teardown),
		cmocka_unit_test_setup_teardown(test_init_range_lenient, setup_init_range, ng_teardown),
		cmocka_unit_test_setup_teardown(test_second_init_stops, setup_strict, ng_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_version_stops, setup_strict, ng_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_send_buf_stops, setup_strict, ng_teardown),
		cmocka_unit_test_setup_teardown(test_revoke_stops, setup_strict, ng_teardown),
		cmocka_unit_test_setup_teardown(test_reset_stops, setup_strict, ng_teardown),
		cmocka_unit_test_setup_teardown(test_reset_lenient, setup_reset, ng_teardown),
		cmocka_unit_test_setup_teardown(test_rndis_reinit_stops, setup_strict, ng_teardown),
		cmocka_unit_test_setup_teardown(test_no_link_after_init, setup_strict, ng_teardown),
		cmocka_unit_test_setup_teardown(test_link_at_init_lenient, setup_link_at_init, ng_teardown),
		cmocka_unit_test_setup_teardown(test_task_offload_after_set, setup_strict, ng_teardown),
		cmocka_unit_test_setup_teardown(test_link_flaps_coalesced, setup_strict, ng_teardown),
		cmocka_unit_test_setup_teardown(test_subchannels_late, setup_late_subch, ng_teardown),
		cmocka_unit_test_setup_teardown(test_subchannels_early_lenient, setup_early, ng_teardown),
		cmocka_unit_test_setup_teardown(test_subchannels_fewer_granted, setup_grant2, ng_teardown),
		cmocka_unit_test_setup_teardown(test_txtbl_offset_quirk, setup_v6_quirk, ng_teardown),
		cmocka_unit_test_setup_teardown(test_resp_size_padded, setup_v5, ng_teardown),
		cmocka_unit_test_setup_teardown(test_resp_size_short, setup_v5_short, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
