/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session step function against a scripted host built from the
 * core's host-side builders: every message the session sends is
 * validated as a host would, and answered (or not) per the script.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hv_bringup.h"

#define RECV_SIZE (1u << 20)
#define SEND_SIZE (256u * 1024u)
#define MAXQ 16

static const uint8_t host_mac[6] = { 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03 };

struct qmsg {
	uint32_t type;       /* HV_BU_IN_* */
	bool completion;
	uint64_t trans_id;
	uint8_t buf[256];
	size_t len;
};

struct host {
	uint32_t accept;     /* bit i: accepts nvsp_versions[i] */
	uint32_t version;
	bool refuse_mac;
	bool refuse_speed;
	bool silent_recv_buf;  /* never answer SEND_RECV_BUF */
	bool reply_first;      /* RNDIS reply before the NVSP completion */
	bool pad40;            /* 40-byte responses below 6.1 too */
	uint32_t grant_subch;
	/* what the session sent */
	uint32_t inits[8];
	uint32_t ninit;
	uint32_t ndis_config_mtu;
	uint64_t ndis_caps;
	uint32_t ndis_version;
	uint32_t nqueries;
	uint32_t queried_rss;
	uint32_t halts;
	uint32_t revoke_recv, revoke_send;
	uint32_t set_oid, set_value;
	/* answers not yet delivered */
	struct qmsg q[MAXQ];
	uint32_t qh, qt;
};

struct fx {
	struct hv_bringup b;
	struct host h;
	struct hv_bringup_cfg cfg;
	uint8_t rndis_buf[4096];
	struct hv_bu_out last;
	uint32_t sends;
};

static struct fx fx;

static void
push(struct host *h, uint32_t type, bool comp, uint64_t id, const void *buf,
     int len)
{
	struct qmsg *m = &h->q[h->qt++ % MAXQ];

	assert_true(len >= 0 && (size_t)len <= sizeof(m->buf));
	assert_true(h->qt - h->qh <= MAXQ);
	m->type = type;
	m->completion = comp;
	m->trans_id = id;
	memcpy(m->buf, buf, (size_t)len);
	m->len = (size_t)len;
}

static void
push_nvsp_comp(struct host *h, uint64_t id, const void *buf, int len)
{
	/* Below 6.1 a host may pad to 40 as well: both must be accepted. */
	if (h->pad40 && len < 40)
		len = 40;
	push(h, HV_BU_IN_NVSP, true, id, buf, len);
}

static void
host_init(struct host *h, const struct nvsp_request *r, uint64_t id)
{
	uint8_t m[64] = { 0 };
	uint32_t v = r->init.min_version;
	bool ok = false;

	assert_int_equal(r->init.min_version, r->init.max_version);
	h->inits[h->ninit++ % 8] = v;
	for (uint32_t i = 0; i < NVSP_VERSION_COUNT; i++)
		if (nvsp_versions[i] == v && (h->accept & (1u << i)))
			ok = true;
	if (ok)
		h->version = v;
	/* Real hosts refuse with status 0 (NONE). */
	push_nvsp_comp(h, id, m, nvsp_host_build_init_complete(m, sizeof(m),
		       ok ? v : NVSP_VERSION_NONE,
		       ok ? NVSP_STATUS_SUCCESS : NVSP_STATUS_NONE));
}

static void
host_nvsp(struct host *h, const struct hv_bu_out *o)
{
	struct nvsp_request r;
	uint8_t m[64];

	assert_int_equal(nvsp_host_parse_request(o->msg, o->msg_len,
						 h->version, &r), 0);
	switch (r.type) {
	case NVSP_MSG_TYPE_INIT:
		assert_true(o->completion_requested);
		host_init(h, &r, o->trans_id);
		break;
	case NVSP_MSG_TYPE_SEND_NDIS_CONFIG:
		assert_false(o->completion_requested);
		h->ndis_config_mtu = r.ndis_config.mtu;
		h->ndis_caps = r.ndis_config.capabilities;
		break;
	case NVSP_MSG_TYPE_SEND_NDIS_VERSION:
		h->ndis_version = r.ndis_version.major << 16 |
				  r.ndis_version.minor;
		break;
	case NVSP_MSG_TYPE_SEND_RECV_BUF:
		assert_int_equal(r.buf.gpadl, 0x1111);
		assert_int_equal(r.buf.id, NVSP_RECV_BUF_ID);
		if (h->silent_recv_buf)
			break;
		push_nvsp_comp(h, o->trans_id, m,
			nvsp_host_build_recv_buf_complete(m, sizeof(m),
				h->version, NVSP_STATUS_SUCCESS, 1806,
				RECV_SIZE / 1806));
		break;
	case NVSP_MSG_TYPE_SEND_SEND_BUF:
		assert_int_equal(r.buf.gpadl, 0x2222);
		push_nvsp_comp(h, o->trans_id, m,
			nvsp_host_build_send_buf_complete(m, sizeof(m),
				h->version, NVSP_STATUS_SUCCESS, 6144));
		break;
	case NVSP_MSG_TYPE_SUBCHANNEL:
		push_nvsp_comp(h, o->trans_id, m,
			nvsp_host_build_subchannel_resp(m, sizeof(m),
				h->version, NVSP_STATUS_SUCCESS,
				h->grant_subch));
		break;
	case NVSP_MSG_TYPE_REVOKE_RECV_BUF:
		h->revoke_recv++;
		break;
	case NVSP_MSG_TYPE_REVOKE_SEND_BUF:
		h->revoke_send++;
		break;
	default:
		fail_msg("unexpected NVSP type %u", r.type);
	}
}

/* RNDIS answer for one QUERY: status and info into m, returns length. */
static int
host_query(struct host *h, const struct rndis_ctl_req *r, uint8_t *m,
	   size_t ms)
{
	uint8_t info[200];
	struct ndis_offload off;
	struct ndis_rss_caps_info rss = {
		.revision = NDIS_RSS_CAPS_REV_2,
		.caps = NDIS_HASH_FUNCTION_TOEPLITZ | NDIS_RSS_CAP_HASH_IPV4,
		.num_msi = 1, .num_rx_queues = 8, .num_ind_entries = 128,
	};
	uint32_t v = 0;
	int n = 4;

	h->nqueries++;
	switch (r->oid) {
	case RNDIS_OID_802_3_PERMANENT_ADDRESS:
		if (h->refuse_mac)
			return rndis_query_cmplt_build(m, ms, r->rid,
				RNDIS_STATUS_NOT_SUPPORTED, NULL, 0);
		return rndis_query_cmplt_build(m, ms, r->rid,
			RNDIS_STATUS_SUCCESS, host_mac, 6);
	case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
		v = 1500;
		break;
	case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
		v = RNDIS_MEDIA_STATE_CONNECTED;
		break;
	case RNDIS_OID_GEN_LINK_SPEED:
		if (h->refuse_speed)
			return rndis_query_cmplt_build(m, ms, r->rid,
				RNDIS_STATUS_NOT_SUPPORTED, NULL, 0);
		v = 100000000; /* 10 Gb/s in 100 bps */
		break;
	case RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
		memset(&off, 0, sizeof(off));
		off.csum.ip4_txcsum = NDIS_CSUM_CAP_TCP4 | NDIS_CSUM_CAP_IP4;
		n = ndis_offload_build(info, sizeof(info), &off,
				       NDIS_OFFLOAD_REV_3);
		break;
	case RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES:
		h->queried_rss++;
		n = ndis_rss_caps_build(info, sizeof(info), &rss);
		break;
	case RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE:
		v = 1514;
		break;
	default:
		return rndis_query_cmplt_build(m, ms, r->rid,
			RNDIS_STATUS_NOT_SUPPORTED, NULL, 0);
	}
	if (n == 4)
		memcpy(info, &v, 4);
	assert_true(n > 0);
	return rndis_query_cmplt_build(m, ms, r->rid, RNDIS_STATUS_SUCCESS,
				       info, (uint32_t)n);
}

static void
host_rndis(struct host *h, const struct hv_bu_out *o, const uint8_t *buf)
{
	struct nvsp_rndis_pkt_info pk;
	struct rndis_ctl_req r;
	struct rndis_init_info ii = {
		.status = RNDIS_STATUS_SUCCESS, .major = 1, .minor = 0,
		.device_flags = 1, .max_pkts_per_msg = 8,
		.max_xfer_size = 0xefffffffu, .pkt_align_factor = 3,
	};
	uint8_t m[256], c[64];
	int n = -1, cn;

	assert_int_equal(nvsp_parse_rndis_pkt(o->msg, o->msg_len, &pk), 0);
	assert_int_equal(pk.channel_type, NVSP_CHANNEL_TYPE_CONTROL);
	assert_int_equal(pk.section_index, NVSP_SECTION_INDEX_NONE);
	assert_true(o->completion_requested);
	assert_int_equal(rndis_ctl_req_parse(buf, o->rndis_len, &r), 0);
	switch (r.type) {
	case RNDIS_MSG_INIT:
		ii.rid = r.rid;
		n = rndis_init_cmplt_build(m, sizeof(m), &ii);
		break;
	case RNDIS_MSG_QUERY:
		n = host_query(h, &r, m, sizeof(m));
		break;
	case RNDIS_MSG_SET:
		h->set_oid = r.oid;
		if (r.info_len >= 4)
			memcpy(&h->set_value, r.info, 4);
		n = rndis_set_cmplt_build(m, sizeof(m), r.rid,
					  RNDIS_STATUS_SUCCESS);
		break;
	case RNDIS_MSG_HALT:
		h->halts++;
		break;
	default:
		fail_msg("unexpected RNDIS type %#x", r.type);
	}
	cn = nvsp_host_build_rndis_pkt_complete(c, sizeof(c), h->version,
						NVSP_STATUS_SUCCESS);
	if (n > 0 && h->reply_first)
		push(h, HV_BU_IN_RNDIS, false, 0, m, n);
	push_nvsp_comp(h, o->trans_id, c, cn);
	if (n > 0 && !h->reply_first)
		push(h, HV_BU_IN_RNDIS, false, 0, m, n);
}

static void
host_handle(struct fx *f, const struct hv_bu_out *o)
{
	f->sends++;
	if (o->send_kind == HV_BU_SEND_RNDIS) {
		assert_int_equal(o->rndis_gpa, 0x7000);
		assert_true(o->rndis_len <= sizeof(f->rndis_buf));
		host_rndis(&f->h, o, f->rndis_buf);
	} else {
		assert_int_equal(o->send_kind, HV_BU_SEND_INBAND);
		host_nvsp(&f->h, o);
	}
}

/*
 * Run the loop until DONE or ERROR; an empty host queue while the
 * session waits is a timeout. Returns the final action.
 */
static uint32_t
run(struct fx *f)
{
	struct hv_bu_in in = { .type = HV_BU_IN_NONE };
	struct qmsg *m;

	for (int guard = 0; guard < 1000; guard++) {
		(void)hv_bringup_step(&f->b, &in, &f->last);
		in.type = HV_BU_IN_NONE;
		switch (f->last.action) {
		case HV_BU_SEND:
			host_handle(f, &f->last);
			break;
		case HV_BU_WAIT:
			if (f->h.qh == f->h.qt) {
				in.type = HV_BU_IN_TIMEOUT;
				break;
			}
			m = &f->h.q[f->h.qh++ % MAXQ];
			in.type = m->type;
			in.completion = m->completion;
			in.trans_id = m->trans_id;
			in.buf = m->buf;
			in.len = m->len;
			break;
		default:
			return f->last.action;
		}
	}
	fail_msg("session loop did not end");
	return 0;
}

static int
setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	fx.h.accept = (1u << NVSP_VERSION_COUNT) - 1u;
	fx.h.grant_subch = 3;
	fx.cfg.ndis_caps = NVSP_NDIS_CAP_IEEE8021Q | NVSP_NDIS_CAP_SRIOV |
			   NVSP_NDIS_CAP_RSC;
	fx.cfg.recv_buf_gpadl = 0x1111;
	fx.cfg.recv_buf_size = RECV_SIZE;
	fx.cfg.send_buf_gpadl = 0x2222;
	fx.cfg.send_buf_size = SEND_SIZE;
	fx.cfg.rndis_buf = fx.rndis_buf;
	fx.cfg.rndis_buf_size = sizeof(fx.rndis_buf);
	fx.cfg.rndis_buf_gpa = 0x7000;
	*state = &fx;
	return 0;
}

/* Version index of v in nvsp_versions. */
static uint32_t
vbit(uint32_t v)
{
	for (uint32_t i = 0; i < NVSP_VERSION_COUNT; i++)
		if (nvsp_versions[i] == v)
			return 1u << i;
	return 0;
}

static void
test_hv_bringup_full_at_61(void **state)
{
	struct fx *f = *state;
	const struct hv_bringup_result *r = hv_bringup_result(&f->b);

	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(f->h.ninit, 1);
	assert_int_equal(r->nvsp_version, NVSP_VERSION_61);
	assert_int_equal(r->ndis_version, NVSP_NDIS_VERSION_6_30);
	assert_int_equal(f->h.ndis_version, NVSP_NDIS_VERSION_6_30);
	assert_int_equal(f->h.ndis_config_mtu, 1514);
	assert_int_equal(f->h.ndis_caps, f->cfg.ndis_caps);
	assert_int_equal(r->recv_section_size, 1806);
	assert_int_equal(r->recv_section_count, RECV_SIZE / 1806);
	assert_int_equal(r->send_section_size, 6144);
	assert_int_equal(r->send_section_count, SEND_SIZE / 6144);
	assert_int_equal(r->rndis.max_pkts_per_msg, 8);
	assert_int_equal(r->rndis_pkt_align, 8);
	assert_memory_equal(r->mac, host_mac, 6);
	assert_int_equal(r->max_frame_size, 1500);
	assert_true(r->link_up);
	assert_int_equal(r->link_speed, 100000000);
	assert_int_equal(r->offload.csum.ip4_txcsum,
			 NDIS_CSUM_CAP_TCP4 | NDIS_CSUM_CAP_IP4);
	assert_int_equal(r->rss.num_rx_queues, 8);
	assert_int_equal(r->valid & (HV_BU_HAVE_MAX_FRAME | HV_BU_HAVE_LINK |
				     HV_BU_HAVE_LINK_SPEED | HV_BU_HAVE_OFFLOAD |
				     HV_BU_HAVE_RSS),
			 HV_BU_HAVE_MAX_FRAME | HV_BU_HAVE_LINK |
			 HV_BU_HAVE_LINK_SPEED | HV_BU_HAVE_OFFLOAD |
			 HV_BU_HAVE_RSS);
	assert_int_equal(f->h.nqueries, 6);
	assert_int_equal(hv_xact_pending(&f->b.xact), 0);
	assert_int_equal(hv_xact_rejected(&f->b.xact, HV_XACT_REJ_UNKNOWN), 0);
}

/* An exact-version host that only speaks NVSP 5, 28- or 40-byte replies. */
static void
exact_v5(struct fx *f, bool pad40)
{
	const struct hv_bringup_result *r = hv_bringup_result(&f->b);

	f->h.accept = vbit(NVSP_VERSION_5);
	f->h.pad40 = pad40;
	f->h.reply_first = true;
	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(f->h.ninit, 3);
	assert_int_equal(f->h.inits[0], NVSP_VERSION_61);
	assert_int_equal(f->h.inits[1], NVSP_VERSION_6);
	assert_int_equal(f->h.inits[2], NVSP_VERSION_5);
	assert_int_equal(f->b.stats.refused, 2);
	assert_int_equal(r->nvsp_version, NVSP_VERSION_5);
	assert_int_equal(f->h.ndis_version, NVSP_NDIS_VERSION_6_30);
	/* RSC needs 6.1: not announced to a 5 host. */
	assert_int_equal(f->h.ndis_caps,
			 NVSP_NDIS_CAP_IEEE8021Q | NVSP_NDIS_CAP_SRIOV);
	assert_int_equal(f->h.queried_rss, 1);
	assert_memory_equal(r->mac, host_mac, 6);
}

static void
test_hv_bringup_exact_version_28(void **state)
{
	exact_v5(*state, false);
}

static void
test_hv_bringup_exact_version_40(void **state)
{
	exact_v5(*state, true);
}

static void
test_hv_bringup_nvsp4_ndis61_no_rss(void **state)
{
	struct fx *f = *state;

	f->h.accept = vbit(NVSP_VERSION_4);
	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(f->b.res.nvsp_version, NVSP_VERSION_4);
	assert_int_equal(f->h.ndis_version, NVSP_NDIS_VERSION_6_1);
	assert_int_equal(f->h.queried_rss, 0);
	assert_int_equal(f->h.nqueries, 5);
	assert_false(f->b.res.valid & HV_BU_HAVE_RSS);
	/* Subchannels need NVSP 5. */
	assert_int_equal(hv_bringup_subchannels(&f->b, 2), -EPROTO);
}

static void
test_hv_bringup_no_version(void **state)
{
	struct fx *f = *state;

	f->h.accept = vbit(NVSP_VERSION_1);
	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(run(f), HV_BU_ERROR);
	assert_int_equal(f->last.error, HV_BU_ERR_NO_VERSION);
	assert_int_equal(f->last.state, HV_BU_S_NVSP_INIT);
	/* 6.1, 6, 5, 4, 2: never NVSP 1. */
	assert_int_equal(f->h.ninit, 5);
	assert_int_equal(f->h.inits[4], NVSP_VERSION_2);
}

static void
test_hv_bringup_timeout_then_late_reply(void **state)
{
	struct fx *f = *state;
	struct hv_bu_in in = { .type = HV_BU_IN_NVSP, .completion = true };
	uint8_t m[64];
	uint64_t id;
	int n;

	f->h.silent_recv_buf = true;
	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(run(f), HV_BU_ERROR);
	assert_int_equal(f->last.error, HV_BU_ERR_TIMEOUT);
	assert_int_equal(f->last.state, HV_BU_S_RECV_BUF);
	assert_int_equal(f->last.err, -ETIMEDOUT);
	/* The receive buffer's request was the last one registered. */
	id = f->b.nvsp_id;
	n = nvsp_host_build_recv_buf_complete(m, sizeof(m), NVSP_VERSION_61,
					      NVSP_STATUS_SUCCESS, 1806, 100);
	in.trans_id = id;
	in.buf = m;
	in.len = (size_t)n;
	assert_int_equal(hv_bringup_step(&f->b, &in, &f->last), -ETIME);
	assert_int_equal(f->last.action, HV_BU_ERROR);
	assert_int_equal(f->b.xact.stats.rejected[HV_XACT_REJ_LATE]
					       [HV_XACT_NVSP_RECV_BUF], 1);
	/* Teardown revokes the receive buffer only; RNDIS never came up. */
	assert_int_equal(hv_bringup_teardown(&f->b), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(f->b.state, HV_BU_S_CLOSED);
	assert_int_equal(f->h.halts, 0);
	assert_int_equal(f->h.revoke_recv, 1);
	assert_int_equal(f->h.revoke_send, 0);
}

/* Forged, duplicated and unrelated input does not derail the bring-up. */
static void
test_hv_bringup_rejects_hostile_input(void **state)
{
	struct fx *f = *state;
	struct hv_bu_in in = { .type = HV_BU_IN_NVSP, .completion = true };
	struct hv_bu_out o, init;
	uint8_t m[64];
	int n;

	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(hv_bringup_step(&f->b, NULL, &init), 0);
	assert_int_equal(init.action, HV_BU_SEND);
	o = init;
	n = nvsp_host_build_init_complete(m, sizeof(m), NVSP_VERSION_61,
					  NVSP_STATUS_SUCCESS);
	in.buf = m;
	in.len = (size_t)n;
	/* Unknown ids, including the host's unsolicited ones. */
	in.trans_id = 0;
	assert_int_equal(hv_bringup_step(&f->b, &in, &o), -ENOENT);
	in.trans_id = 0x8000000000000000ull;
	assert_int_equal(hv_bringup_step(&f->b, &in, &o), -ENOENT);
	in.trans_id = o.trans_id + 5;
	assert_int_equal(hv_bringup_step(&f->b, &in, &o), -ENOENT);
	assert_int_equal(o.action, HV_BU_WAIT);
	/* Empty and truncated completions. */
	in.len = 0;
	assert_int_equal(hv_bringup_step(&f->b, &in, &o), -EPROTO);
	in.len = 3;
	assert_int_equal(hv_bringup_step(&f->b, &in, &o), -EPROTO);
	assert_int_equal(f->b.stats.malformed, 2);
	assert_int_equal(hv_xact_rejected(&f->b.xact, HV_XACT_REJ_UNKNOWN), 3);
	/* Now answer properly via the host, then replay that answer. */
	host_handle(f, &init);
	f->h.qh = f->h.qt = 0;
	in.trans_id = f->b.nvsp_id;
	in.len = (size_t)n;
	assert_int_equal(hv_bringup_step(&f->b, &in, &o), 0);
	assert_int_equal(o.action, HV_BU_SEND); /* NDIS_CONFIG */
	assert_int_equal(hv_bringup_step(&f->b, &in, &o), -EALREADY);
	assert_int_equal(f->b.xact.stats.rejected[HV_XACT_REJ_DUPLICATE]
					       [HV_XACT_NVSP_INIT], 1);
	/* The session went on regardless: finish the bring-up. */
	host_handle(f, &o);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(f->b.res.nvsp_version, NVSP_VERSION_61);
}

static void
test_hv_bringup_mac_required_speed_optional(void **state)
{
	struct fx *f = *state;

	f->h.refuse_speed = true;
	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_false(f->b.res.valid & HV_BU_HAVE_LINK_SPEED);
	assert_true(f->b.res.valid & HV_BU_HAVE_OFFLOAD);

	setup((void **)&f);
	f->h.refuse_mac = true;
	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(run(f), HV_BU_ERROR);
	assert_int_equal(f->last.error, HV_BU_ERR_QUERY);
	assert_int_equal(f->last.state, HV_BU_S_QUERY);
	/* RNDIS is up: teardown halts it, then revokes both buffers. */
	assert_int_equal(hv_bringup_teardown(&f->b), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(f->h.halts, 1);
	assert_int_equal(f->h.revoke_recv, 1);
	assert_int_equal(f->h.revoke_send, 1);
}

static void
test_hv_bringup_subchannels_and_set(void **state)
{
	struct fx *f = *state;
	uint32_t filter = RNDIS_PACKET_TYPE_DIRECTED;

	assert_int_equal(hv_bringup_subchannels(&f->b, 3), -EPROTO);
	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(hv_bringup_subchannels(&f->b, 3), -EBUSY);
	assert_int_equal(run(f), HV_BU_DONE);
	f->h.grant_subch = 2;
	assert_int_equal(hv_bringup_subchannels(&f->b, 3), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(f->b.res.num_subchannels, 2);
	assert_true(f->b.res.valid & HV_BU_HAVE_SUBCHANNELS);

	assert_int_equal(hv_bringup_rndis_set(&f->b,
			 RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(f->h.set_oid, RNDIS_OID_GEN_CURRENT_PACKET_FILTER);
	assert_int_equal(f->h.set_value, filter);
	assert_int_equal(f->b.res.set_status, RNDIS_STATUS_SUCCESS);

	/* A host granting more than asked is refused. */
	f->h.grant_subch = 4;
	assert_int_equal(hv_bringup_subchannels(&f->b, 3), 0);
	assert_int_equal(run(f), HV_BU_ERROR);
	assert_int_equal(f->last.error, HV_BU_ERR_SUBCHANNEL);
}

static void
test_hv_bringup_indications_any_time(void **state)
{
	struct fx *f = *state;
	struct hv_bu_in in = { .type = HV_BU_IN_RNDIS };
	uint32_t speed = 12345;
	struct hv_bu_out o;
	uint8_t m[64];
	int n;

	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	n = rndis_indicate_status_build(m, sizeof(m),
					RNDIS_STATUS_MEDIA_DISCONNECT, NULL, 0);
	in.buf = m;
	in.len = (size_t)n;
	assert_int_equal(hv_bringup_step(&f->b, &in, &o), 0);
	assert_int_equal(o.action, HV_BU_DONE);
	assert_int_equal(o.events, HV_BU_EV_LINK);
	assert_false(f->b.res.link_up);
	n = rndis_indicate_status_build(m, sizeof(m),
					RNDIS_STATUS_LINK_SPEED_CHANGE,
					&speed, 4);
	in.len = (size_t)n;
	assert_int_equal(hv_bringup_step(&f->b, &in, &o), 0);
	assert_int_equal(f->b.res.link_speed, 12345);
	/* A truncated indication is counted, not applied. */
	in.len = 10;
	assert_int_equal(hv_bringup_step(&f->b, &in, &o), -EINVAL);
	assert_int_equal(o.events, 0);
	assert_int_equal(f->b.stats.malformed, 1);
	/* Steps on a finished session stay DONE and send nothing. */
	assert_int_equal(hv_bringup_step(&f->b, NULL, &o), 0);
	assert_int_equal(o.action, HV_BU_DONE);
}

static void
test_hv_bringup_start_rejects_cfg(void **state)
{
	struct fx *f = *state;
	struct hv_bringup_cfg c = f->cfg;

	c.rndis_buf_size = 100;
	assert_int_equal(hv_bringup_start(&f->b, &c), -EINVAL);
	c = f->cfg;
	c.nvsp_max_version = 0x12345;
	assert_int_equal(hv_bringup_start(&f->b, &c), -EINVAL);
	c = f->cfg;
	c.nvsp_min_version = NVSP_VERSION_61;
	c.nvsp_max_version = NVSP_VERSION_5;
	assert_int_equal(hv_bringup_start(&f->b, &c), -EINVAL);
	assert_int_equal(hv_bringup_teardown(&f->b), -EPROTO);
	assert_string_equal(hv_bringup_state_name(HV_BU_S_QUERY),
			    "rndis-query");
	assert_string_equal(hv_bringup_error_name(999), "?");
}

static void
test_hv_bringup_runtime_query(void **state)
{
	struct fx *f = *state;
	const struct hv_bringup_result *r = hv_bringup_result(&f->b);
	uint32_t v;

	assert_int_equal(hv_bringup_rndis_query(&f->b,
			 RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE), -EPROTO);
	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(hv_bringup_rndis_query(&f->b,
			 RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE), 0);
	assert_int_equal(hv_bringup_rndis_query(&f->b,
			 RNDIS_OID_GEN_LINK_SPEED), -EBUSY);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(r->query_status, RNDIS_STATUS_SUCCESS);
	assert_int_equal(r->query_len, 4);
	memcpy(&v, r->query_info, 4);
	assert_int_equal(v, 1514);
	/* A known OID refreshes its result field too. */
	f->b.res.link_speed = 0;
	assert_int_equal(hv_bringup_rndis_query(&f->b,
			 RNDIS_OID_GEN_LINK_SPEED), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(r->link_speed, 100000000);
	/* A refusal is an answer, not an error. */
	assert_int_equal(hv_bringup_rndis_query(&f->b,
			 RNDIS_OID_GEN_FRIENDLY_NAME), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(r->query_status, RNDIS_STATUS_NOT_SUPPORTED);
	assert_int_equal(r->query_len, 0);
	/* A run-time op that times out fails alone: the session is up. */
	f->h.grant_subch = 1;
	assert_int_equal(hv_bringup_subchannels(&f->b, 2), 0);
	{
		struct hv_bu_out o;
		struct hv_bu_in to = { .type = HV_BU_IN_TIMEOUT };

		assert_int_equal(hv_bringup_step(&f->b, NULL, &o), 0);
		assert_int_equal(o.action, HV_BU_SEND);
		assert_int_equal(hv_bringup_step(&f->b, &to, &o), 0);
		assert_int_equal(o.action, HV_BU_ERROR);
		assert_int_equal(o.error, HV_BU_ERR_TIMEOUT);
		assert_int_equal(o.state, HV_BU_S_SUBCHANNEL);
	}
	assert_int_equal(hv_bringup_rndis_query(&f->b,
			 RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_int_equal(r->query_status, RNDIS_STATUS_SUCCESS);
}

/*
 * An RNDIS packet whose completion never came leaves rndis_buf lent to
 * the host: a late completion gives it back; so does moving to another
 * buffer, where the next request is then built.
 */
static void
test_hv_bringup_rndis_buf_lent(void **state)
{
	struct fx *f = *state;
	struct hv_bu_in in = { .type = HV_BU_IN_TIMEOUT };
	uint32_t filter = RNDIS_PACKET_TYPE_DIRECTED;
	static uint8_t other[2048];
	struct rndis_peek pk;
	uint8_t c[64];
	uint64_t id;
	int n;

	assert_int_equal(hv_bringup_start(&f->b, &f->cfg), 0);
	assert_int_equal(run(f), HV_BU_DONE);
	assert_false(hv_bringup_rndis_buf_lent(&f->b));
	/* A SET goes out; the host answers nothing; the wait expires. */
	assert_int_equal(hv_bringup_rndis_set(&f->b,
			 RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4), 0);
	assert_int_equal(hv_bringup_step(&f->b, NULL, &f->last), 0);
	assert_int_equal(f->last.action, HV_BU_SEND);
	assert_int_equal(f->last.send_kind, HV_BU_SEND_RNDIS);
	id = f->last.trans_id;
	assert_true(hv_bringup_rndis_buf_lent(&f->b));
	assert_int_equal(hv_bringup_step(&f->b, &in, &f->last), 0);
	assert_int_equal(f->last.action, HV_BU_ERROR);
	assert_true(hv_bringup_rndis_buf_lent(&f->b));
	/* Its completion, late: refused, but the buffer is back. */
	n = nvsp_host_build_rndis_pkt_complete(c, sizeof(c), f->h.version,
					       NVSP_STATUS_SUCCESS);
	in = (struct hv_bu_in){ .type = HV_BU_IN_NVSP, .completion = true,
				.trans_id = id, .buf = c, .len = (size_t)n };
	assert_int_equal(hv_bringup_step(&f->b, &in, &f->last), -ETIME);
	assert_false(hv_bringup_rndis_buf_lent(&f->b));

	/* Again, then a move to another buffer instead. */
	assert_int_equal(hv_bringup_rndis_set(&f->b,
			 RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4), 0);
	assert_int_equal(hv_bringup_step(&f->b, NULL, &f->last), 0);
	assert_int_equal(hv_bringup_set_rndis_buf(&f->b, other, sizeof(other),
						  0x9000), -EBUSY);
	in = (struct hv_bu_in){ .type = HV_BU_IN_TIMEOUT };
	assert_int_equal(hv_bringup_step(&f->b, &in, &f->last), 0);
	assert_true(hv_bringup_rndis_buf_lent(&f->b));
	assert_int_equal(hv_bringup_set_rndis_buf(&f->b, other, 16, 0x9000),
			 -EINVAL);
	assert_int_equal(hv_bringup_set_rndis_buf(&f->b, other, sizeof(other),
						  0x9000), 0);
	assert_false(hv_bringup_rndis_buf_lent(&f->b));
	assert_int_equal(hv_bringup_rndis_set(&f->b,
			 RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4), 0);
	assert_int_equal(hv_bringup_step(&f->b, NULL, &f->last), 0);
	assert_int_equal(f->last.action, HV_BU_SEND);
	assert_int_equal(f->last.rndis_gpa, 0x9000);
	assert_int_equal(rndis_msg_peek(other, f->last.rndis_len, &pk), 0);
	assert_int_equal(pk.type, RNDIS_MSG_SET);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hv_bringup_full_at_61, setup),
		cmocka_unit_test_setup(test_hv_bringup_exact_version_28, setup),
		cmocka_unit_test_setup(test_hv_bringup_exact_version_40, setup),
		cmocka_unit_test_setup(test_hv_bringup_nvsp4_ndis61_no_rss,
				       setup),
		cmocka_unit_test_setup(test_hv_bringup_no_version, setup),
		cmocka_unit_test_setup(test_hv_bringup_timeout_then_late_reply,
				       setup),
		cmocka_unit_test_setup(test_hv_bringup_rejects_hostile_input,
				       setup),
		cmocka_unit_test_setup(test_hv_bringup_mac_required_speed_optional,
				       setup),
		cmocka_unit_test_setup(test_hv_bringup_subchannels_and_set,
				       setup),
		cmocka_unit_test_setup(test_hv_bringup_indications_any_time,
				       setup),
		cmocka_unit_test_setup(test_hv_bringup_start_rejects_cfg, setup),
		cmocka_unit_test_setup(test_hv_bringup_runtime_query, setup),
		cmocka_unit_test_setup(test_hv_bringup_rndis_buf_lent, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
