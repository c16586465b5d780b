/* SPDX-License-Identifier: BSD-3-Clause */
/* The scripted guest of net_harness.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu_proto.h"
#include "hv_chan_geom.h"
#include "net_harness.h"

static void
cap_xmit(struct emu_backend *be, const void *frame, size_t len)
{
	struct ng_cap *c = (struct ng_cap *)be;

	if (c->n < NG_MAX_CAP && len <= sizeof(c->f[0])) {
		memcpy(c->f[c->n], frame, len);
		c->len[c->n++] = len;
	}
}

/* A packet's plain frames at once: kept as xmit keeps them, counted. */
static void
cap_xmit_burst(struct emu_backend *be, const uint8_t *base,
	       const struct emu_frame_span *sp, unsigned int n)
{
	struct ng_cap *c = (struct ng_cap *)be;
	unsigned int i;

	c->bursts++;
	for (i = 0; i < n; i++)
		cap_xmit(be, base + sp[i].off, sp[i].len);
}

/* Completions the NIC sent on all its channels. */
static uint64_t
cap_comps_sent(const struct ng_cap *c)
{
	const struct g *g = (const struct g *)((const uint8_t *)c -
					       offsetof(struct g, cap));
	struct emu_chan_stats st;
	uint64_t n = 0;
	unsigned int q;

	for (q = 0; q < EMU_NET_MAX_QUEUES; q++) {
		emu_nic_chan_stats(g->nic, q, &st);
		n += st.completions_sent;
	}
	return n;
}

static void
cap_hold(struct ng_cap *c, unsigned int n)
{
	if (c->held == 0)
		c->comps_at_hold = cap_comps_sent(c);
	c->held += n;
	c->held_total += n;
}

/* Held frames are kept (copied) at once too: the record is the same;
 * what is checked is when the NIC releases them. */
static void
cap_xmit_held(struct emu_backend *be, const void *frame, size_t len)
{
	cap_xmit(be, frame, len);
	cap_hold((struct ng_cap *)be, 1);
}

static void
cap_xmit_burst_held(struct emu_backend *be, const uint8_t *base,
		    const struct emu_frame_span *sp, unsigned int n)
{
	cap_xmit_burst(be, base, sp, n);
	cap_hold((struct ng_cap *)be, n);
}

static void
cap_release(struct emu_backend *be, bool deliver)
{
	struct ng_cap *c = (struct ng_cap *)be;

	(void)deliver;
	c->releases++;
	if (c->held != 0 && cap_comps_sent(c) != c->comps_at_hold)
		c->late++;
	c->held = 0;
}

static void
cap_destroy(struct emu_backend *be)
{
	(void)be;
}

static const struct emu_backend_ops cap_ops = {
	.name = "capture",
	.xmit = cap_xmit,
	.xmit_burst = cap_xmit_burst,
	.xmit_held = cap_xmit_held,
	.xmit_burst_held = cap_xmit_burst_held,
	.release = cap_release,
	.destroy = cap_destroy,
};

static void
log_cb(void *arg, const char *line)
{
	struct g *g = arg;

	if (g->nlog < NG_MAX_LOG)
		snprintf(g->log[g->nlog++], sizeof(g->log[0]), "%s", line);
}

bool
ng_logged(const struct g *g, const char *needle)
{
	unsigned int i;

	for (i = 0; i < g->nlog; i++)
		if (strstr(g->log[i], needle) != NULL)
			return true;
	return false;
}

uint64_t
ng_protocol_errors(const struct g *g)
{
	struct emu_nic_stats st;

	emu_nic_stats(g->nic, &st);
	return st.protocol_errors;
}

struct emu_chan_stats
ng_qstats(const struct g *g, unsigned int q)
{
	struct emu_chan_stats cs;

	emu_nic_chan_stats(g->nic, q, &cs);
	return cs;
}

void
ng_pump(struct g *g)
{
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(emu_loop_run_once(emu_host_loop(g->h), 0), 0);
}

static void
bell_cb(void *arg)
{
	const struct ng_bell *b = arg;

	ng_doorbell(b->g, b->q);
}

void
ng_attach_rings(struct g *g, unsigned int q)
{
	struct emu_chan *ch = emu_dev_chan_by_relid(
		g->dev, emu_chan_relid(emu_dev_primary(g->dev)) + q);
	struct emu_ring a, b;

	assert_non_null(ch);
	a = emu_chan_g2h(ch);
	b = emu_chan_h2g(ch);
	assert_int_equal(vmbus_ring_attach(&g->tx[q], a.hdr, a.data, a.data_size), 0);
	assert_int_equal(vmbus_ring_attach(&g->rx[q], b.hdr, b.data, b.data_size), 0);
	g->bell[q] = (struct ng_bell){ g, q };
	g->chan[q] = (struct tg_chan){
		.tx = &g->tx[q], .rx = &g->rx[q],
		.doorbell = bell_cb, .doorbell_arg = &g->bell[q],
		.pkt = g->pkt, .pkt_size = sizeof(g->pkt),
	};
}

void
ng_open_device(struct g *g)
{
	struct emu_msg_hello hello = {
		.hdr = { EMU_MSG_MAGIC, EMU_MSG_HELLO, EMU_MSG_VERSION },
	};
	struct emu_msg_welcome w;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dev/uio0", emu_host_root(g->h));
	g->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(g->sock >= 0);
	assert_int_equal(connect(g->sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(g->sock, &hello, sizeof(hello), 0), (ssize_t)sizeof(hello));
	for (i = 0; i < 100 && !emu_dev_is_open(g->dev); i++)
		assert_int_equal(emu_loop_run_once(emu_host_loop(g->h), 10), 0);
	assert_int_equal(recv(g->sock, &w, sizeof(w), 0), (ssize_t)sizeof(w));
	assert_int_equal(w.status, 0);
	const struct emu_frame_extent fe = {
		.gpa_page = NG_GPA_PAGE,
		.npages = NG_MEM_SIZE / HV_PAGE_SIZE,
		.va = (uint64_t)(uintptr_t)g->mem,
	};

	assert_int_equal(emu_guestmem_add_ptr(emu_dev_guestmem(g->dev),
					      (uint64_t)(uintptr_t)g->mem, NG_MEM_SIZE,
					      g->mem), 0);
	/* What the shim's pagemap hands over: g->mem's guest-physical pages. */
	assert_int_equal(emu_guestmem_add_frames(emu_dev_guestmem(g->dev), &fe, 1), 0);
	/* A re-offered device has new buffers: look them up every time. */
	g->recvbuf = emu_dev_map(g->dev, HV_UIO_MAP_RECV_BUF, &g->recv_size);
	g->sendbuf = emu_dev_map(g->dev, HV_UIO_MAP_SEND_BUF, NULL);
	g->rid = 1;
	ng_attach_rings(g, 0);
}

int
ng_setup(void **state, const struct ng_opts *o)
{
	struct emu_net_config nc;
	struct emu_config c;
	char root[64];
	struct g *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	emu_config_defaults(&c);
	snprintf(root, sizeof(root), "/tmp/emu-net-test-%d", (int)getpid());
	c.root = root;
	c.ring_size = o->ring_size != 0 ? o->ring_size : 256u * 1024u;
	c.recv_size = 1u << 20;
	c.gpa_is_va = o->gpa_is_va;
	c.send_size = 256u * 1024u;
	assert_int_equal(emu_host_create(&c, &g->h), 0);
	emu_net_config_defaults(&nc);
	nc.max_nvsp_version = o->max_version;
	nc.reoffer_ring_delay_ms = o->ring_delay_ms;
	/* Strict host; offers right after the completion unless a test asks
	 * for Hyper-V's delay (it then pumps until they appear). */
	nc.lenient = o->lenient;
	nc.subch_delay_ms = o->subch_delay_ms;
	nc.subch_jitter_ms = 0;
	nc.subch_grant_max = o->subch_grant_max;
	nc.txtbl_offset_quirk = o->txtbl_offset_quirk;
	if (o->resp_size_pre61 != 0)
		nc.resp_size_pre61 = o->resp_size_pre61;
	nc.doorbell_poll = o->doorbell_poll;
	nc.tx_comp_delay_us = 0;
	if (o->net_cfg != NULL)
		o->net_cfg(&nc);
	assert_int_equal(emu_net_attach(g->h, &nc), 0);
	emu_net_set_log(g->h, log_cb, g);
	g->dev = emu_host_dev(g->h, 0);
	g->nic = emu_net_nic(g->h, 0);
	g->cap.be.ops = &cap_ops;
	emu_nic_set_backend(g->nic, &g->cap.be);
	g->mem = aligned_alloc(HV_PAGE_SIZE, NG_MEM_SIZE);
	assert_non_null(g->mem);
	memset(g->mem, 0, NG_MEM_SIZE);
	g->gpa_is_va = o->gpa_is_va;
	ng_open_device(g);
	*state = g;
	return 0;
}

int
ng_setup_default(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61 };

	return ng_setup(state, &o);
}

int
ng_teardown(void **state)
{
	struct g *g = *state;
	unsigned int late = g->cap.late;

	if (g->sock >= 0)
		close(g->sock);
	emu_net_detach(g->h);
	emu_host_destroy(g->h);
	free(g->mem);
	free(g);
	/* Every test: no completion left while the backend held frames. */
	assert_int_equal(late, 0);
	return 0;
}

/* ---- Guest side of the channel ---- */

uint64_t
ng_gpa_page(const struct g *g, const void *p)
{
	const uint8_t *b = p;

	assert_true(b >= g->mem && b < g->mem + NG_MEM_SIZE);
	if (g->gpa_is_va)
		return (uint64_t)(uintptr_t)b >> HV_PAGE_SHIFT;
	return NG_GPA_PAGE + (uint64_t)(b - g->mem) / HV_PAGE_SIZE;
}

void
ng_doorbell(struct g *g, unsigned int q)
{
	struct emu_chan *ch = emu_dev_chan_by_relid(
		g->dev, emu_chan_relid(emu_dev_primary(g->dev)) + q);
	struct vmbus_monitor_page *mp = emu_dev_monitor_page(g->dev);
	uint32_t mask = 0, *w;

	assert_non_null(ch);
	assert_non_null(mp);
	w = hv_chan_monitor_word(mp, emu_chan_monitor_id(ch), &mask);
	assert_non_null(w);
	__atomic_fetch_or(w, mask, __ATOMIC_SEQ_CST);
}

void
ng_send_pkt(struct g *g, unsigned int q, const void *hdr, size_t hlen,
	    const void *msg, size_t mlen)
{
	g->chan[q].mute = g->mute;
	assert_int_equal(tg_send(&g->chan[q], hdr, hlen, msg, mlen), 0);
	ng_pump(g);
}

void
ng_send_inband(struct g *g, unsigned int q, const void *msg, size_t len,
	       uint64_t id, bool rc)
{
	g->chan[q].mute = g->mute;
	assert_int_equal(tg_send_inband(&g->chan[q], msg, len, id, rc), 0);
	ng_pump(g);
}

int
ng_recv_pkt(struct g *g, unsigned int q, struct vmbus_pkt_info *pi)
{
	/* A bad-desc fault reaches the caller as -EINVAL. */
	return tg_recv(&g->chan[q], pi);
}

void
ng_expect_comp(struct g *g, unsigned int q, uint64_t id, struct vmbus_pkt_info *pi)
{
	assert_int_equal(ng_recv_pkt(g, q, pi), 0);
	assert_int_equal(pi->type, VMBUS_PKT_COMPLETION);
	assert_int_equal(pi->trans_id, id);
}

uint32_t
ng_expect_tx_comp(struct g *g, unsigned int q, uint64_t id)
{
	struct vmbus_pkt_info pi;
	uint32_t status;

	ng_expect_comp(g, q, id, &pi);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload, pi.payload_len,
						       &status), 0);
	return status;
}

void
ng_ack(struct g *g, unsigned int q, uint64_t id)
{
	g->chan[q].mute = g->mute;
	assert_int_equal(tg_ack(&g->chan[q], id), 0);
	ng_pump(g);
}

uint32_t
ng_recv_rndis(struct g *g, unsigned int q, uint8_t *out, size_t out_len,
	      uint32_t want_type)
{
	struct vmbus_xfer_page_range r;
	struct vmbus_pkt_info pi;
	uint32_t ctype;

	do
		assert_int_equal(ng_recv_pkt(g, q, &pi), 0);
	while (pi.type == VMBUS_PKT_COMPLETION);
	assert_int_equal(pi.type, VMBUS_PKT_DATA_XFER_PAGES);
	assert_int_equal(pi.xfer_pageset_id, NVSP_RECV_BUF_ID);
	assert_int_equal(pi.range_count, 1);
	assert_int_equal(vmbus_pkt_xfer_range(&pi, 0, &r), 0);
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, (uint32_t)g->recv_size), 0);
	assert_true(r.byte_count <= out_len);
	memcpy(&ctype, (const uint8_t *)pi.payload + 4, 4);
	assert_int_equal(ctype, want_type);
	memcpy(out, g->recvbuf + r.byte_offset, r.byte_count);
	ng_ack(g, q, pi.trans_id);
	return r.byte_count;
}

/* ---- NVSP set-up ---- */

void
ng_nvsp_init(struct g *g, uint32_t version, uint32_t expect_status)
{
	struct nvsp_init_info ii;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(nvsp_build_init(m, sizeof(m), version), 40);
	ng_send_inband(g, 0, m, sizeof(m), 0, true);
	ng_expect_comp(g, 0, 0, &pi);
	/* The guest's validator must accept what the host sent. */
	assert_int_equal(nvsp_parse_init_complete(pi.payload, pi.payload_len, &ii),
			 expect_status == NVSP_STATUS_SUCCESS ? 0 : -ENOTSUP);
	assert_int_equal(ii.status, expect_status);
	/* INIT_COMPLETE has the pre-negotiation size: padded to 40 by
	 * default, 28 (32 in the ring) with resp_size_pre61 28. */
	assert_true(pi.payload_len == 40 || pi.payload_len == 32);
	if (expect_status == NVSP_STATUS_SUCCESS)
		g->version = version;
}

void
ng_nvsp_config(struct g *g, uint64_t caps)
{
	uint8_t m[40];

	assert_int_equal(nvsp_build_ndis_config(m, sizeof(m), 1514, caps), 40);
	ng_send_inband(g, 0, m, sizeof(m), 0, false);
	assert_int_equal(nvsp_build_ndis_version(m, sizeof(m),
						 nvsp_ndis_version(g->version)), 40);
	ng_send_inband(g, 0, m, sizeof(m), 0, false);
}

uint32_t
ng_nvsp_recv_buf(struct g *g, uint32_t gpadl)
{
	struct nvsp_recv_buf_info ri;
	struct vmbus_pkt_info pi;
	uint8_t m[40];
	int rc;

	assert_int_equal(nvsp_build_send_recv_buf(m, sizeof(m), gpadl,
						  NVSP_RECV_BUF_ID), 40);
	ng_send_inband(g, 0, m, sizeof(m), 7, true);
	ng_expect_comp(g, 0, 7, &pi);
	rc = nvsp_parse_recv_buf_complete(pi.payload, pi.payload_len,
					  (uint32_t)g->recv_size, &ri);
	assert_int_equal(rc, ri.status == NVSP_STATUS_SUCCESS ? 0 : -EPROTO);
	if (ri.status == NVSP_STATUS_SUCCESS) {
		assert_int_equal(ri.num_sections, 1);
		assert_true(ri.sub_alloc_size >= 1514 + 44);
	}
	return ri.status;
}

void
ng_nvsp_send_buf(struct g *g)
{
	struct nvsp_send_buf_info si;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(nvsp_build_send_send_buf(m, sizeof(m),
			 emu_dev_gpadl(g->dev, HV_UIO_MAP_SEND_BUF),
			 NVSP_SEND_BUF_ID), 40);
	ng_send_inband(g, 0, m, sizeof(m), 8, true);
	ng_expect_comp(g, 0, 8, &pi);
	assert_int_equal(nvsp_parse_send_buf_complete(pi.payload, pi.payload_len,
						      256u * 1024u, &si), 0);
	assert_int_equal(si.section_size, NG_SECTION);
}

/* ---- RNDIS control ---- */

void
ng_rndis_send(struct g *g, const void *req, int len)
{
	uint8_t *page = g->mem + 16 * HV_PAGE_SIZE;
	struct vmbus_pkt_page pg = {
		.pfn = ng_gpa_page(g, page),
		.byte_count = (uint32_t)len,
	};
	uint8_t hdr[64], m[40];
	int hl;

	assert_true(len > 0);
	memcpy(page, req, (size_t)len);
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_CONTROL,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), &pg, 1, sizeof(m), 0,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	ng_send_pkt(g, 0, hdr, (size_t)hl, m, sizeof(m));
}

uint32_t
ng_rndis_query(struct g *g, uint32_t oid, void *out, uint32_t out_len)
{
	struct rndis_query_result qr;
	uint8_t req[64];
	uint32_t rid = ++g->rid, n;

	ng_rndis_send(g, req, rndis_query_req_build(req, sizeof(req), rid, oid,
						    NULL, 0));
	n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	assert_int_equal(rndis_query_cmplt_parse(g->msg, n, &qr), 0);
	assert_int_equal(qr.rid, rid);
	assert_true(qr.info_len <= out_len);
	memcpy(out, qr.info, qr.info_len);
	return qr.info_len;
}

uint32_t
ng_rndis_set(struct g *g, uint32_t oid, const void *info, uint32_t len)
{
	struct rndis_cmplt_result cr;
	static uint8_t req[2048];
	uint32_t rid = ++g->rid, n;
	int rc;

	ng_rndis_send(g, req, rndis_set_req_build(req, sizeof(req), rid, oid, info,
						  len));
	n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	rc = rndis_set_cmplt_parse(g->msg, n, &cr);
	assert_int_equal(cr.rid, rid);
	/* The validator accepts the message; -EIO only reports a status. */
	assert_int_equal(rc, cr.status == RNDIS_STATUS_SUCCESS ? 0 : -EIO);
	return cr.status;
}

void
ng_set_filter(struct g *g, uint32_t filter)
{
	assert_int_equal(ng_rndis_set(g, RNDIS_OID_GEN_CURRENT_PACKET_FILTER,
				      &filter, 4), RNDIS_STATUS_SUCCESS);
}

void
ng_expect_indication(struct g *g, uint32_t status)
{
	struct rndis_status_ind ind;
	uint32_t n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg),
				   NVSP_CHANNEL_TYPE_CONTROL);

	assert_int_equal(rndis_indicate_status_parse(g->msg, n, &ind), 0);
	assert_int_equal(ind.status, status);
}

void
ng_rndis_init(struct g *g)
{
	struct rndis_init_info ii;
	uint8_t req[64];
	uint32_t n;

	ng_rndis_send(g, req, rndis_init_req_build(req, sizeof(req), 1,
						   RNDIS_MAX_XFER_SIZE_DEFAULT));
	n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	assert_int_equal(rndis_init_cmplt_parse(g->msg, n, &ii), 0);
	assert_int_equal(ii.rid, 1);
	assert_int_equal(rndis_init_pkt_align(&ii), 8);
	/* No MEDIA_CONNECT follows (test_emu_net_no_link_after_init). */
}

/* ---- The core's session ---- */

/* ng_pump runs the host to quiescence; 20 empty rounds = no reply. */
static bool
session_wait(void *arg, unsigned int idle)
{
	ng_pump(arg);
	return idle > 20;
}

void
ng_session_cfg(struct g *g, struct hv_bringup_cfg *c)
{
	uint8_t *page = g->mem + 16 * HV_PAGE_SIZE;
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
	g->sess.chan = &g->chan[0];
	g->sess.recvbuf = g->recvbuf;
	g->sess.recv_size = (uint32_t)g->recv_size;
	g->sess.wait = session_wait;
	g->sess.wait_arg = g;
}

void
ng_session_ok(struct g *g, int rc)
{
	if (rc != 0)
		fail_msg("session: %s", g->sess.why);
}

void
ng_bring_up_with(struct g *g, uint32_t version, uint64_t caps)
{
	const struct hv_bringup_result *r;
	struct hv_bringup_cfg cfg;

	ng_session_cfg(g, &cfg);
	cfg.nvsp_max_version = version;
	cfg.nvsp_min_version = version;
	cfg.ndis_caps = caps;
	g->chan[0].mute = g->mute;
	ng_session_ok(g, tg_bring_up(&g->sess, &cfg));
	r = hv_bringup_result(&g->sess.b);
	assert_int_equal(r->nvsp_version, version);
	assert_int_equal(r->send_section_size, NG_SECTION);
	assert_true(r->recv_section_size >= 1514 + 44);
	assert_int_equal(r->rndis_pkt_align, 8);
	assert_memory_equal(r->mac, emu_dev_mac(g->dev), 6);
	assert_int_equal(g->sess.b.stats.malformed, 0);
	g->version = version;
}

void
ng_bring_up_by_hand(struct g *g, uint32_t version, uint64_t caps)
{
	ng_nvsp_init(g, version, NVSP_STATUS_SUCCESS);
	ng_nvsp_config(g, caps);
	assert_int_equal(ng_nvsp_recv_buf(g, emu_dev_gpadl(g->dev, HV_UIO_MAP_RECV_BUF)),
			 NVSP_STATUS_SUCCESS);
	ng_nvsp_send_buf(g);
	ng_rndis_init(g);
}

void
ng_bring_up(struct g *g)
{
	ng_bring_up_with(g, NVSP_VERSION_61,
			 NVSP_NDIS_CAP_IEEE8021Q | NVSP_NDIS_CAP_SRIOV);
}

size_t
ng_tcp_frame(const struct g *g, uint8_t *f, size_t payload)
{
	static const uint8_t ip[20] = {
		0x45, 0, 0, 0, 0, 1, 0, 0, 64, 6, 0, 0,
		0x42, 0x09, 0x95, 0xbb, 0xa1, 0x8e, 0x64, 0x50,
	};
	size_t i;

	memcpy(f, emu_dev_mac(g->dev), 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01\x08\x00", 8);
	memcpy(f + 14, ip, sizeof(ip));
	f[16] = (uint8_t)((40 + payload) >> 8);
	f[17] = (uint8_t)(40 + payload);
	memset(f + 34, 0, 20);
	f[34] = 2794 >> 8;
	f[35] = 2794 & 0xff;
	f[36] = 1766 >> 8;
	f[37] = 1766 & 0xff;
	f[46] = 5 << 4;
	f[47] = 0x10;
	for (i = 0; i < payload; i++)
		f[54 + i] = (uint8_t)i;
	return 54 + payload;
}
