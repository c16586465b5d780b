/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVSP/RNDIS control session as a step function (see hv_bringup.h).
 *
 * Each state sends one request (sent = false: build it; sent = true:
 * waiting for its answer). Requests without an answer (NDIS_CONFIG,
 * NDIS_VERSION, REVOKE_*) advance as soon as they are built. An RNDIS
 * request needs two things before the next one may reuse rndis_buf: the
 * RNDIS reply (by request id) and the NVSP completion of the packet that
 * carried it (by transaction id); they may come in either order.
 */
#include <errno.h>
#include <string.h>

#include "hv_bringup.h"
#include "rndis_wire.h"

/* Queries of the bring-up, in order. */
struct bu_query {
	uint32_t oid;
	bool required;
	uint32_t min_version; /* NVSP version below which it is skipped */
};

static const struct bu_query bu_queries[] = {
	{ RNDIS_OID_802_3_PERMANENT_ADDRESS, true, 0 },
	{ RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, false, 0 },
	{ RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, false, 0 },
	{ RNDIS_OID_GEN_LINK_SPEED, false, 0 },
	{ RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, false, 0 },
	{ RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES, false, NVSP_VERSION_5 },
};

#define BU_NQUERIES ((uint32_t)HV_ARRAY_SIZE(bu_queries))

/* ---- small helpers ---- */

static void
fail(struct hv_bringup *b, uint32_t error, int err)
{
	b->single_query = false;
	b->error = error;
	b->err = err;
	b->fail_state = b->state;
	b->state = HV_BU_S_FAILED;
	b->sent = false;
	/* Whatever still comes for this op is late. */
	hv_xact_cancel_all(&b->xact);
}

static void
enter(struct hv_bringup *b, uint32_t state)
{
	b->state = state;
	b->sent = false;
	b->need_comp = false;
	b->need_reply = false;
}

static bool
op_running(const struct hv_bringup *b)
{
	return b->state != HV_BU_S_IDLE && b->state != HV_BU_S_READY &&
	       b->state != HV_BU_S_CLOSED && b->state != HV_BU_S_FAILED;
}

/*
 * May a run-time op start? After a completed bring-up, also when the
 * last run-time op failed: that failure is the caller's to judge, the
 * session itself is still up.
 */
static int
op_start_check(const struct hv_bringup *b)
{
	if (op_running(b))
		return -EBUSY;
	if (b->state != HV_BU_S_READY &&
	    !(b->state == HV_BU_S_FAILED && b->up))
		return -EPROTO;
	return 0;
}

/* NDIS_CONFIG capabilities a host of this version understands. */
static uint64_t
caps_for_version(uint64_t caps, uint32_t version)
{
	if (version < NVSP_VERSION_4)
		caps &= ~NVSP_NDIS_CAP_SRIOV;
	if (version < NVSP_VERSION_61)
		caps &= ~NVSP_NDIS_CAP_RSC;
	return caps;
}

/* ---- API: starting ops ---- */

static int
cfg_check(struct hv_bringup_cfg *c)
{
	if (c->nvsp_max_version == 0)
		c->nvsp_max_version = NVSP_VERSION_61;
	if (c->nvsp_min_version == 0)
		c->nvsp_min_version = NVSP_VERSION_2;
	if (c->mtu == 0)
		c->mtu = NVSP_HOST_MTU_MIN;
	if (c->rndis_max_xfer == 0)
		c->rndis_max_xfer = RNDIS_MAX_XFER_SIZE_DEFAULT;
	if (!nvsp_version_supported(c->nvsp_max_version) ||
	    !nvsp_version_supported(c->nvsp_min_version) ||
	    c->nvsp_min_version > c->nvsp_max_version)
		return -EINVAL;
	if (c->rndis_buf == NULL || c->rndis_buf_size < HV_BU_RNDIS_BUF_MIN ||
	    c->recv_buf_size == 0)
		return -EINVAL;
	return 0;
}

int
hv_bringup_start(struct hv_bringup *b, const struct hv_bringup_cfg *cfg)
{
	struct hv_bringup_cfg c;
	uint32_t i;
	int rc;

	if (b == NULL || cfg == NULL)
		return -EINVAL;
	c = *cfg;
	rc = cfg_check(&c);
	if (rc != 0)
		return rc;
	memset(b, 0, sizeof(*b));
	b->cfg = c;
	rc = hv_xact_init(&b->xact, b->slots, HV_BU_XACT_SLOTS,
			  HV_XACT_F_ID32);
	if (rc != 0)
		return rc;
	for (i = 0; i < NVSP_VERSION_COUNT; i++)
		if (nvsp_versions[i] == c.nvsp_max_version)
			break;
	b->version_idx = i;
	b->op_end = HV_BU_S_READY;
	enter(b, HV_BU_S_NVSP_INIT);
	return 0;
}

int
hv_bringup_subchannels(struct hv_bringup *b, uint32_t n)
{
	int rc;

	if (b == NULL || n == 0)
		return -EINVAL;
	rc = op_start_check(b);
	if (rc != 0)
		return rc;
	if (b->res.nvsp_version < NVSP_VERSION_5)
		return -EPROTO;
	b->subch_req = n;
	b->res.valid &= ~HV_BU_HAVE_SUBCHANNELS;
	b->op_end = HV_BU_S_READY;
	enter(b, HV_BU_S_SUBCHANNEL);
	return 0;
}

int
hv_bringup_rndis_set(struct hv_bringup *b, uint32_t oid, const void *info,
		     uint32_t info_len)
{
	int rc;

	if (b == NULL || (info == NULL && info_len != 0))
		return -EINVAL;
	rc = op_start_check(b);
	if (rc != 0)
		return rc;
	/* rid 1 for now: the real one is patched in when sent. */
	rc = rndis_set_req_build(b->cfg.rndis_buf, b->cfg.rndis_buf_size, 1,
				 oid, info, info_len);
	if (rc < 0)
		return rc;
	b->set_len = (uint32_t)rc;
	b->cur_oid = oid;
	b->op_end = HV_BU_S_READY;
	enter(b, HV_BU_S_RNDIS_SET);
	return 0;
}

int
hv_bringup_rndis_query(struct hv_bringup *b, uint32_t oid)
{
	int rc;

	if (b == NULL)
		return -EINVAL;
	rc = op_start_check(b);
	if (rc != 0)
		return rc;
	b->single_query = true;
	b->cur_oid = oid;
	b->op_end = HV_BU_S_READY;
	enter(b, HV_BU_S_QUERY);
	return 0;
}

int
hv_bringup_teardown(struct hv_bringup *b)
{
	if (b == NULL)
		return -EINVAL;
	if (b->state == HV_BU_S_IDLE || b->state == HV_BU_S_CLOSED)
		return -EPROTO;
	hv_xact_cancel_all(&b->xact);
	b->single_query = false;
	b->up = false;
	b->op_end = HV_BU_S_CLOSED;
	enter(b, b->rndis_up ? HV_BU_S_HALT : HV_BU_S_REVOKE_RECV);
	return 0;
}

/* ---- building requests ---- */

static void
out_inband(struct hv_bu_out *out, int len, uint64_t id, bool rc)
{
	out->action = HV_BU_SEND;
	out->send_kind = HV_BU_SEND_INBAND;
	out->msg_len = (uint32_t)len;
	out->trans_id = id;
	out->completion_requested = rc;
}

/* An NVSP request that expects a completion of kind. */
static int
send_nvsp_rc(struct hv_bringup *b, struct hv_bu_out *out, uint32_t kind,
	     int len)
{
	int rc;

	if (len < 0)
		return len;
	rc = hv_xact_register(&b->xact, kind, b->state, UINT64_MAX,
			      &b->nvsp_id);
	if (rc != 0)
		return rc;
	out_inband(out, len, b->nvsp_id, true);
	b->sent = true;
	return 0;
}

/*
 * Ship the RNDIS message of len bytes already in rndis_buf whose request
 * id is rid (0: none expected, e.g. HALT) inside a SEND_RNDIS_PKT.
 */
static int
send_rndis(struct hv_bringup *b, struct hv_bu_out *out, int len)
{
	int n, rc;

	if (len < 0)
		return len;
	n = nvsp_build_rndis_pkt(out->msg, sizeof(out->msg),
				 NVSP_CHANNEL_TYPE_CONTROL,
				 NVSP_SECTION_INDEX_NONE, 0);
	if (n < 0)
		return n;
	rc = hv_xact_register(&b->xact, HV_XACT_NVSP_RNDIS_CTL, b->state,
			      UINT64_MAX, &b->nvsp_id);
	if (rc != 0)
		return rc;
	out_inband(out, n, b->nvsp_id, true);
	out->send_kind = HV_BU_SEND_RNDIS;
	out->rndis_gpa = b->cfg.rndis_buf_gpa;
	out->rndis_len = (uint32_t)len;
	b->sent = true;
	b->need_comp = true;
	return 0;
}

/* Register an RNDIS request id of kind; the message is built after. */
static int
new_rid(struct hv_bringup *b, uint32_t kind)
{
	int rc = hv_xact_register(&b->xact, kind, b->state, UINT64_MAX,
				  &b->rndis_id);

	if (rc == 0)
		b->need_reply = true;
	return rc;
}

static int
build_query(struct hv_bringup *b)
{
	uint8_t in[sizeof(struct ndis_obj_hdr)];
	const void *info = NULL;
	uint32_t info_len = 0, oid;
	int rc;

	/* A single query (hv_bringup_rndis_query) set cur_oid itself. */
	if (!b->single_query)
		b->cur_oid = bu_queries[b->query_idx].oid;
	oid = b->cur_oid;
	if (oid == RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES) {
		bool v3 = b->res.nvsp_version >= NVSP_VERSION_5;

		rc = ndis_obj_hdr_build(in, sizeof(in), NDIS_OBJTYPE_OFFLOAD,
			v3 ? NDIS_OFFLOAD_REV_3 : NDIS_OFFLOAD_REV_2,
			v3 ? NDIS_OFFLOAD_SIZE_3 : NDIS_OFFLOAD_SIZE_2);
		info = in;
		info_len = sizeof(in);
	} else if (oid == RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES) {
		rc = ndis_obj_hdr_build(in, sizeof(in), NDIS_OBJTYPE_RSS_CAPS,
					NDIS_RSS_CAPS_REV_2,
					NDIS_RSS_CAPS_SIZE_2);
		info = in;
		info_len = sizeof(in);
	} else {
		rc = 0;
	}
	if (rc < 0)
		return rc;
	rc = new_rid(b, HV_XACT_RNDIS_QUERY);
	if (rc != 0)
		return rc;
	return rndis_query_req_build(b->cfg.rndis_buf, b->cfg.rndis_buf_size,
				     (uint32_t)b->rndis_id, oid, info,
				     info_len);
}

/* Patch the request id into the SET built by hv_bringup_rndis_set. */
static int
build_set(struct hv_bringup *b)
{
	struct rndis_rid_req h;
	int rc = new_rid(b, HV_XACT_RNDIS_SET);

	if (rc != 0)
		return rc;
	memcpy(&h, b->cfg.rndis_buf, sizeof(h));
	h.rid = (uint32_t)b->rndis_id;
	memcpy(b->cfg.rndis_buf, &h, sizeof(h));
	return (int)b->set_len;
}

/* HALT has no reply: its rid is retired at once, so any reply is late. */
static int
build_halt(struct hv_bringup *b)
{
	uint64_t rid;
	int rc = hv_xact_register(&b->xact, HV_XACT_RNDIS_KEEPALIVE, 0,
				  UINT64_MAX, &rid);

	if (rc != 0)
		return rc;
	hv_xact_cancel(&b->xact, rid, NULL);
	return rndis_halt_req_build(b->cfg.rndis_buf, b->cfg.rndis_buf_size,
				    (uint32_t)rid);
}

/* Set-up requests: NVSP messages of the bring-up. */
static int
produce_setup(struct hv_bringup *b, struct hv_bu_out *out)
{
	struct hv_bringup_result *r = &b->res;
	uint8_t *m = out->msg;
	const size_t ms = sizeof(out->msg);
	int len;

	switch (b->state) {
	case HV_BU_S_NVSP_INIT:
		return send_nvsp_rc(b, out, HV_XACT_NVSP_INIT,
			nvsp_build_init(m, ms, nvsp_versions[b->version_idx]));
	case HV_BU_S_NDIS_CONFIG:
		r->mtu = b->cfg.mtu;
		r->ndis_caps = caps_for_version(b->cfg.ndis_caps,
						r->nvsp_version);
		len = nvsp_build_ndis_config(m, ms, r->mtu, r->ndis_caps);
		if (len >= 0)
			out_inband(out, len, 0, false);
		enter(b, HV_BU_S_NDIS_VERSION);
		return len < 0 ? len : 0;
	case HV_BU_S_NDIS_VERSION:
		r->ndis_version = nvsp_ndis_version(r->nvsp_version);
		len = nvsp_build_ndis_version(m, ms, r->ndis_version);
		if (len >= 0)
			out_inband(out, len, 0, false);
		enter(b, HV_BU_S_RECV_BUF);
		return len < 0 ? len : 0;
	case HV_BU_S_RECV_BUF:
		b->recv_buf_sent = true;
		return send_nvsp_rc(b, out, HV_XACT_NVSP_RECV_BUF,
			nvsp_build_send_recv_buf(m, ms, b->cfg.recv_buf_gpadl,
						 NVSP_RECV_BUF_ID));
	case HV_BU_S_SEND_BUF:
		b->send_buf_sent = true;
		return send_nvsp_rc(b, out, HV_XACT_NVSP_SEND_BUF,
			nvsp_build_send_send_buf(m, ms, b->cfg.send_buf_gpadl,
						 NVSP_SEND_BUF_ID));
	case HV_BU_S_SUBCHANNEL:
		return send_nvsp_rc(b, out, HV_XACT_NVSP_SUBCHANNEL,
			nvsp_build_subchannel_req(m, ms, b->subch_req));
	default:
		return -ENOENT;
	}
}

/* RNDIS requests and the teardown. */
static int
produce_rndis(struct hv_bringup *b, struct hv_bu_out *out)
{
	int len, rc;

	switch (b->state) {
	case HV_BU_S_RNDIS_INIT:
		rc = new_rid(b, HV_XACT_RNDIS_INIT);
		if (rc != 0)
			return rc;
		return send_rndis(b, out, rndis_init_req_build(b->cfg.rndis_buf,
				b->cfg.rndis_buf_size, (uint32_t)b->rndis_id,
				b->cfg.rndis_max_xfer));
	case HV_BU_S_QUERY:
		return send_rndis(b, out, build_query(b));
	case HV_BU_S_RNDIS_SET:
		return send_rndis(b, out, build_set(b));
	case HV_BU_S_HALT:
		return send_rndis(b, out, build_halt(b));
	case HV_BU_S_REVOKE_RECV:
		len = b->recv_buf_sent ?
			nvsp_build_revoke_recv_buf(out->msg, sizeof(out->msg),
						   NVSP_RECV_BUF_ID) : 0;
		b->recv_buf_sent = false;
		enter(b, HV_BU_S_REVOKE_SEND);
		break;
	case HV_BU_S_REVOKE_SEND:
		len = b->send_buf_sent ?
			nvsp_build_revoke_send_buf(out->msg, sizeof(out->msg),
						   NVSP_SEND_BUF_ID) : 0;
		b->send_buf_sent = false;
		b->rndis_up = false;
		enter(b, HV_BU_S_CLOSED);
		break;
	default:
		return -ENOENT;
	}
	if (len > 0)
		out_inband(out, len, 0, false);
	return len < 0 ? len : 0;
}

static void
produce(struct hv_bringup *b, struct hv_bu_out *out)
{
	int rc;

	if (b->state == HV_BU_S_FAILED) {
		out->action = HV_BU_ERROR;
		out->error = b->error;
		out->err = b->err;
		out->state = b->fail_state;
		return;
	}
	if (b->state == HV_BU_S_READY || b->state == HV_BU_S_CLOSED ||
	    b->state == HV_BU_S_IDLE) {
		out->action = HV_BU_DONE;
		return;
	}
	if (b->sent) {
		out->action = HV_BU_WAIT;
		return;
	}
	rc = produce_setup(b, out);
	if (rc == -ENOENT)
		rc = produce_rndis(b, out);
	if (rc != 0) {
		fail(b, HV_BU_ERR_BUILD, rc);
		produce(b, out);
	} else if (out->action != HV_BU_SEND) {
		/* A revoke with nothing to revoke: go on at once. */
		produce(b, out);
	}
}

/* ---- answers ---- */

/* The next query this NVSP version has, from query_idx on, or READY. */
static void
next_query(struct hv_bringup *b)
{
	while (b->query_idx < BU_NQUERIES &&
	       bu_queries[b->query_idx].min_version > b->res.nvsp_version)
		b->query_idx++;
	if (b->query_idx < BU_NQUERIES) {
		enter(b, HV_BU_S_QUERY);
	} else {
		b->up = true;
		enter(b, b->op_end);
	}
}

/* Both halves of an RNDIS exchange are in: move on. */
static void
rndis_advance(struct hv_bringup *b)
{
	if (b->state == HV_BU_S_FAILED || b->need_comp || b->need_reply)
		return;
	switch (b->state) {
	case HV_BU_S_RNDIS_INIT:
		b->query_idx = 0;
		next_query(b);
		break;
	case HV_BU_S_QUERY:
		if (b->single_query) {
			b->single_query = false;
			enter(b, b->op_end);
			break;
		}
		b->query_idx++;
		next_query(b);
		break;
	case HV_BU_S_HALT:
		enter(b, HV_BU_S_REVOKE_RECV);
		break;
	default:
		enter(b, b->op_end);
		break;
	}
}

static void
on_init_complete(struct hv_bringup *b, const struct hv_bu_in *in)
{
	struct nvsp_init_info ii;
	int rc = nvsp_parse_init_complete(in->buf, in->len, &ii);
	uint32_t next = b->version_idx + 1;

	if (rc == 0) {
		b->res.nvsp_version = nvsp_versions[b->version_idx];
		enter(b, HV_BU_S_NDIS_CONFIG);
	} else if (rc == -ENOTSUP) {
		/* Exact-version hosts refuse all but one: try the next. */
		b->stats.refused++;
		if (next < NVSP_VERSION_COUNT &&
		    nvsp_versions[next] >= b->cfg.nvsp_min_version) {
			b->version_idx = next;
			enter(b, HV_BU_S_NVSP_INIT);
		} else {
			fail(b, HV_BU_ERR_NO_VERSION, rc);
		}
	} else {
		fail(b, HV_BU_ERR_NVSP_INIT, rc);
	}
}

static void
on_buf_complete(struct hv_bringup *b, const struct hv_bu_in *in, bool recv)
{
	struct nvsp_recv_buf_info ri;
	struct nvsp_send_buf_info si;
	int rc;

	if (recv) {
		rc = nvsp_parse_recv_buf_complete(in->buf, in->len,
						  b->cfg.recv_buf_size, &ri);
		if (rc != 0)
			return fail(b, HV_BU_ERR_RECV_BUF, rc);
		b->res.recv_section_size = ri.sub_alloc_size;
		b->res.recv_section_count = ri.num_sub_allocs;
		enter(b, b->cfg.send_buf_size != 0 ? HV_BU_S_SEND_BUF :
						     HV_BU_S_RNDIS_INIT);
		return;
	}
	rc = nvsp_parse_send_buf_complete(in->buf, in->len,
					  b->cfg.send_buf_size, &si);
	if (rc != 0)
		return fail(b, HV_BU_ERR_SEND_BUF, rc);
	b->res.send_section_size = si.section_size;
	b->res.send_section_count = si.section_count;
	enter(b, HV_BU_S_RNDIS_INIT);
}

static void
on_subchannel(struct hv_bringup *b, const struct hv_bu_in *in)
{
	struct nvsp_subchannel_info si;
	int rc = nvsp_parse_subchannel_resp(in->buf, in->len, b->subch_req,
					    &si);

	if (rc != 0)
		return fail(b, HV_BU_ERR_SUBCHANNEL, rc);
	b->res.num_subchannels = si.num_subchannels;
	b->res.valid |= HV_BU_HAVE_SUBCHANNELS;
	enter(b, b->op_end);
}

static void
on_rndis_pkt_complete(struct hv_bringup *b, const struct hv_bu_in *in)
{
	uint32_t status;
	int rc = nvsp_parse_rndis_pkt_complete(in->buf, in->len, &status);

	b->need_comp = false;
	/* HALT is best effort: the buffer is free either way. */
	if (b->state != HV_BU_S_HALT &&
	    (rc != 0 || status != NVSP_STATUS_SUCCESS))
		return fail(b, HV_BU_ERR_RNDIS_SEND, rc != 0 ? rc : -EIO);
	rndis_advance(b);
}

/* Reply kind of an NVSP completion by message type; -1 if none. */
static int
nvsp_reply_kind(uint32_t type)
{
	switch (type) {
	case NVSP_MSG_TYPE_INIT_COMPLETE:
		return HV_XACT_NVSP_INIT;
	case NVSP_MSG_TYPE_SEND_RECV_BUF_COMPLETE:
		return HV_XACT_NVSP_RECV_BUF;
	case NVSP_MSG_TYPE_SEND_SEND_BUF_COMPLETE:
		return HV_XACT_NVSP_SEND_BUF;
	case NVSP_MSG_TYPE_SUBCHANNEL:
		return HV_XACT_NVSP_SUBCHANNEL;
	case NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE:
		return HV_XACT_NVSP_RNDIS_CTL;
	default:
		return -1;
	}
}

static int
on_completion(struct hv_bringup *b, const struct hv_bu_in *in)
{
	struct hv_xact_done d;
	uint32_t type;
	int kind, rc;

	if (nvsp_msg_type(in->buf, in->len, &type) != 0 ||
	    (kind = nvsp_reply_kind(type)) < 0) {
		/* Empty completions answer nothing the session sends. */
		b->stats.malformed++;
		return -EPROTO;
	}
	rc = hv_xact_complete(&b->xact, in->trans_id, (uint32_t)kind, &d);
	if (rc != 0)
		return rc;
	/* Cancelled on every state change, so the cookie always matches. */
	if (d.cookie != b->state)
		return -EPROTO;
	switch (kind) {
	case HV_XACT_NVSP_INIT:
		on_init_complete(b, in);
		break;
	case HV_XACT_NVSP_RECV_BUF:
	case HV_XACT_NVSP_SEND_BUF:
		on_buf_complete(b, in, kind == HV_XACT_NVSP_RECV_BUF);
		break;
	case HV_XACT_NVSP_SUBCHANNEL:
		on_subchannel(b, in);
		break;
	default:
		on_rndis_pkt_complete(b, in);
		break;
	}
	return 0;
}

/* Unsolicited NVSP messages: recorded whatever the state. */
static int
on_note(struct hv_bringup *b, const struct hv_bu_in *in)
{
	struct nvsp_indirection_info tbl;
	struct nvsp_vf_info vf;
	uint32_t type;
	int rc;

	if (nvsp_msg_type(in->buf, in->len, &type) != 0) {
		b->stats.malformed++;
		return -EINVAL;
	}
	if (type == NVSP_MSG_TYPE_SEND_VF_ASSOCIATION) {
		rc = nvsp_parse_vf_association(in->buf, in->len, &vf);
		if (rc == 0) {
			b->res.vf_allocated = vf.allocated;
			b->res.vf_serial = vf.serial;
			b->res.valid |= HV_BU_HAVE_VF;
			b->events |= HV_BU_EV_VF;
		}
	} else if (type == NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE) {
		/* Parsed aside: a bad table must not wipe a good one. */
		rc = nvsp_parse_indirection_table(in->buf, in->len,
						  b->res.nvsp_version, &tbl);
		if (rc == 0) {
			b->res.indirection = tbl;
			b->res.valid |= HV_BU_HAVE_INDIRECTION;
			b->events |= HV_BU_EV_INDIRECTION;
		}
	} else {
		b->stats.ignored++;
		return 0;
	}
	if (rc != 0)
		b->stats.malformed++;
	return rc;
}

static void
on_indication(struct hv_bringup *b, const struct hv_bu_in *in)
{
	struct rndis_status_ind ind;
	uint32_t speed;

	if (rndis_indicate_status_parse(in->buf, in->len, &ind) != 0) {
		b->stats.malformed++;
		return;
	}
	switch (ind.status) {
	case RNDIS_STATUS_MEDIA_CONNECT:
	case RNDIS_STATUS_MEDIA_DISCONNECT:
		b->res.link_up = ind.status == RNDIS_STATUS_MEDIA_CONNECT;
		b->res.valid |= HV_BU_HAVE_LINK;
		b->events |= HV_BU_EV_LINK;
		break;
	case RNDIS_STATUS_LINK_SPEED_CHANGE:
		if (rndis_status_link_speed(&ind, &speed) != 0) {
			b->stats.malformed++;
			break;
		}
		b->res.link_speed = speed;
		b->res.valid |= HV_BU_HAVE_LINK_SPEED;
		b->events |= HV_BU_EV_LINK;
		break;
	default:
		b->stats.ignored++;
		break;
	}
}

static bool
info_u32(const struct rndis_query_result *qr, uint32_t *v)
{
	if (qr->info_len < sizeof(*v))
		return false;
	memcpy(v, qr->info, sizeof(*v));
	return true;
}

/* Store a successful query's answer: 0 or -EINVAL (unusable). */
static int
query_store(struct hv_bringup *b, const struct rndis_query_result *qr)
{
	struct hv_bringup_result *r = &b->res;
	struct ndis_rss_caps_info rss;
	struct ndis_offload off;
	uint32_t v;

	switch (b->cur_oid) {
	case RNDIS_OID_802_3_PERMANENT_ADDRESS:
		if (qr->info_len < sizeof(r->mac))
			return -EINVAL;
		memcpy(r->mac, qr->info, sizeof(r->mac));
		return 0;
	case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
		if (!info_u32(qr, &v))
			return -EINVAL;
		r->max_frame_size = v;
		r->valid |= HV_BU_HAVE_MAX_FRAME;
		return 0;
	case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
		if (!info_u32(qr, &v))
			return -EINVAL;
		r->link_up = v == RNDIS_MEDIA_STATE_CONNECTED;
		r->valid |= HV_BU_HAVE_LINK;
		return 0;
	case RNDIS_OID_GEN_LINK_SPEED:
		if (!info_u32(qr, &v))
			return -EINVAL;
		r->link_speed = v;
		r->valid |= HV_BU_HAVE_LINK_SPEED;
		return 0;
	case RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
		if (ndis_offload_parse(qr->info, qr->info_len, &off) != 0)
			return -EINVAL;
		r->offload = off;
		r->valid |= HV_BU_HAVE_OFFLOAD;
		return 0;
	case RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES:
		if (ndis_rss_caps_parse(qr->info, qr->info_len, &rss) != 0)
			return -EINVAL;
		r->rss = rss;
		r->valid |= HV_BU_HAVE_RSS;
		return 0;
	default: /* only a single query asks for others: raw bytes only */
		return 0;
	}
}

/* The raw answer of a single query, cut to what the result holds. */
static void
query_raw(struct hv_bringup *b, const struct rndis_query_result *qr)
{
	struct hv_bringup_result *r = &b->res;
	uint32_t n = qr->info_len;

	if (n > sizeof(r->query_info))
		n = sizeof(r->query_info);
	memset(r->query_info, 0, sizeof(r->query_info));
	if (n != 0)
		memcpy(r->query_info, qr->info, n);
	r->query_len = qr->info_len;
}

static void
on_query_cmplt(struct hv_bringup *b, const struct hv_bu_in *in)
{
	struct rndis_query_result qr;
	int rc = rndis_query_cmplt_parse(in->buf, in->len, &qr);

	if (b->single_query) {
		b->res.query_status = qr.status;
		b->res.query_len = 0;
		if (rc == 0)
			query_raw(b, &qr);
	}
	if (rc == 0)
		rc = query_store(b, &qr);
	if (rc != 0 && rc != -EIO)
		b->stats.malformed++;
	/* Optional answers may be missing (NOT_SUPPORTED) or unusable;
	 * a single query's refusal is the caller's to judge. */
	if (rc != 0 && !b->single_query && bu_queries[b->query_idx].required)
		return fail(b, HV_BU_ERR_QUERY, rc);
	if (rc != 0 && rc != -EIO && b->single_query)
		return fail(b, HV_BU_ERR_QUERY, rc);
	b->need_reply = false;
	rndis_advance(b);
}

static void
on_rndis_reply(struct hv_bringup *b, const struct hv_bu_in *in,
	       uint32_t kind)
{
	struct rndis_cmplt_result cr;
	struct rndis_init_info ii;
	int rc;

	if (kind == HV_XACT_RNDIS_QUERY)
		return on_query_cmplt(b, in);
	if (kind == HV_XACT_RNDIS_INIT) {
		rc = rndis_init_cmplt_parse(in->buf, in->len, &ii);
		if (rc != 0)
			return fail(b, HV_BU_ERR_RNDIS_INIT, rc);
		b->res.rndis = ii;
		b->res.rndis_pkt_align = rndis_init_pkt_align(&ii);
		b->rndis_up = true;
	} else {
		/* A refused SET is an answer; the caller judges it. */
		rc = rndis_set_cmplt_parse(in->buf, in->len, &cr);
		if (rc != 0 && rc != -EIO)
			return fail(b, HV_BU_ERR_SET, rc);
		b->res.set_status = cr.status;
	}
	b->need_reply = false;
	rndis_advance(b);
}

static int
on_rndis(struct hv_bringup *b, const struct hv_bu_in *in)
{
	struct rndis_peek pk;
	struct hv_xact_done d;
	uint32_t kind;
	int rc;

	if (rndis_msg_peek(in->buf, in->len, &pk) != 0) {
		b->stats.malformed++;
		return -EINVAL;
	}
	switch (pk.type) {
	case RNDIS_MSG_INDICATE_STATUS:
		on_indication(b, in);
		return 0;
	case RNDIS_MSG_PACKET:
		b->stats.ignored++;
		return 0;
	case RNDIS_MSG_INIT_CMPLT:
		kind = HV_XACT_RNDIS_INIT;
		break;
	case RNDIS_MSG_QUERY_CMPLT:
		kind = HV_XACT_RNDIS_QUERY;
		break;
	case RNDIS_MSG_SET_CMPLT:
		kind = HV_XACT_RNDIS_SET;
		break;
	case RNDIS_MSG_KEEPALIVE_CMPLT:
		kind = HV_XACT_RNDIS_KEEPALIVE;
		break;
	default:
		/* RESET_CMPLT and the like: nothing the session asked for. */
		b->stats.malformed++;
		return -EPROTO;
	}
	rc = hv_xact_complete(&b->xact, pk.rid, kind, &d);
	if (rc != 0)
		return rc;
	if (d.cookie != b->state)
		return -EPROTO;
	on_rndis_reply(b, in, kind);
	return 0;
}

static int
on_timeout(struct hv_bringup *b)
{
	if (!op_running(b) || !b->sent)
		return 0;
	if (b->state == HV_BU_S_HALT) {
		/* Hosts may ignore HALT altogether: revoke anyway. */
		hv_xact_cancel_all(&b->xact);
		enter(b, HV_BU_S_REVOKE_RECV);
		return 0;
	}
	fail(b, HV_BU_ERR_TIMEOUT, -ETIMEDOUT);
	return 0;
}

int
hv_bringup_step(struct hv_bringup *b, const struct hv_bu_in *in,
		struct hv_bu_out *out)
{
	int rc = 0;

	if (b == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	b->events = 0;
	if (in != NULL && in->type != HV_BU_IN_NONE) {
		if ((in->type == HV_BU_IN_NVSP || in->type == HV_BU_IN_RNDIS) &&
		    in->buf == NULL && in->len != 0) {
			rc = -EINVAL;
		} else if (in->type == HV_BU_IN_NVSP) {
			rc = in->completion ? on_completion(b, in) :
					      on_note(b, in);
		} else if (in->type == HV_BU_IN_RNDIS) {
			rc = on_rndis(b, in);
		} else if (in->type == HV_BU_IN_TIMEOUT) {
			rc = on_timeout(b);
		} else {
			rc = -EINVAL;
		}
	}
	produce(b, out);
	out->events = b->events;
	return rc;
}

const char *
hv_bringup_state_name(uint32_t state)
{
	static const char *const names[] = {
		[HV_BU_S_IDLE] = "idle",
		[HV_BU_S_NVSP_INIT] = "nvsp-init",
		[HV_BU_S_NDIS_CONFIG] = "ndis-config",
		[HV_BU_S_NDIS_VERSION] = "ndis-version",
		[HV_BU_S_RECV_BUF] = "recv-buf",
		[HV_BU_S_SEND_BUF] = "send-buf",
		[HV_BU_S_RNDIS_INIT] = "rndis-init",
		[HV_BU_S_QUERY] = "rndis-query",
		[HV_BU_S_READY] = "ready",
		[HV_BU_S_SUBCHANNEL] = "subchannel",
		[HV_BU_S_RNDIS_SET] = "rndis-set",
		[HV_BU_S_HALT] = "rndis-halt",
		[HV_BU_S_REVOKE_RECV] = "revoke-recv-buf",
		[HV_BU_S_REVOKE_SEND] = "revoke-send-buf",
		[HV_BU_S_CLOSED] = "closed",
		[HV_BU_S_FAILED] = "failed",
	};

	return state < HV_ARRAY_SIZE(names) ? names[state] : "?";
}

const char *
hv_bringup_error_name(uint32_t error)
{
	static const char *const names[] = {
		[HV_BU_ERR_NONE] = "none",
		[HV_BU_ERR_TIMEOUT] = "timeout",
		[HV_BU_ERR_NO_VERSION] = "no NVSP version accepted",
		[HV_BU_ERR_NVSP_INIT] = "bad INIT_COMPLETE",
		[HV_BU_ERR_RECV_BUF] = "receive buffer refused",
		[HV_BU_ERR_SEND_BUF] = "send buffer refused",
		[HV_BU_ERR_RNDIS_INIT] = "RNDIS INITIALIZE failed",
		[HV_BU_ERR_QUERY] = "required RNDIS query failed",
		[HV_BU_ERR_SUBCHANNEL] = "subchannel request failed",
		[HV_BU_ERR_SET] = "bad RNDIS SET completion",
		[HV_BU_ERR_RNDIS_SEND] = "host failed an RNDIS packet",
		[HV_BU_ERR_BUILD] = "request did not fit",
	};

	return error < HV_ARRAY_SIZE(names) ? names[error] : "?";
}
