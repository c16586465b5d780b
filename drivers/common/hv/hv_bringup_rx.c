/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session's inputs (see hv_bringup.h): host answers matched through
 * the transaction table, validated with the core's parsers and stored in
 * the result; unsolicited notes and indications; the caller's timeouts.
 * A matched answer moves the state machine on; hv_bringup.c then builds
 * the next request.
 */
#include <errno.h>
#include <string.h>

#include "hv_bringup_priv.h"
#include "rndis_wire.h"

/* Queries of the bring-up, in order. */
const struct hv_bu_query hv_bu_queries[HV_BU_NQUERIES] = {
	{ RNDIS_OID_802_3_PERMANENT_ADDRESS, true, 0 },
	{ RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, false, 0 },
	{ RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, false, 0 },
	{ RNDIS_OID_GEN_LINK_SPEED, false, 0 },
	{ RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, false, 0 },
	{ RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES, false, NVSP_VERSION_5 },
};

/* ---- answers ---- */

/* The next query this NVSP version has, from query_idx on, or READY. */
static void
next_query(struct hv_bringup *b)
{
	while (b->query_idx < HV_BU_NQUERIES &&
	       hv_bu_queries[b->query_idx].min_version > b->res.nvsp_version)
		b->query_idx++;
	if (b->query_idx < HV_BU_NQUERIES) {
		hv_bu_enter(b, HV_BU_S_QUERY);
	} else {
		b->up = true;
		hv_bu_enter(b, b->op_end);
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
			hv_bu_enter(b, b->op_end);
			break;
		}
		b->query_idx++;
		next_query(b);
		break;
	case HV_BU_S_HALT:
		hv_bu_enter(b, HV_BU_S_REVOKE_RECV);
		break;
	default:
		hv_bu_enter(b, b->op_end);
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
		hv_bu_enter(b, HV_BU_S_NDIS_CONFIG);
	} else if (rc == -ENOTSUP) {
		/* Exact-version hosts refuse all but one: try the next. */
		b->stats.refused++;
		if (next < NVSP_VERSION_COUNT &&
		    nvsp_versions[next] >= b->cfg.nvsp_min_version) {
			b->version_idx = next;
			hv_bu_enter(b, HV_BU_S_NVSP_INIT);
		} else {
			hv_bu_fail(b, HV_BU_ERR_NO_VERSION, rc);
		}
	} else {
		hv_bu_fail(b, HV_BU_ERR_NVSP_INIT, rc);
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
			return hv_bu_fail(b, HV_BU_ERR_RECV_BUF, rc);
		b->res.recv_section_size = ri.sub_alloc_size;
		b->res.recv_section_count = ri.num_sub_allocs;
		hv_bu_enter(b, b->cfg.send_buf_size != 0 ? HV_BU_S_SEND_BUF :
						     HV_BU_S_RNDIS_INIT);
		return;
	}
	rc = nvsp_parse_send_buf_complete(in->buf, in->len,
					  b->cfg.send_buf_size, &si);
	if (rc != 0)
		return hv_bu_fail(b, HV_BU_ERR_SEND_BUF, rc);
	b->res.send_section_size = si.section_size;
	b->res.send_section_count = si.section_count;
	hv_bu_enter(b, HV_BU_S_RNDIS_INIT);
}

static void
on_subchannel(struct hv_bringup *b, const struct hv_bu_in *in)
{
	struct nvsp_subchannel_info si;
	int rc = nvsp_parse_subchannel_resp(in->buf, in->len, b->subch_req,
					    &si);

	if (rc != 0)
		return hv_bu_fail(b, HV_BU_ERR_SUBCHANNEL, rc);
	b->res.num_subchannels = si.num_subchannels;
	b->res.valid |= HV_BU_HAVE_SUBCHANNELS;
	hv_bu_enter(b, b->op_end);
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
		return hv_bu_fail(b, HV_BU_ERR_RNDIS_SEND, rc != 0 ? rc : -EIO);
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
	/* The packet that lent rndis_buf is done with it, even if late. */
	if ((rc == 0 || rc == -ETIME) && kind == HV_XACT_NVSP_RNDIS_CTL &&
	    in->trans_id == b->lent_id)
		b->rndis_buf_lent = false;
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
	if (rc != 0 && !b->single_query && hv_bu_queries[b->query_idx].required)
		return hv_bu_fail(b, HV_BU_ERR_QUERY, rc);
	if (rc != 0 && rc != -EIO && b->single_query)
		return hv_bu_fail(b, HV_BU_ERR_QUERY, rc);
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
			return hv_bu_fail(b, HV_BU_ERR_RNDIS_INIT, rc);
		b->res.rndis = ii;
		b->res.rndis_pkt_align = rndis_init_pkt_align(&ii);
		b->rndis_up = true;
	} else {
		/* A refused SET is an answer; the caller judges it. */
		rc = rndis_set_cmplt_parse(in->buf, in->len, &cr);
		if (rc != 0 && rc != -EIO)
			return hv_bu_fail(b, HV_BU_ERR_SET, rc);
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
	if (!hv_bu_op_running(b) || !b->sent)
		return 0;
	if (b->state == HV_BU_S_HALT) {
		/* Hosts may ignore HALT altogether: revoke anyway. */
		hv_xact_cancel_all(&b->xact);
		hv_bu_enter(b, HV_BU_S_REVOKE_RECV);
		return 0;
	}
	hv_bu_fail(b, HV_BU_ERR_TIMEOUT, -ETIMEDOUT);
	return 0;
}

int
hv_bu_on_input(struct hv_bringup *b, const struct hv_bu_in *in)
{
	if ((in->type == HV_BU_IN_NVSP || in->type == HV_BU_IN_RNDIS) &&
	    in->buf == NULL && in->len != 0)
		return -EINVAL;
	switch (in->type) {
	case HV_BU_IN_NVSP:
		return in->completion ? on_completion(b, in) : on_note(b, in);
	case HV_BU_IN_RNDIS:
		return on_rndis(b, in);
	case HV_BU_IN_TIMEOUT:
		return on_timeout(b);
	default:
		return -EINVAL;
	}
}
