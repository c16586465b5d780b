/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core's session step function (hv_bringup) driving the emulated
 * host through the scripted guest's channel: bring-up against hosts of
 * every NVSP version from 6.1 down to 2 (the session must fall back one
 * exact version at a time), the results against what the host really
 * has, a SET, subchannels, and the teardown, without a single protocol
 * error on the host's side.
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

/* Guest page that carries RNDIS control messages (as ng_rndis_send). */
#define RNDIS_PAGE 16u

static void
send_out(struct g *g, const struct hv_bu_out *o)
{
	uint64_t gpa = o->rndis_gpa;
	struct vmbus_pkt_page pg = {
		.pfn = gpa / HV_PAGE_SIZE,
		.byte_offset = (uint32_t)(gpa % HV_PAGE_SIZE),
		.byte_count = o->rndis_len,
	};
	uint8_t hdr[64];
	int hl;

	if (o->send_kind == HV_BU_SEND_INBAND) {
		ng_send_inband(g, 0, o->msg, o->msg_len, o->trans_id,
			       o->completion_requested);
		return;
	}
	assert_int_equal(o->send_kind, HV_BU_SEND_RNDIS);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), &pg, 1, o->msg_len,
				       o->trans_id,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	ng_send_pkt(g, 0, hdr, (size_t)hl, o->msg, o->msg_len);
}

/* Feed every RNDIS message of a transfer-page packet, then ACK it. */
static void
feed_xfer(struct g *g, struct hv_bringup *b, const struct vmbus_pkt_info *pi)
{
	struct vmbus_xfer_page_range r;
	struct hv_bu_in in = { .type = HV_BU_IN_RNDIS };
	struct hv_bu_out o;

	for (uint32_t i = 0; i < pi->range_count; i++) {
		assert_int_equal(vmbus_pkt_xfer_range(pi, i, &r), 0);
		assert_int_equal(vmbus_pkt_xfer_range_check(&r,
				 (uint32_t)g->recv_size), 0);
		assert_true(r.byte_count <= sizeof(g->msg));
		memcpy(g->msg, g->recvbuf + r.byte_offset, r.byte_count);
		in.buf = g->msg;
		in.len = r.byte_count;
		assert_int_equal(hv_bringup_step(b, &in, &o), 0);
		/* Control answers never make the session send at once
		 * except the next request, which run() sends. */
		if (o.action == HV_BU_SEND)
			send_out(g, &o);
	}
	ng_ack(g, 0, pi->trans_id);
}

/* Run the session until DONE or ERROR; no answer in time = timeout. */
static uint32_t
run(struct g *g, struct hv_bringup *b, struct hv_bu_out *o)
{
	struct hv_bu_in in = { .type = HV_BU_IN_NONE };
	struct vmbus_pkt_info pi;
	int idle = 0;

	for (int guard = 0; guard < 2000; guard++) {
		assert_int_equal(hv_bringup_step(b, &in, o), 0);
		in.type = HV_BU_IN_NONE;
		if (o->action == HV_BU_SEND) {
			send_out(g, o);
			continue;
		}
		if (o->action != HV_BU_WAIT)
			return o->action;
		ng_pump(g);
		if (ng_recv_pkt(g, 0, &pi) != 0) {
			if (++idle > 20)
				in.type = HV_BU_IN_TIMEOUT;
			continue;
		}
		idle = 0;
		if (pi.type == VMBUS_PKT_DATA_XFER_PAGES) {
			feed_xfer(g, b, &pi);
			continue;
		}
		in = (struct hv_bu_in){
			.type = HV_BU_IN_NVSP,
			.completion = pi.type == VMBUS_PKT_COMPLETION,
			.trans_id = pi.trans_id,
			.buf = pi.payload,
			.len = pi.payload_len,
		};
	}
	fail_msg("session did not finish");
	return 0;
}

static void
cfg_for(struct g *g, struct hv_bringup_cfg *c)
{
	uint8_t *page = g->mem + RNDIS_PAGE * HV_PAGE_SIZE;
	size_t send_size = 0;

	(void)emu_dev_map(g->dev, HV_UIO_MAP_SEND_BUF, &send_size);
	memset(c, 0, sizeof(*c));
	c->ndis_caps = NVSP_NDIS_CAP_IEEE8021Q | NVSP_NDIS_CAP_SRIOV;
	c->recv_buf_gpadl = emu_dev_gpadl(g->dev, HV_UIO_MAP_RECV_BUF);
	c->recv_buf_size = (uint32_t)g->recv_size;
	c->send_buf_gpadl = emu_dev_gpadl(g->dev, HV_UIO_MAP_SEND_BUF);
	c->send_buf_size = (uint32_t)send_size;
	c->rndis_buf = page;
	c->rndis_buf_size = HV_PAGE_SIZE;
	/* Its guest-physical address, as the PMD takes it from the IOVA. */
	c->rndis_buf_gpa = ng_gpa_page(g, page) * HV_PAGE_SIZE;
}

static void
bring_up_against(uint32_t host_version)
{
	const struct ng_opts opts = { .max_version = host_version };
	const struct hv_bringup_result *r;
	struct hv_bringup_cfg cfg;
	static struct hv_bringup b;
	struct hv_bu_out o;
	uint32_t filter = RNDIS_PACKET_TYPE_DIRECTED;
	void *state;
	struct g *g;

	assert_int_equal(ng_setup(&state, &opts), 0);
	g = state;
	cfg_for(g, &cfg);
	assert_int_equal(hv_bringup_start(&b, &cfg), 0);
	assert_int_equal(run(g, &b, &o), HV_BU_DONE);
	r = hv_bringup_result(&b);
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
	assert_int_equal(hv_xact_rejected(&b.xact, HV_XACT_REJ_UNKNOWN) +
			 hv_xact_rejected(&b.xact, HV_XACT_REJ_DUPLICATE) +
			 hv_xact_rejected(&b.xact, HV_XACT_REJ_LATE), 0);

	assert_int_equal(hv_bringup_rndis_set(&b,
			 RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4), 0);
	assert_int_equal(run(g, &b, &o), HV_BU_DONE);
	assert_int_equal(r->set_status, RNDIS_STATUS_SUCCESS);
	assert_int_equal(g->nic->filter, filter);

	if (host_version >= NVSP_VERSION_5) {
		assert_int_equal(hv_bringup_subchannels(&b, 3), 0);
		assert_int_equal(run(g, &b, &o), HV_BU_DONE);
		assert_true(r->num_subchannels >= 1 && r->num_subchannels <= 3);
	}

	assert_int_equal(hv_bringup_teardown(&b), 0);
	assert_int_equal(run(g, &b, &o), HV_BU_DONE);
	assert_int_equal(b.state, HV_BU_S_CLOSED);
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
	static struct hv_bringup b;
	struct hv_bu_out o;
	void *st;
	struct g *g;

	(void)state;
	assert_int_equal(ng_setup(&st, &opts), 0);
	g = st;
	cfg_for(g, &cfg);
	assert_int_equal(hv_bringup_start(&b, &cfg), 0);
	assert_int_equal(run(g, &b, &o), HV_BU_ERROR);
	assert_int_equal(o.error, HV_BU_ERR_NO_VERSION);
	assert_int_equal(b.stats.refused, 5);
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
