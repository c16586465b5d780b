/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session with the host, driven through the core's step function
 * (hv_bringup.h): bring-up (NVSP 6.1 down to 2, NDIS config and version,
 * receive and send buffers, RNDIS init and queries), RNDIS SETs at run
 * time, the subchannel request and the teardown. This file only moves
 * messages and keeps time: every wait on the host ends after host_timeout
 * (devarg) with an error naming the step, a slow host is waited for.
 *
 * Control replies arrive on the primary channel mixed with data and Tx
 * completions; whoever reads that channel (the waiter here, or a data-path
 * burst on queue 0) queues them for the session while an op runs. Link
 * indications are also applied at once, whoever reads them.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_memzone.h>

#include "hn_var.h"
#include "hn_vf.h"
#include "ndis_obj.h"

/* Rate-limited: a hostile host must not flood the log. */
void
hn_bad(struct hn_chan *hc, enum hn_bad kind, const char *field, uint64_t value)
{
	static const char *const kinds[HN_BAD_KINDS] = {
		"packet", "nvsp", "range", "rndis", "frame length", "pageset",
		"transaction id", "duplicate transaction id", "control",
		"late transaction id",
	};
	uint64_t n = ++hc->bad[kind];
	uint64_t now = rte_get_timer_cycles();

	/* 1st, 2nd, 4th, 8th ... of each kind on each channel, and any
	 * other after half a second of quiet for that kind. */
	if ((n & (n - 1)) == 0 ||
	    now - hc->bad_logged[kind] >= rte_get_timer_hz() / 2) {
		hc->bad_logged[kind] = now;
		HN_LOG(WARNING, "port %u chan %u: bad host %s: %s = %" PRIu64
		       " (dropped; %" PRIu64 " so far)", hc->hv->port_id,
		       hc->idx, kinds[kind], field, value, n);
	}
}

static void
hn_lsc_alarm(void *arg)
{
	struct hn_data *hv = arg;
	struct rte_eth_dev *dev = hn_eth(hv);

	hv->lsc_pending = false;
	/* With LSC interrupts on, ethdev's link_get returns the stored link
	 * without asking us: store the new one before telling. */
	(void)dev->dev_ops->link_update(dev, 0);
	rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

static void
hn_link_changed(struct hn_data *hv)
{
	/* Not from here: the callback may call back into this port. */
	if (!hv->lsc_pending && hv->data->dev_conf.intr_conf.lsc) {
		hv->lsc_pending = true;
		if (rte_eal_alarm_set(10, hn_lsc_alarm, hv) != 0)
			hv->lsc_pending = false;
	}
}

void
hn_host_dead(struct hn_data *hv, int err)
{
	if (hv->dead)
		return;
	hv->dead = true;
	if (err == -EIO)
		HN_LOG(ERR, "port %u: corrupt VMBus ring (a bad descriptor from the"
		       " host): link down, the port must be closed and probed again",
		       hv->port_id);
	else
		HN_LOG(ERR, "port %u: host unreachable (%s): link down, no more"
		       " host I/O", hv->port_id, strerror(-err));
	if (hv->link_up) {
		hv->link_up = false;
		hn_link_changed(hv);
	}
}

static void
hn_status_ind(struct hn_chan *hc, const uint8_t *msg, uint32_t len)
{
	struct hn_data *hv = hc->hv;
	struct rndis_status_ind ind;
	uint32_t speed;
	bool up = hv->link_up;

	if (rndis_indicate_status_parse(msg, len, &ind) != 0) {
		hn_bad(hc, HN_BAD_CTL, "indicate status len", len);
		return;
	}
	switch (ind.status) {
	case RNDIS_STATUS_MEDIA_CONNECT:
		up = true;
		break;
	case RNDIS_STATUS_MEDIA_DISCONNECT:
		up = false;
		break;
	case RNDIS_STATUS_LINK_SPEED_CHANGE:
		if (rndis_status_link_speed(&ind, &speed) == 0 &&
		    speed != hv->link_speed) {
			hv->link_speed = speed;
			hn_link_changed(hv);
		}
		return;
	default:
		HN_LOG(DEBUG, "port %u: status 0x%08x ignored", hv->port_id,
		       ind.status);
		return;
	}
	if (up != hv->link_up) {
		hv->link_up = up;
		HN_LOG(INFO, "port %u: link %s", hv->port_id, up ? "up" : "down");
		hn_link_changed(hv);
	}
}

/* ---- Control input: queued for the session while an op runs ---- */

/*
 * A control reply the session's transaction table (hv_xact, inside
 * hv_bringup) refused: counted by why, with the id as the host sent it.
 */
static void
hn_ctl_refused(struct hn_chan *hc, uint32_t type, bool completion,
	       uint64_t xid, const void *buf, uint32_t len, int rc)
{
	const char *field = completion ? "control xid" : "nvsp inband type";
	uint64_t v = xid;
	struct rndis_peek pk;
	uint32_t t = 0;
	enum hn_bad kind;

	if (type == HV_BU_IN_RNDIS) {
		field = "rndis request id";
		v = rndis_msg_peek(buf, len, &pk) == 0 ? pk.rid : 0;
	}
	if (len >= sizeof(t))
		memcpy(&t, buf, sizeof(t));
	switch (rc) {
	case -ENOENT:
		kind = HN_BAD_XID;
		break;
	case -EALREADY:
		kind = HN_BAD_DUP_XID;
		break;
	case -ETIME:
		kind = HN_BAD_LATE_XID;
		break;
	default:
		/* Wrong type for the id, malformed, or nothing we asked for. */
		kind = type == HV_BU_IN_NVSP && !completion ? HN_BAD_NVSP :
			HN_BAD_CTL;
		field = type == HV_BU_IN_RNDIS ? "rndis reply type" :
			completion ? "nvsp reply type" : "nvsp inband type";
		v = t;
		break;
	}
	hn_bad(hc, kind, field, v);
}

/*
 * A reply while no op runs: still matched against the session's table,
 * which knows a late reply (its request timed out) or a duplicate from a
 * forged id. Called under the channel's lock by any reader: only a
 * trylock here (the op runner takes ctl_lock, then this channel's lock);
 * holding ctl_lock means no op runs, so the step only matches and counts.
 */
static void
hn_ctl_stray(struct hn_chan *hc, uint32_t type, bool completion,
	     uint64_t xid, const void *buf, uint32_t len)
{
	struct hn_data *hv = hc->hv;
	struct hv_bu_in in = {
		.type = type, .completion = completion,
		.trans_id = xid & ~HN_XID_CTL, .buf = buf, .len = len,
	};
	struct hv_bu_out out;
	int rc = -ENOENT;

	if (hc->idx == 0 && hv->session_started &&
	    rte_spinlock_trylock(&hv->ctl_lock)) {
		rc = hv_bringup_step(&hv->bu, &in, &out);
		rte_spinlock_unlock(&hv->ctl_lock);
	}
	if (rc != 0)
		hn_ctl_refused(hc, type, completion, xid, buf, len, rc);
}

static void
hn_ctl_enqueue(struct hn_chan *hc, uint32_t type, bool completion,
	       uint64_t xid, const void *buf, uint32_t len)
{
	struct hn_data *hv = hc->hv;
	struct hn_ctl_in *e;

	if (hv->ctlq_n == HN_CTLQ_LEN || len > HN_CTL_MSG_MAX) {
		hn_bad(hc, HN_BAD_CTL, "control message len", len);
		return;
	}
	e = &hv->ctlq[(hv->ctlq_head + hv->ctlq_n) % HN_CTLQ_LEN];
	e->type = type;
	e->completion = completion;
	e->trans_id = xid;
	e->len = len;
	memcpy(e->buf, buf, len);
	hv->ctlq_n++;
}

/* One RNDIS control message out of the receive buffer. */
void
hn_ctl_rndis_msg(struct hn_chan *hc, const uint8_t *shared, uint32_t len)
{
	struct hn_data *hv = hc->hv;
	struct rndis_peek pk;
	uint8_t msg[HN_CTL_MSG_MAX];
	uint32_t n = RTE_MIN(len, (uint32_t)sizeof(msg));

	/* Copy first: the host may rewrite its buffer while we parse. */
	memcpy(msg, shared, n);
	if (rndis_msg_peek(msg, n, &pk) != 0) {
		hn_bad(hc, HN_BAD_CTL, "rndis msg_len", n);
		return;
	}
	if (pk.type == RNDIS_MSG_INDICATE_STATUS)
		hn_status_ind(hc, msg, n);
	if (hv->bu_busy)
		hn_ctl_enqueue(hc, HV_BU_IN_RNDIS, false, 0, msg, n);
	else if (pk.type != RNDIS_MSG_INDICATE_STATUS)
		hn_ctl_stray(hc, HV_BU_IN_RNDIS, false, 0, msg, n);
}

void
hn_ctl_comp(struct hn_chan *hc, const struct vmbus_pkt_info *pi)
{
	struct hn_data *hv = hc->hv;

	if (hc->idx == 0 && pi->trans_id == HN_XID_VF_SWITCH) {
		hn_vf_switch_comp(hv);
		return;
	}
	/* The session matches ids (and says why a misfit is refused). */
	if (hc->idx == 0 && hv->bu_busy)
		hn_ctl_enqueue(hc, HV_BU_IN_NVSP, true, pi->trans_id,
			       pi->payload, pi->payload_len);
	else
		hn_ctl_stray(hc, HV_BU_IN_NVSP, true, pi->trans_id, pi->payload,
			     pi->payload_len);
}

void
hn_ctl_inband(struct hn_chan *hc, const struct vmbus_pkt_info *pi)
{
	struct hn_data *hv = hc->hv;
	struct nvsp_vf_info vf;
	uint32_t type, dp;

	if (nvsp_msg_type(pi->payload, pi->payload_len, &type) != 0) {
		hn_bad(hc, HN_BAD_NVSP, "inband len", pi->payload_len);
		return;
	}
	/* Never a session reply: the VF association may come in the middle
	 * of bring-up (right after RNDIS INIT) and must not be lost. */
	if (type == NVSP_MSG_TYPE_SEND_VF_ASSOCIATION) {
		if (nvsp_parse_vf_association(pi->payload, pi->payload_len, &vf) != 0)
			hn_bad(hc, HN_BAD_NVSP, "vf association", pi->payload_len);
		else
			hn_vf_host_assoc(hv, vf.allocated, vf.serial);
		return;
	}
	if (type == NVSP_MSG_TYPE_SWITCH_DATA_PATH) {
		if (nvsp_parse_switch_data_path(pi->payload, pi->payload_len, &dp) != 0)
			hn_bad(hc, HN_BAD_NVSP, "switch data path", pi->payload_len);
		else
			hn_vf_host_switch(hv, dp);
		return;
	}
	if (hv->bu_busy) {
		hn_ctl_enqueue(hc, HV_BU_IN_NVSP, false, pi->trans_id, pi->payload,
			       pi->payload_len);
		return;
	}
	switch (type) {
	case NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE:
		/* RSS is set through RNDIS; the host's table is advisory. */
		break;
	default:
		hn_bad(hc, HN_BAD_NVSP, "inband type", type);
		break;
	}
}

/* ---- Running a session op ---- */

static int
hn_bu_send(struct hn_data *hv, const struct hv_bu_out *out)
{
	struct rte_vmbus_chan *c = hv->chans[0].chan;
	uint64_t xid = out->trans_id | HN_XID_CTL;
	uint32_t fl = out->completion_requested ?
		RTE_VMBUS_FLAG_COMPLETION_REQUESTED : 0;
	struct rte_vmbus_gpa pg;

	if (out->send_kind == HV_BU_SEND_INBAND)
		return rte_vmbus_chan_send(c, out->msg, out->msg_len, xid, fl, NULL);
	/* The request page is IOVA-contiguous and 4 KiB aligned: one GPA. */
	pg.pfn = out->rndis_gpa >> HV_PAGE_SHIFT;
	pg.offset = (uint32_t)(out->rndis_gpa & HV_PAGE_MASK);
	pg.len = out->rndis_len;
	return rte_vmbus_chan_send_gpa(c, &pg, 1, out->msg, out->msg_len, xid, fl,
				       NULL);
}

/* Next queued input, or false. */
static bool
hn_bu_pop(struct hn_data *hv, struct hv_bu_in *in, struct hn_ctl_in *slot)
{
	struct hn_chan *hc = &hv->chans[0];
	bool got = false;

	rte_spinlock_lock(&hc->lock);
	if (hv->ctlq_n != 0) {
		*slot = hv->ctlq[hv->ctlq_head];
		hv->ctlq_head = (hv->ctlq_head + 1) % HN_CTLQ_LEN;
		hv->ctlq_n--;
		got = true;
	}
	rte_spinlock_unlock(&hc->lock);
	if (got) {
		in->type = slot->type;
		in->completion = slot->completion;
		/* The session's ids are untagged; ours carry HN_XID_CTL. */
		in->trans_id = slot->completion ? slot->trans_id & ~HN_XID_CTL :
			slot->trans_id;
		in->buf = slot->buf;
		in->len = slot->len;
	}
	return got;
}

/*
 * Drive the session's current op to DONE or ERROR: send what it asks,
 * feed it what the host sends, tell it when a wait exceeds host_timeout.
 * Called with ctl_lock held.
 */
static int
hn_bu_run(struct hn_data *hv, const char *what)
{
	uint64_t hz = rte_get_timer_hz();
	uint64_t tmo = hz * hv->host_timeout_ms / 1000;
	uint64_t deadline = rte_get_timer_cycles() + tmo;
	struct hn_chan *hc = &hv->chans[0];
	struct hv_bu_in in = { .type = HV_BU_IN_NONE };
	struct hv_bu_out out;
	int rc;

	/* Readers of channel 0 queue control input only while busy. */
	rte_spinlock_lock(&hc->lock);
	hv->bu_busy = true;
	hv->ctlq_head = 0;
	hv->ctlq_n = 0;
	rte_spinlock_unlock(&hc->lock);
	for (;;) {
		rc = hv_bringup_step(&hv->bu, &in, &out);
		if (rc != 0 && in.type != HV_BU_IN_NONE && in.type != HV_BU_IN_TIMEOUT)
			hn_ctl_refused(hc, in.type, in.completion,
				       hv->ctl_cur.trans_id, in.buf,
				       (uint32_t)in.len, rc);
		in.type = HV_BU_IN_NONE;
		if (out.action == HV_BU_SEND) {
			rc = hn_bu_send(hv, &out);
			if (rc != 0) {
				HN_LOG(ERR, "port %u: %s: send failed: %s", hv->port_id,
				       what, strerror(-rc));
				if (rc == -ENODEV || rc == -EIO)
					hn_host_dead(hv, rc);
				break;
			}
			deadline = rte_get_timer_cycles() + tmo;
			continue;
		}
		if (out.action == HV_BU_DONE) {
			rc = 0;
			break;
		}
		if (out.action == HV_BU_ERROR) {
			HN_LOG(ERR, "port %u: %s failed in %s: %s (%s)", hv->port_id,
			       what, hv_bringup_state_name(out.state),
			       hv_bringup_error_name(out.error), strerror(-out.err));
			rc = out.error == HV_BU_ERR_TIMEOUT ? -ETIMEDOUT :
				(out.err < 0 ? out.err : -EIO);
			break;
		}
		if (hn_bu_pop(hv, &in, &hv->ctl_cur))
			continue;
		if (hv->dead) {
			HN_LOG(ERR, "port %u: %s: host gone", hv->port_id, what);
			rc = -ENODEV;
			break;
		}
		if (rte_get_timer_cycles() > deadline) {
			HN_LOG(ERR, "port %u: %s (%s): no answer from the host in %u ms"
			       " (devarg host_timeout)", hv->port_id, what,
			       hv_bringup_state_name(hv->bu.state), hv->host_timeout_ms);
			in.type = HV_BU_IN_TIMEOUT;
			deadline = rte_get_timer_cycles() + tmo;
			continue;
		}
		rte_spinlock_lock(&hc->lock);
		rc = hn_chan_poll(hc, HN_POLL_CTL, 64);
		rte_spinlock_unlock(&hc->lock);
		if (rc == 0)
			rte_delay_us_sleep(20);
	}
	rte_spinlock_lock(&hc->lock);
	hv->bu_busy = false;
	hv->ctlq_n = 0;
	rte_spinlock_unlock(&hc->lock);
	return rc;
}

/*
 * The host may still read the page of an RNDIS request whose packet was
 * never completed (its op timed out): build later requests in a new page
 * and keep the old one until the channels are closed. Under ctl_lock.
 */
static int
hn_ctl_page_check(struct hn_data *hv)
{
	const struct rte_memzone *mz;
	char name[RTE_MEMZONE_NAMESIZE];
	int rc;

	if (!hv_bringup_rndis_buf_lent(&hv->bu))
		return 0;
	if (hv->nctl_mz_lent == RTE_DIM(hv->ctl_mz_lent)) {
		HN_LOG(ERR, "port %u: %u RNDIS request pages still held by the"
		       " host: no more control requests", hv->port_id,
		       hv->nctl_mz_lent);
		return -EBUSY;
	}
	snprintf(name, sizeof(name), "hn_ctl_%u_%u", hv->port_id,
		 ++hv->ctl_mz_seq);
	mz = rte_memzone_reserve_aligned(name, HV_PAGE_SIZE,
					 hv->vmbus->device.numa_node,
					 RTE_MEMZONE_IOVA_CONTIG, HV_PAGE_SIZE);
	if (mz == NULL)
		return -ENOMEM;
	rc = hv_bringup_set_rndis_buf(&hv->bu, mz->addr, HV_PAGE_SIZE, mz->iova);
	if (rc != 0) {
		rte_memzone_free(mz);
		return rc;
	}
	HN_LOG(WARNING, "port %u: the host never completed the RNDIS request"
	       " in page 0x%" PRIx64 ": later requests use a new page",
	       hv->port_id, (uint64_t)hv->ctl_mz->iova);
	hv->ctl_mz_lent[hv->nctl_mz_lent++] = hv->ctl_mz;
	hv->ctl_mz = mz;
	return 0;
}

int
hn_rndis_set(struct hn_data *hv, uint32_t oid, const void *in, uint32_t len)
{
	int rc;

	if (hv->dead)
		return -ENODEV;
	rte_spinlock_lock(&hv->ctl_lock);
	rc = hn_ctl_page_check(hv);
	if (rc == 0)
		rc = hv_bringup_rndis_set(&hv->bu, oid, in, len);
	if (rc == 0)
		rc = hn_bu_run(hv, "RNDIS set");
	if (rc == 0 && hv->bu.res.set_status != RNDIS_STATUS_SUCCESS)
		rc = -EIO;
	rte_spinlock_unlock(&hv->ctl_lock);
	if (rc != 0)
		HN_LOG(ERR, "port %u: set oid 0x%08x: %s (status 0x%x)", hv->port_id,
		       oid, strerror(-rc), hv->bu.res.set_status);
	return rc;
}

int
hn_set_filter(struct hn_data *hv, uint32_t filter)
{
	int rc;

	if (filter == hv->filter)
		return 0;
	rc = hn_rndis_set(hv, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter,
			  sizeof(filter));
	if (rc == 0)
		hv->filter = filter;
	return rc;
}

/* ---- Bring-up ---- */

static void
hn_take_result(struct hn_data *hv)
{
	const struct hv_bringup_result *r = hv_bringup_result(&hv->bu);

	hv->nvsp_version = r->nvsp_version;
	hv->ndis_version = r->ndis_version;
	hv->sec_size = r->send_section_size;
	hv->sec_count = r->send_section_count;
	hv->recv_sec_count = r->recv_section_count;
	hv->max_pkts_per_msg = RTE_MAX(r->rndis.max_pkts_per_msg, 1u);
	hv->max_xfer = r->rndis.max_xfer_size;
	hv->pkt_align = RTE_MAX(r->rndis_pkt_align, RNDIS_PKT_ALIGN_MIN);
	memcpy(hv->mac.addr_bytes, r->mac, RTE_ETHER_ADDR_LEN);
	/* A host that does not answer these gets the usual defaults. */
	hv->max_frame = RTE_ETHER_MAX_LEN;
	if ((r->valid & HV_BU_HAVE_MAX_FRAME) &&
	    r->max_frame_size >= RTE_ETHER_MIN_MTU &&
	    r->max_frame_size <= NVSP_HOST_MTU_MAX)
		hv->max_frame = r->max_frame_size + RTE_ETHER_HDR_LEN +
			RTE_ETHER_CRC_LEN;
	if (r->valid & HV_BU_HAVE_LINK)
		hv->link_up = r->link_up;
	if (r->valid & HV_BU_HAVE_LINK_SPEED)
		hv->link_speed = r->link_speed;
	if (r->valid & HV_BU_HAVE_OFFLOAD) {
		hv->hw_caps = r->offload;
		hv->have_hw_caps = true;
	}
	hv->max_queues = 1;
	if ((r->valid & HV_BU_HAVE_RSS) && r->nvsp_version >= NVSP_VERSION_5) {
		hv->rss_caps = r->rss;
		hv->have_rss_caps = true;
		hv->max_queues = RTE_MIN(r->rss.num_rx_queues,
					 rte_vmbus_max_channels(hv->vmbus));
		hv->max_queues = RTE_MIN(hv->max_queues, HN_MAX_CHANNELS);
		hv->max_queues = RTE_MAX(hv->max_queues, 1u);
	}
	HN_LOG(INFO, "port %u: NVSP 0x%x, receive buffer %u bytes, send buffer"
	       " %u x %u, RNDIS %u packets/message, %u bytes, align %u",
	       hv->port_id, hv->nvsp_version, hv->recv_size, hv->sec_count,
	       hv->sec_size, hv->max_pkts_per_msg, hv->max_xfer, hv->pkt_align);
}

int
hn_session_attach(struct hn_data *hv)
{
	struct rte_vmbus_resource *rr = &hv->vmbus->resource[HV_UIO_MAP_RECV_BUF];
	struct rte_vmbus_resource *sr = &hv->vmbus->resource[HV_UIO_MAP_SEND_BUF];
	struct hv_bringup_cfg cfg;
	struct rte_vmbus_chan *c;
	char name[RTE_MEMZONE_NAMESIZE];
	int rc;

	rte_spinlock_init(&hv->ctl_lock);
	hv->session_gen++;
	hn_rss_init(hv);
	if (hv->vmbus->nb_resources < HV_UIO_MAP_COUNT || rr->addr == NULL ||
	    sr->addr == NULL || rr->len > UINT32_MAX || sr->len > UINT32_MAX) {
		HN_LOG(ERR, "port %u: receive/send buffers not mapped", hv->port_id);
		return -ENODEV;
	}
	hv->recv_buf = rr->addr;
	hv->recv_size = (uint32_t)rr->len;
	hv->send_buf = sr->addr;
	hv->send_size = (uint32_t)sr->len;
	snprintf(name, sizeof(name), "hn_ctl_%u", hv->port_id);
	hv->ctl_mz = rte_memzone_reserve_aligned(name, HV_PAGE_SIZE,
						 hv->vmbus->device.numa_node,
						 RTE_MEMZONE_IOVA_CONTIG,
						 HV_PAGE_SIZE);
	if (hv->ctl_mz == NULL)
		return -ENOMEM;
	rc = rte_vmbus_chan_open(hv->vmbus, &c);
	if (rc != 0) {
		HN_LOG(ERR, "port %u: cannot open the primary channel: %s",
		       hv->port_id, strerror(-rc));
		return rc;
	}
	rc = hn_chan_init(hv, 0, c);
	if (rc != 0) {
		rte_vmbus_chan_close(c);
		return rc;
	}
	hv->nchan = 1;
	if (rte_vmbus_chan_monitor_id(c) != RTE_VMBUS_NO_MONITOR)
		(void)rte_vmbus_chan_set_latency(c, hv->latency_us * 1000u);

	memset(&cfg, 0, sizeof(cfg));
	cfg.mtu = hv->mtu + RTE_ETHER_HDR_LEN;
	cfg.ndis_caps = NVSP_NDIS_CAP_IEEE8021Q | NVSP_NDIS_CAP_SRIOV;
	cfg.recv_buf_gpadl = rr->gpadl;
	cfg.recv_buf_size = hv->recv_size;
	cfg.send_buf_gpadl = sr->gpadl;
	cfg.send_buf_size = hv->send_size;
	cfg.rndis_buf = hv->ctl_mz->addr;
	cfg.rndis_buf_size = HV_PAGE_SIZE;
	cfg.rndis_buf_gpa = hv->ctl_mz->iova;
	rte_spinlock_lock(&hv->ctl_lock);
	rc = hv_bringup_start(&hv->bu, &cfg);
	if (rc == 0)
		rc = hn_bu_run(hv, "bring-up");
	rte_spinlock_unlock(&hv->ctl_lock);
	hv->session_started = true;
	if (rc != 0)
		return rc;
	if (hv->bu.res.send_section_count == 0) {
		HN_LOG(ERR, "port %u: host gave no send buffer", hv->port_id);
		return -ENOTSUP;
	}
	hn_take_result(hv);
	/* Subchannels are sized as they open; the primary was opened before
	 * the host said how many sub-allocations it has. */
	rc = hn_chan_park_size(&hv->chans[0], hv->recv_sec_count);
	if (rc != 0)
		HN_LOG(ERR, "port %u: no memory to park %u receive packets",
		       hv->port_id, hv->recv_sec_count);
	return rc;
}

/* ---- Subchannels ---- */

/*
 * Ask the host for `want` subchannels in all; it may grant fewer, and it
 * offers them after its completion (hn_queues.c maps them).
 */
int
hn_subchan_open(struct hn_data *hv, uint32_t want)
{
	uint32_t granted;
	int rc;

	rte_spinlock_lock(&hv->ctl_lock);
	rc = hn_ctl_page_check(hv);
	if (rc == 0)
		rc = hv_bringup_subchannels(&hv->bu, want);
	if (rc == 0)
		rc = hn_bu_run(hv, "subchannel request");
	rte_spinlock_unlock(&hv->ctl_lock);
	hv->subch_requested = true;
	if (rc != 0) {
		HN_LOG(ERR, "port %u: subchannel request for %u refused: %s",
		       hv->port_id, want, strerror(-rc));
		return rc;
	}
	granted = RTE_MIN(hv->bu.res.num_subchannels, HN_MAX_CHANNELS - 1);
	if (granted < want)
		HN_LOG(WARNING, "port %u: asked for %u subchannels, host granted %u:"
		       " queues share channels", hv->port_id, want, granted);
	/* What a host offered stays offered for the session. */
	hv->subch_granted = RTE_MAX(hv->subch_granted, granted);
	return 0;
}

/* ---- Teardown ---- */

void
hn_session_detach(struct hn_data *hv)
{
	uint32_t k;
	int i;

	if (hv->session_started && !hv->dead && hv->chans[0].chan != NULL) {
		/*
		 * ctl_lock waits for a running op (each ends within
		 * host_timeout). One that timed out may have left its page
		 * with the host: HALT goes into a fresh one (or is skipped),
		 * its completion awaited, then the buffers the host accepted
		 * are revoked; the channels are closed after, the pages
		 * freed last.
		 */
		rte_spinlock_lock(&hv->ctl_lock);
		if (hn_ctl_page_check(hv) != 0)
			HN_LOG(WARNING, "port %u: no page for RNDIS HALT: the"
			       " channels are closed without it", hv->port_id);
		else if (hv_bringup_teardown(&hv->bu) == 0)
			(void)hn_bu_run(hv, "teardown");
		rte_spinlock_unlock(&hv->ctl_lock);
	}
	hv->session_started = false;
	rte_eal_alarm_cancel(hn_lsc_alarm, hv);
	/* Subchannels first, as the bus asks. */
	for (i = HN_MAX_CHANNELS - 1; i >= 0; i--) {
		struct hn_chan *hc = &hv->chans[i];

		if (hc->chan == NULL)
			continue;
		rte_vmbus_chan_close(hc->chan);
		hn_chan_fini(hc);
	}
	hv->nchan = 0;
	hv->subch_granted = 0;
	hv->subch_requested = false;
	hv->rss_on = false;
	rte_memzone_free(hv->ctl_mz);
	hv->ctl_mz = NULL;
	for (k = 0; k < hv->nctl_mz_lent; k++)
		rte_memzone_free(hv->ctl_mz_lent[k]);
	hv->nctl_mz_lent = 0;
}
