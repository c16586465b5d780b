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

#include "hv_bringup_priv.h"
#include "rndis_wire.h"
/* ---- small helpers ---- */

void
hv_bu_fail(struct hv_bringup *b, uint32_t error, int err)
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

void
hv_bu_enter(struct hv_bringup *b, uint32_t state)
{
	b->state = state;
	b->sent = false;
	b->need_comp = false;
	b->need_reply = false;
}

bool
hv_bu_op_running(const struct hv_bringup *b)
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
	if (hv_bu_op_running(b))
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
	hv_bu_enter(b, HV_BU_S_NVSP_INIT);
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
	hv_bu_enter(b, HV_BU_S_SUBCHANNEL);
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
	hv_bu_enter(b, HV_BU_S_RNDIS_SET);
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
	hv_bu_enter(b, HV_BU_S_QUERY);
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
	hv_bu_enter(b, b->rndis_up ? HV_BU_S_HALT : HV_BU_S_REVOKE_RECV);
	return 0;
}

bool
hv_bringup_rndis_buf_lent(const struct hv_bringup *b)
{
	return b != NULL && b->rndis_buf_lent;
}

int
hv_bringup_set_rndis_buf(struct hv_bringup *b, void *buf, uint32_t size,
			 uint64_t gpa)
{
	if (b == NULL || buf == NULL || size < HV_BU_RNDIS_BUF_MIN)
		return -EINVAL;
	if (hv_bu_op_running(b))
		return -EBUSY;
	b->cfg.rndis_buf = buf;
	b->cfg.rndis_buf_size = size;
	b->cfg.rndis_buf_gpa = gpa;
	b->rndis_buf_lent = false;
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
	b->rndis_buf_lent = true;
	b->lent_id = b->nvsp_id;
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
		b->cur_oid = hv_bu_queries[b->query_idx].oid;
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
		hv_bu_enter(b, HV_BU_S_NDIS_VERSION);
		return len < 0 ? len : 0;
	case HV_BU_S_NDIS_VERSION:
		r->ndis_version = nvsp_ndis_version(r->nvsp_version);
		len = nvsp_build_ndis_version(m, ms, r->ndis_version);
		if (len >= 0)
			out_inband(out, len, 0, false);
		hv_bu_enter(b, HV_BU_S_RECV_BUF);
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
		hv_bu_enter(b, HV_BU_S_REVOKE_SEND);
		break;
	case HV_BU_S_REVOKE_SEND:
		len = b->send_buf_sent ?
			nvsp_build_revoke_send_buf(out->msg, sizeof(out->msg),
						   NVSP_SEND_BUF_ID) : 0;
		b->send_buf_sent = false;
		b->rndis_up = false;
		hv_bu_enter(b, HV_BU_S_CLOSED);
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
		hv_bu_fail(b, HV_BU_ERR_BUILD, rc);
		produce(b, out);
	} else if (out->action != HV_BU_SEND) {
		/* A revoke with nothing to revoke: go on at once. */
		produce(b, out);
	}
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
	if (in != NULL && in->type != HV_BU_IN_NONE)
		rc = hv_bu_on_input(b, in);
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
