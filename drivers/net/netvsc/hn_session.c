/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session with the host: NVSP negotiation, buffers, RNDIS bring-up
 * and queries, control exchanges with timeouts, host notifications and
 * link indications, subchannels, RSS, teardown.
 *
 * Control replies arrive on the primary channel mixed with data and Tx
 * completions; whoever reads that channel (a waiter here or a data-path
 * burst on queue 0) hands them to hn_ctl_*(), which fill hv->ctl under
 * the channel lock. A waiter polls with a deadline (host_timeout devarg):
 * a slow host is waited for, a silent one is reported, never spun on.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_memzone.h>

#include "hn_var.h"
#include "ndis_obj.h"

/* Default Toeplitz key: the one mlx5 uses, so flows land alike on a VF. */
static const uint8_t hn_rss_key_default[NDIS_RSS_KEY_SIZE] = {
	0x2c, 0xc6, 0x81, 0xd1, 0x5b, 0xdb, 0xf4, 0xf7,
	0xfc, 0xa2, 0x83, 0x19, 0xdb, 0x1a, 0x3e, 0x94,
	0x6b, 0x9e, 0x38, 0xd9, 0x2c, 0x9c, 0x03, 0xd1,
	0xad, 0x99, 0x44, 0xa7, 0xd9, 0x56, 0x3d, 0x59,
	0x06, 0x3c, 0x25, 0xf3, 0xfc, 0x1f, 0xdc, 0x2a,
};

/* Rate-limited: a hostile host must not flood the log. */
void
hn_bad(struct hn_chan *hc, enum hn_bad kind, const char *field, uint64_t value)
{
	static const char *const kinds[HN_BAD_KINDS] = {
		"packet", "nvsp", "range", "rndis", "frame length", "pageset",
		"transaction id", "duplicate transaction id", "control",
	};
	uint64_t n = ++hc->bad[kind];

	/* 1st, 2nd, 4th, 8th ... of each kind on each channel. */
	if ((n & (n - 1)) == 0)
		HN_LOG(WARNING, "port %u chan %u: bad host %s: %s = %" PRIu64
		       " (dropped; %" PRIu64 " so far)", hc->hv->port_id,
		       hc->idx, kinds[kind], field, value, n);
}

static void
hn_lsc_alarm(void *arg)
{
	struct hn_data *hv = arg;

	hv->lsc_pending = false;
	rte_eth_dev_callback_process(hv->eth, RTE_ETH_EVENT_INTR_LSC, NULL);
}

static void
hn_link_changed(struct hn_data *hv)
{
	/* Not from here: the callback may call back into this port. */
	if (!hv->lsc_pending && hv->eth->data->dev_conf.intr_conf.lsc) {
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
	HN_LOG(ERR, "port %u: host unreachable (%s): link down, no more host I/O",
	       hv->port_id, strerror(-err));
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

/* One RNDIS control message out of the receive buffer. */
void
hn_ctl_rndis_msg(struct hn_chan *hc, const uint8_t *shared, uint32_t len)
{
	struct hn_data *hv = hc->hv;
	struct rndis_peek pk;
	uint8_t msg[sizeof(hv->ctl.msg)];
	uint32_t n = RTE_MIN(len, (uint32_t)sizeof(msg));

	/* Copy first: the host may rewrite its buffer while we parse. */
	memcpy(msg, shared, n);
	if (rndis_msg_peek(msg, n, &pk) != 0) {
		hn_bad(hc, HN_BAD_CTL, "rndis msg_len", n);
		return;
	}
	if (pk.type == RNDIS_MSG_INDICATE_STATUS) {
		hn_status_ind(hc, msg, n);
		return;
	}
	if (!pk.has_rid || pk.rid == 0 || pk.rid != hv->ctl.want_rid ||
	    pk.type != hv->ctl.want_type || hv->ctl.done) {
		hn_bad(hc, HN_BAD_CTL, "rndis reply rid", pk.rid);
		return;
	}
	memcpy(hv->ctl.msg, msg, pk.msg_len);
	hv->ctl.len = pk.msg_len;
	hv->ctl.done = true;
}

void
hn_ctl_comp(struct hn_chan *hc, const struct vmbus_pkt_info *pi)
{
	struct hn_data *hv = hc->hv;
	uint32_t n;

	if (pi->trans_id == hv->ctl.want_xid && !hv->ctl.done) {
		n = RTE_MIN(pi->payload_len, (uint32_t)sizeof(hv->ctl.msg));
		memcpy(hv->ctl.msg, pi->payload, n);
		hv->ctl.len = n;
		hv->ctl.done = true;
		return;
	}
	/* Completions of RNDIS control sends, or of a timed-out wait. */
	if ((pi->trans_id & ~HN_XID_CTL) > hv->ctl_seq || hc->idx != 0)
		hn_bad(hc, HN_BAD_XID, "control xid", pi->trans_id);
}

void
hn_ctl_inband(struct hn_chan *hc, const struct vmbus_pkt_info *pi)
{
	struct nvsp_indirection_info it;
	struct nvsp_vf_info vf;
	uint32_t type;

	if (nvsp_msg_type(pi->payload, pi->payload_len, &type) != 0) {
		hn_bad(hc, HN_BAD_NVSP, "inband len", pi->payload_len);
		return;
	}
	switch (type) {
	case NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE:
		/* We set RSS through RNDIS; the host's table is advisory. */
		if (nvsp_parse_indirection_table(pi->payload, pi->payload_len,
						 hc->hv->nvsp_version, &it) != 0)
			hn_bad(hc, HN_BAD_NVSP, "indirection table", pi->payload_len);
		break;
	case NVSP_MSG_TYPE_SEND_VF_ASSOCIATION:
		if (nvsp_parse_vf_association(pi->payload, pi->payload_len, &vf) != 0)
			hn_bad(hc, HN_BAD_NVSP, "vf association", pi->payload_len);
		else
			HN_LOG(INFO, "port %u: host VF %s (serial %u); synthetic path kept",
			       hc->hv->port_id, vf.allocated ? "offered" : "revoked",
			       vf.serial);
		break;
	case NVSP_MSG_TYPE_SWITCH_DATA_PATH:
		break;
	default:
		hn_bad(hc, HN_BAD_NVSP, "inband type", type);
		break;
	}
}

/* ---- Waiting ---- */

static int
hn_ctl_wait(struct hn_data *hv, const char *what)
{
	struct hn_chan *hc = &hv->chans[0];
	uint64_t hz = rte_get_timer_hz();
	uint64_t deadline = rte_get_timer_cycles() +
		hz * hv->host_timeout_ms / 1000;
	int rc;

	for (;;) {
		rte_spinlock_lock(&hc->lock);
		rc = hn_chan_poll(hc, HN_POLL_CTL, 64);
		rte_spinlock_unlock(&hc->lock);
		if (hv->ctl.done)
			return 0;
		if (hv->dead || rc < 0) {
			HN_LOG(ERR, "port %u: %s: host gone", hv->port_id, what);
			return -ENODEV;
		}
		if (rte_get_timer_cycles() > deadline) {
			HN_LOG(ERR, "port %u: %s: no answer from the host in %u ms"
			       " (devarg host_timeout)", hv->port_id, what,
			       hv->host_timeout_ms);
			return -ETIMEDOUT;
		}
		if (rc == 0)
			rte_delay_us_sleep(20);
	}
}

static void
hn_ctl_arm(struct hn_data *hv, uint64_t xid, uint32_t rid, uint32_t type)
{
	struct hn_chan *hc = &hv->chans[0];

	rte_spinlock_lock(&hc->lock);
	hv->ctl.want_xid = xid;
	hv->ctl.want_rid = rid;
	hv->ctl.want_type = type;
	hv->ctl.done = false;
	hv->ctl.len = 0;
	rte_spinlock_unlock(&hc->lock);
}

static void
hn_ctl_disarm(struct hn_data *hv)
{
	hn_ctl_arm(hv, 0, 0, 0);
	hv->ctl.done = true;
}

/* Send an NVSP request; wait for its completion if resp. */
static int
hn_nvsp_exec(struct hn_data *hv, const void *req, bool resp, const char *what)
{
	uint64_t xid = HN_XID_CTL | ++hv->ctl_seq;
	int rc;

	if (hv->dead)
		return -ENODEV;
	if (resp)
		hn_ctl_arm(hv, xid, 0, 0);
	rc = rte_vmbus_chan_send(hv->chans[0].chan, req, NVSP_REQ_SIZE, xid,
				 resp ? RTE_VMBUS_FLAG_COMPLETION_REQUESTED : 0,
				 NULL);
	if (rc != 0) {
		HN_LOG(ERR, "port %u: %s: send failed: %s", hv->port_id, what,
		       strerror(-rc));
		if (rc == -ENODEV || rc == -EIO)
			hn_host_dead(hv, rc);
	} else if (resp) {
		rc = hn_ctl_wait(hv, what);
	}
	if (rc != 0 && resp)
		hn_ctl_disarm(hv);
	return rc;
}

/*
 * Send an RNDIS control message; wait for its reply of want_type, or for
 * the send's completion if 0. Either way the host is done with the page.
 */
static int
hn_rndis_exec(struct hn_data *hv, uint32_t rid, int len, uint32_t want_type,
	      const char *what)
{
	uint8_t nv[NVSP_REQ_SIZE];
	struct rte_vmbus_gpa pg;
	uint64_t xid = HN_XID_CTL | ++hv->ctl_seq;
	int rc;

	if (len <= 0 || (uint32_t)len > HV_PAGE_SIZE)
		return -EMSGSIZE;
	if (hv->dead)
		return -ENODEV;
	/* The request page is IOVA-contiguous and 4 KiB aligned: one GPA. */
	pg.pfn = hv->ctl_mz->iova / HV_PAGE_SIZE;
	pg.offset = 0;
	pg.len = (uint32_t)len;
	rc = nvsp_build_rndis_pkt(nv, sizeof(nv), NVSP_CHANNEL_TYPE_CONTROL,
				  NVSP_SECTION_INDEX_NONE, 0);
	if (rc < 0)
		return rc;
	/* No reply type (HALT): the send's own completion says it was read. */
	if (want_type == 0)
		hn_ctl_arm(hv, xid, 0, 0);
	else
		hn_ctl_arm(hv, 0, rid, want_type);
	rc = rte_vmbus_chan_send_gpa(hv->chans[0].chan, &pg, 1, nv, sizeof(nv),
				     xid, RTE_VMBUS_FLAG_COMPLETION_REQUESTED,
				     NULL);
	if (rc == 0)
		rc = hn_ctl_wait(hv, what);
	else if (rc == -ENODEV || rc == -EIO)
		hn_host_dead(hv, rc);
	if (rc != 0)
		hn_ctl_disarm(hv);
	return rc;
}

static uint32_t
hn_next_rid(struct hn_data *hv)
{
	if (++hv->rndis_rid == 0)
		hv->rndis_rid = 1;
	return hv->rndis_rid;
}

int
hn_rndis_query(struct hn_data *hv, uint32_t oid, const void *in,
	       uint32_t in_len, void *out, uint32_t *out_len)
{
	struct rndis_query_result qr;
	uint32_t rid;
	int rc;

	rte_spinlock_lock(&hv->ctl_lock);
	rid = hn_next_rid(hv);
	rc = rndis_query_req_build(hv->ctl_mz->addr, HV_PAGE_SIZE, rid, oid,
				   in, in_len);
	if (rc > 0)
		rc = hn_rndis_exec(hv, rid, rc, RNDIS_MSG_QUERY_CMPLT, "RNDIS query");
	if (rc == 0) {
		rc = rndis_query_cmplt_parse(hv->ctl.msg, hv->ctl.len, &qr);
		if (rc == 0 && qr.info_len > *out_len)
			rc = -EMSGSIZE;
		if (rc == 0) {
			memcpy(out, qr.info, qr.info_len);
			*out_len = qr.info_len;
		}
	}
	rte_spinlock_unlock(&hv->ctl_lock);
	if (rc != 0)
		HN_LOG(DEBUG, "port %u: query oid 0x%08x: %s", hv->port_id, oid,
		       strerror(-rc));
	return rc;
}

int
hn_rndis_set(struct hn_data *hv, uint32_t oid, const void *in, uint32_t len)
{
	struct rndis_cmplt_result cr;
	uint32_t rid;
	int rc;

	rte_spinlock_lock(&hv->ctl_lock);
	rid = hn_next_rid(hv);
	rc = rndis_set_req_build(hv->ctl_mz->addr, HV_PAGE_SIZE, rid, oid, in, len);
	if (rc > 0)
		rc = hn_rndis_exec(hv, rid, rc, RNDIS_MSG_SET_CMPLT, "RNDIS set");
	if (rc == 0)
		rc = rndis_set_cmplt_parse(hv->ctl.msg, hv->ctl.len, &cr);
	rte_spinlock_unlock(&hv->ctl_lock);
	if (rc != 0)
		HN_LOG(ERR, "port %u: set oid 0x%08x: %s (status 0x%x)", hv->port_id,
		       oid, strerror(-rc), rc == -EIO ? cr.status : 0);
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

static int
hn_nvsp_init(struct hn_data *hv)
{
	struct nvsp_init_info ii;
	uint8_t m[NVSP_REQ_SIZE];
	unsigned int i;
	int rc;

	for (i = 0; i < NVSP_VERSION_COUNT; i++) {
		uint32_t ver = nvsp_versions[i];

		/* NVSP 1 hosts predate everything this driver needs. */
		if (ver < NVSP_VERSION_2)
			break;
		nvsp_build_init(m, sizeof(m), ver);
		rte_spinlock_lock(&hv->ctl_lock);
		rc = hn_nvsp_exec(hv, m, true, "NVSP init");
		if (rc == 0)
			rc = nvsp_parse_init_complete(hv->ctl.msg, hv->ctl.len, &ii);
		rte_spinlock_unlock(&hv->ctl_lock);
		if (rc == 0) {
			hv->nvsp_version = ver;
			HN_LOG(INFO, "port %u: NVSP version 0x%x", hv->port_id, ver);
			return 0;
		}
		if (rc != -ENOTSUP)
			return rc;
		HN_LOG(DEBUG, "port %u: host refused NVSP 0x%x", hv->port_id, ver);
	}
	HN_LOG(ERR, "port %u: host accepts no NVSP version from 6.1 to 2",
	       hv->port_id);
	return -ENOTSUP;
}

static int
hn_nvsp_buffers(struct hn_data *hv)
{
	struct rte_vmbus_resource *rr = &hv->vmbus->resource[HV_UIO_MAP_RECV_BUF];
	struct rte_vmbus_resource *sr = &hv->vmbus->resource[HV_UIO_MAP_SEND_BUF];
	struct nvsp_recv_buf_info ri;
	struct nvsp_send_buf_info si;
	uint8_t m[NVSP_REQ_SIZE];
	int rc;

	if (hv->vmbus->nb_resources < HV_UIO_MAP_COUNT || rr->addr == NULL ||
	    sr->addr == NULL || rr->len > UINT32_MAX || sr->len > UINT32_MAX) {
		HN_LOG(ERR, "port %u: receive/send buffers not mapped", hv->port_id);
		return -ENODEV;
	}
	hv->recv_buf = rr->addr;
	hv->recv_size = (uint32_t)rr->len;
	hv->send_buf = sr->addr;
	hv->send_size = (uint32_t)sr->len;

	rte_spinlock_lock(&hv->ctl_lock);
	nvsp_build_send_recv_buf(m, sizeof(m), rr->gpadl, NVSP_RECV_BUF_ID);
	rc = hn_nvsp_exec(hv, m, true, "receive buffer");
	if (rc == 0)
		rc = nvsp_parse_recv_buf_complete(hv->ctl.msg, hv->ctl.len,
						  hv->recv_size, &ri);
	if (rc == 0)
		hv->rxbuf_connected = true;
	rte_spinlock_unlock(&hv->ctl_lock);
	if (rc != 0) {
		HN_LOG(ERR, "port %u: receive buffer refused: %s", hv->port_id,
		       strerror(-rc));
		return rc;
	}

	rte_spinlock_lock(&hv->ctl_lock);
	nvsp_build_send_send_buf(m, sizeof(m), sr->gpadl, NVSP_SEND_BUF_ID);
	rc = hn_nvsp_exec(hv, m, true, "send buffer");
	if (rc == 0)
		rc = nvsp_parse_send_buf_complete(hv->ctl.msg, hv->ctl.len,
						  hv->send_size, &si);
	if (rc == 0)
		hv->txbuf_connected = true;
	rte_spinlock_unlock(&hv->ctl_lock);
	if (rc != 0) {
		HN_LOG(ERR, "port %u: send buffer refused: %s", hv->port_id,
		       strerror(-rc));
		return rc;
	}
	hv->sec_size = si.section_size;
	hv->sec_count = si.section_count;
	HN_LOG(INFO, "port %u: receive buffer %u bytes, send buffer %u x %u",
	       hv->port_id, hv->recv_size, hv->sec_count, hv->sec_size);
	return 0;
}

static int
hn_nvsp_attach(struct hn_data *hv)
{
	uint8_t m[NVSP_REQ_SIZE];
	uint64_t caps = NVSP_NDIS_CAP_IEEE8021Q;
	int rc;

	rc = hn_nvsp_init(hv);
	if (rc != 0)
		return rc;
	if (hv->nvsp_version >= NVSP_VERSION_5)
		caps |= NVSP_NDIS_CAP_SRIOV;
	nvsp_build_ndis_config(m, sizeof(m), hv->mtu + RTE_ETHER_HDR_LEN, caps);
	rc = hn_nvsp_exec(hv, m, false, "NDIS config");
	if (rc != 0)
		return rc;
	hv->ndis_version = nvsp_ndis_version(hv->nvsp_version);
	nvsp_build_ndis_version(m, sizeof(m), hv->ndis_version);
	rc = hn_nvsp_exec(hv, m, false, "NDIS version");
	if (rc != 0)
		return rc;
	return hn_nvsp_buffers(hv);
}

static int
hn_rndis_init(struct hn_data *hv)
{
	struct rndis_init_info ii;
	uint32_t rid;
	int rc;

	rte_spinlock_lock(&hv->ctl_lock);
	rid = hn_next_rid(hv);
	rc = rndis_init_req_build(hv->ctl_mz->addr, HV_PAGE_SIZE, rid,
				  RNDIS_MAX_XFER_SIZE_DEFAULT);
	if (rc > 0)
		rc = hn_rndis_exec(hv, rid, rc, RNDIS_MSG_INIT_CMPLT, "RNDIS init");
	if (rc == 0)
		rc = rndis_init_cmplt_parse(hv->ctl.msg, hv->ctl.len, &ii);
	rte_spinlock_unlock(&hv->ctl_lock);
	if (rc != 0) {
		HN_LOG(ERR, "port %u: RNDIS init failed: %s", hv->port_id,
		       strerror(-rc));
		return rc;
	}
	hv->rndis_up = true;
	hv->max_pkts_per_msg = RTE_MAX(ii.max_pkts_per_msg, 1u);
	hv->max_xfer = ii.max_xfer_size;
	hv->pkt_align = RTE_MAX(rndis_init_pkt_align(&ii), RNDIS_PKT_ALIGN_MIN);
	HN_LOG(INFO, "port %u: RNDIS %u.%u, %u packets/message, %u bytes, align %u",
	       hv->port_id, ii.major, ii.minor, hv->max_pkts_per_msg,
	       hv->max_xfer, hv->pkt_align);
	return 0;
}

static int
hn_query_u32(struct hn_data *hv, uint32_t oid, uint32_t *v)
{
	uint32_t len = sizeof(*v);
	int rc = hn_rndis_query(hv, oid, NULL, 0, v, &len);

	if (rc == 0 && len != sizeof(*v))
		rc = -EINVAL;
	return rc;
}

static void
hn_query_caps(struct hn_data *hv)
{
	uint8_t in[32], out[256];
	uint32_t len = sizeof(out);
	int n;

	n = ndis_obj_hdr_build(in, sizeof(in), NDIS_OBJTYPE_OFFLOAD,
			       NDIS_OFFLOAD_REV_3, NDIS_OFFLOAD_SIZE_3);
	if (n > 0 && hn_rndis_query(hv, RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
				    in, (uint32_t)n, out, &len) == 0 &&
	    ndis_offload_parse(out, len, &hv->hw_caps) == 0)
		hv->have_hw_caps = true;

	hv->max_queues = 1;
	if (hv->nvsp_version < NVSP_VERSION_5)
		return;
	len = sizeof(out);
	n = ndis_obj_hdr_build(in, sizeof(in), NDIS_OBJTYPE_RSS_CAPS,
			       NDIS_RSS_CAPS_REV_2, NDIS_RSS_CAPS_SIZE_2);
	if (n > 0 && hn_rndis_query(hv, RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES,
				    in, (uint32_t)n, out, &len) == 0 &&
	    ndis_rss_caps_parse(out, len, &hv->rss_caps) == 0) {
		hv->have_rss_caps = true;
		hv->max_queues = RTE_MIN(hv->rss_caps.num_rx_queues,
					 rte_vmbus_max_channels(hv->vmbus));
		hv->max_queues = RTE_MIN(hv->max_queues, HN_MAX_CHANNELS);
		hv->max_queues = RTE_MAX(hv->max_queues, 1u);
	}
}

static int
hn_rndis_attach(struct hn_data *hv)
{
	uint32_t len = RTE_ETHER_ADDR_LEN, v;
	int rc;

	rc = hn_rndis_init(hv);
	if (rc != 0)
		return rc;
	rc = hn_rndis_query(hv, RNDIS_OID_802_3_PERMANENT_ADDRESS, NULL, 0,
			    hv->mac.addr_bytes, &len);
	if (rc == 0 && len != RTE_ETHER_ADDR_LEN)
		rc = -EINVAL;
	if (rc != 0) {
		HN_LOG(ERR, "port %u: no MAC address from the host: %s",
		       hv->port_id, strerror(-rc));
		return rc;
	}
	/* A host that does not answer these gets the usual defaults. */
	hv->max_frame = RTE_ETHER_MAX_LEN;
	if (hn_query_u32(hv, RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, &v) == 0 &&
	    v >= RTE_ETHER_MIN_MTU && v <= NVSP_HOST_MTU_MAX)
		hv->max_frame = v + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
	if (hn_query_u32(hv, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, &v) == 0)
		hv->link_up = v == RNDIS_MEDIA_STATE_CONNECTED;
	if (hn_query_u32(hv, RNDIS_OID_GEN_LINK_SPEED, &v) == 0)
		hv->link_speed = v;
	hn_query_caps(hv);
	return 0;
}

int
hn_session_attach(struct hn_data *hv)
{
	struct rte_vmbus_chan *c;
	char name[RTE_MEMZONE_NAMESIZE];
	int rc;

	rte_spinlock_init(&hv->ctl_lock);
	hv->ctl.done = true;
	memcpy(hv->rss_key, hn_rss_key_default, sizeof(hv->rss_key));
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
	rc = hn_nvsp_attach(hv);
	if (rc == 0)
		rc = hn_rndis_attach(hv);
	return rc;
}

/* ---- Subchannels and RSS ---- */

int
hn_subchan_open(struct hn_data *hv, uint32_t want)
{
	struct nvsp_subchannel_info si;
	uint8_t m[NVSP_REQ_SIZE];
	uint64_t deadline;
	uint32_t got = 0;
	int rc;

	if (want + 1 <= hv->nchan)
		return 0;
	if (hv->subch_granted != 0 || hv->nchan > 1) {
		HN_LOG(ERR, "port %u: %u channels open; the host gives subchannels"
		       " once per session", hv->port_id, hv->nchan);
		return -EINVAL;
	}
	rte_spinlock_lock(&hv->ctl_lock);
	nvsp_build_subchannel_req(m, sizeof(m), want);
	rc = hn_nvsp_exec(hv, m, true, "subchannel request");
	if (rc == 0)
		rc = nvsp_parse_subchannel_resp(hv->ctl.msg, hv->ctl.len, want, &si);
	rte_spinlock_unlock(&hv->ctl_lock);
	if (rc != 0) {
		HN_LOG(ERR, "port %u: subchannel request for %u refused: %s",
		       hv->port_id, want, strerror(-rc));
		return rc;
	}
	hv->subch_granted = si.num_subchannels;
	if (si.num_subchannels < want)
		HN_LOG(WARNING, "port %u: asked for %u subchannels, host granted %u:"
		       " queues share channels", hv->port_id, want,
		       si.num_subchannels);
	/* Offers arrive after the response, possibly much later. */
	deadline = rte_get_timer_cycles() +
		rte_get_timer_hz() * hv->host_timeout_ms / 1000;
	while (got < si.num_subchannels) {
		struct rte_vmbus_chan *c;
		uint16_t id;

		rc = rte_vmbus_subchan_open(hv->chans[0].chan, &c);
		if (rc == -EAGAIN || rc == -ENOENT) {
			if (rte_get_timer_cycles() > deadline) {
				HN_LOG(ERR, "port %u: %u of %u subchannel offers in %u ms",
				       hv->port_id, got, si.num_subchannels,
				       hv->host_timeout_ms);
				break;
			}
			rte_delay_us_sleep(1000);
			continue;
		}
		if (rc != 0) {
			HN_LOG(ERR, "port %u: subchannel open: %s", hv->port_id,
			       strerror(-rc));
			break;
		}
		id = rte_vmbus_chan_subchan_id(c);
		/* Queue i uses channel i: ids must come as 1..n. */
		if (id >= HN_MAX_CHANNELS || hv->chans[id].chan != NULL ||
		    hn_chan_init(hv, id, c) != 0) {
			HN_LOG(ERR, "port %u: subchannel id %u unusable", hv->port_id, id);
			rte_vmbus_chan_close(c);
			break;
		}
		if (rte_vmbus_chan_monitor_id(c) != RTE_VMBUS_NO_MONITOR)
			(void)rte_vmbus_chan_set_latency(c, hv->latency_us * 1000u);
		got++;
	}
	/* Use the contiguous prefix 0..n-1. */
	while (hv->nchan < HN_MAX_CHANNELS && hv->chans[hv->nchan].chan != NULL)
		hv->nchan++;
	HN_LOG(INFO, "port %u: %u channels (asked %u)", hv->port_id, hv->nchan,
	       want + 1);
	return hv->nchan > 1 ? 0 : -ENODEV;
}

int
hn_rss_set(struct hn_data *hv, uint16_t nrxq)
{
	uint32_t table[HN_RSS_TABLE], n = HN_RSS_TABLE, i;
	struct ndis_rss_cfg cfg;
	uint8_t buf[1024];
	uint32_t nq = RTE_MIN((uint32_t)nrxq, hv->nchan);
	int len;

	if (!hv->have_rss_caps || hv->nchan < 2)
		return 0;
	if (hv->rss_caps.num_ind_entries != 0)
		n = RTE_MIN(n, (uint32_t)hv->rss_caps.num_ind_entries);
	for (i = 0; i < n; i++)
		table[i] = i % nq;
	cfg.flags = 0;
	cfg.hash_info = NDIS_HASH_FUNCTION_TOEPLITZ | NDIS_HASH_IPV4 |
		NDIS_HASH_TCP_IPV4 | NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6;
	cfg.key = hv->rss_key;
	cfg.table = table;
	cfg.table_entries = n;
	len = ndis_rss_params_build(buf, sizeof(buf), &cfg);
	if (len < 0)
		return len;
	return hn_rndis_set(hv, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, buf,
			    (uint32_t)len);
}

/* ---- Teardown ---- */

void
hn_session_detach(struct hn_data *hv)
{
	uint8_t m[NVSP_REQ_SIZE];
	uint32_t rid;
	int i, rc;

	if (!hv->dead && hv->rndis_up && hv->chans[0].chan != NULL) {
		rte_spinlock_lock(&hv->ctl_lock);
		rid = hn_next_rid(hv);
		rc = rndis_halt_req_build(hv->ctl_mz->addr, HV_PAGE_SIZE, rid);
		if (rc > 0)
			(void)hn_rndis_exec(hv, rid, rc, 0, "RNDIS halt");
		rte_spinlock_unlock(&hv->ctl_lock);
	}
	hv->rndis_up = false;
	if (!hv->dead && hv->rxbuf_connected) {
		nvsp_build_revoke_recv_buf(m, sizeof(m), NVSP_RECV_BUF_ID);
		(void)hn_nvsp_exec(hv, m, false, "revoke receive buffer");
	}
	if (!hv->dead && hv->txbuf_connected) {
		nvsp_build_revoke_send_buf(m, sizeof(m), NVSP_SEND_BUF_ID);
		(void)hn_nvsp_exec(hv, m, false, "revoke send buffer");
	}
	hv->rxbuf_connected = hv->txbuf_connected = false;
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
	rte_memzone_free(hv->ctl_mz);
	hv->ctl_mz = NULL;
}
