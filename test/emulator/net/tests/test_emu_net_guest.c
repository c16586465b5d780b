/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scripted guest against the host network service, in one process:
 * the emulated host runs on this thread (one loop iteration per step),
 * the "guest" opens /dev/uio0 over the emulator's socket, hands over
 * memory, and speaks NVSP/RNDIS through the same core builders, parsers
 * and ring code the driver uses, on the rings the kernel face created.
 */
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

#include "emu_net_priv.h"
#include "emu_offload.h"
#include "emu_proto.h"

#define MEM_SIZE (1u << 20)
#define MAX_CAP 8
#define MAX_LOG 64

struct cap_be {
	struct emu_backend be;
	unsigned int n;
	size_t len[MAX_CAP];
	uint8_t f[MAX_CAP][2048];
};

struct g {
	struct emu_host *h;
	struct emu_dev *dev;
	struct emu_nic *nic;
	int sock;
	uint8_t *mem;          /* guest memory handed to the host */
	uint8_t *recvbuf, *sendbuf;
	size_t recv_size;
	struct vmbus_ring tx[EMU_NET_MAX_QUEUES], rx[EMU_NET_MAX_QUEUES];
	uint32_t version;
	uint32_t rid;
	char log[MAX_LOG][512];
	unsigned int nlog;
	struct cap_be cap;
	uint8_t pkt[65536];
	uint8_t msg[4096];
};

static const uint8_t rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static void
cap_xmit(struct emu_backend *be, const void *frame, size_t len)
{
	struct cap_be *c = (struct cap_be *)be;

	if (c->n < MAX_CAP && len <= sizeof(c->f[0])) {
		memcpy(c->f[c->n], frame, len);
		c->len[c->n++] = len;
	}
}

static void
cap_destroy(struct emu_backend *be)
{
	(void)be;
}

static const struct emu_backend_ops cap_ops = {
	.name = "capture",
	.xmit = cap_xmit,
	.destroy = cap_destroy,
};

static void
log_cb(void *arg, const char *line)
{
	struct g *g = arg;

	if (g->nlog < MAX_LOG)
		snprintf(g->log[g->nlog++], sizeof(g->log[0]), "%s", line);
}

static bool
logged(const struct g *g, const char *needle)
{
	unsigned int i;

	for (i = 0; i < g->nlog; i++)
		if (strstr(g->log[i], needle) != NULL)
			return true;
	return false;
}

static uint64_t
protocol_errors(const struct g *g)
{
	struct emu_nic_stats st;

	emu_nic_stats(g->nic, &st);
	return st.protocol_errors;
}

static void
pump(struct g *g)
{
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(emu_loop_run_once(emu_host_loop(g->h), 0), 0);
}

static void
attach_rings(struct g *g, unsigned int q)
{
	struct emu_chan *ch = emu_dev_chan_by_relid(
		g->dev, emu_chan_relid(emu_dev_primary(g->dev)) + q);
	struct emu_ring a, b;

	assert_non_null(ch);
	a = emu_chan_g2h(ch);
	b = emu_chan_h2g(ch);
	assert_int_equal(vmbus_ring_attach(&g->tx[q], a.hdr, a.data, a.data_size), 0);
	assert_int_equal(vmbus_ring_attach(&g->rx[q], b.hdr, b.data, b.data_size), 0);
}

/* What the shim does in open("/dev/uio0"). */
static void
open_device(struct g *g)
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
	assert_int_equal(emu_guestmem_add_ptr(emu_dev_guestmem(g->dev),
					      (uint64_t)(uintptr_t)g->mem, MEM_SIZE,
					      g->mem), 0);
	attach_rings(g, 0);
}

static int
setup_host(void **state, uint32_t max_version)
{
	struct emu_net_config nc;
	struct emu_config c;
	char root[64];
	struct g *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	emu_config_defaults(&c);
	snprintf(root, sizeof(root), "/tmp/emu-net-test-%d", (int)getpid());
	c.root = root;
	c.ring_size = 256u * 1024u;
	c.recv_size = 1u << 20;
	c.send_size = 256u * 1024u;
	assert_int_equal(emu_host_create(&c, &g->h), 0);
	emu_net_config_defaults(&nc);
	nc.max_nvsp_version = max_version;
	assert_int_equal(emu_net_attach(g->h, &nc), 0);
	emu_net_set_log(g->h, log_cb, g);
	g->dev = emu_host_dev(g->h, 0);
	g->nic = emu_net_nic(g->h, 0);
	g->cap.be.ops = &cap_ops;
	emu_nic_set_backend(g->nic, &g->cap.be);
	g->mem = aligned_alloc(HV_PAGE_SIZE, MEM_SIZE);
	assert_non_null(g->mem);
	memset(g->mem, 0, MEM_SIZE);
	g->recvbuf = emu_dev_map(g->dev, HV_UIO_MAP_RECV_BUF, &g->recv_size);
	g->sendbuf = emu_dev_map(g->dev, HV_UIO_MAP_SEND_BUF, NULL);
	g->rid = 1;
	open_device(g);
	*state = g;
	return 0;
}

static int
setup(void **state)
{
	return setup_host(state, NVSP_VERSION_61);
}

static int
setup_old_host(void **state)
{
	return setup_host(state, NVSP_VERSION_5);
}

static int
teardown(void **state)
{
	struct g *g = *state;

	close(g->sock);
	emu_net_detach(g->h);
	emu_host_destroy(g->h);
	free(g->mem);
	free(g);
	return 0;
}

/* ---- Guest side of the channel ---- */

static void
send_pkt(struct g *g, unsigned int q, const void *hdr, size_t hlen,
	 const void *msg, size_t mlen)
{
	struct hv_sg sg[2] = { { hdr, (uint32_t)hlen }, { msg, (uint32_t)mlen } };
	bool sig;

	assert_int_equal(vmbus_ring_write(&g->tx[q], sg, 2, &sig), 0);
	pump(g);
}

static void
send_inband(struct g *g, unsigned int q, const void *msg, size_t len,
	    uint64_t id, bool rc)
{
	uint8_t hdr[16];

	assert_int_equal(vmbus_pkt_build_inband(hdr, sizeof(hdr), len, id,
						rc ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0),
			 16);
	send_pkt(g, q, hdr, sizeof(hdr), msg, len);
}

/* Next packet from the host on queue q, or -EAGAIN. */
static int
recv_pkt(struct g *g, unsigned int q, struct vmbus_pkt_info *pi)
{
	uint32_t len;
	bool sig;
	int rc = vmbus_ring_read(&g->rx[q], g->pkt, sizeof(g->pkt), &len);

	if (rc != 0)
		return rc;
	assert_int_equal(vmbus_ring_commit(&g->rx[q], &sig), 0);
	assert_int_equal(vmbus_pkt_parse(g->pkt, len, pi), 0);
	return 0;
}

static void
expect_comp(struct g *g, unsigned int q, uint64_t id, struct vmbus_pkt_info *pi)
{
	assert_int_equal(recv_pkt(g, q, pi), 0);
	assert_int_equal(pi->type, VMBUS_PKT_COMPLETION);
	assert_int_equal(pi->trans_id, id);
}

static void
ack(struct g *g, unsigned int q, uint64_t id)
{
	uint8_t hdr[16], m[40];

	assert_int_equal(nvsp_build_rndis_pkt_complete(m, sizeof(m),
						       NVSP_STATUS_SUCCESS), 40);
	assert_int_equal(vmbus_pkt_build_comp(hdr, sizeof(hdr), sizeof(m), id), 16);
	send_pkt(g, q, hdr, sizeof(hdr), m, sizeof(m));
}

/* Next transfer-page packet on q (completions skipped): copy, then ACK. */
static uint32_t
recv_rndis(struct g *g, unsigned int q, uint8_t *out, size_t out_len,
	   uint32_t want_type)
{
	struct vmbus_xfer_page_range r;
	struct vmbus_pkt_info pi;
	uint32_t ctype;

	do
		assert_int_equal(recv_pkt(g, q, &pi), 0);
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
	ack(g, q, pi.trans_id);
	return r.byte_count;
}

/* ---- NVSP setup ---- */

static void
nvsp_init(struct g *g, uint32_t version, uint32_t expect_status)
{
	struct nvsp_init_info ii;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(nvsp_build_init(m, sizeof(m), version), 40);
	send_inband(g, 0, m, sizeof(m), 0, true);
	expect_comp(g, 0, 0, &pi);
	nvsp_parse_init_complete(pi.payload, pi.payload_len, &ii);
	assert_int_equal(ii.status, expect_status);
	if (expect_status == NVSP_STATUS_SUCCESS) {
		g->version = version;
		/* 40-byte responses from 6.1 on, 28 before (padded to 8). */
		assert_int_equal(pi.payload_len, version >= NVSP_VERSION_61 ? 40 : 32);
	}
}

static void
nvsp_config(struct g *g)
{
	uint8_t m[40];

	assert_int_equal(nvsp_build_ndis_config(m, sizeof(m), 1514,
						NVSP_NDIS_CAP_IEEE8021Q |
						NVSP_NDIS_CAP_SRIOV), 40);
	send_inband(g, 0, m, sizeof(m), 0, false);
	assert_int_equal(nvsp_build_ndis_version(m, sizeof(m),
						 nvsp_ndis_version(g->version)), 40);
	send_inband(g, 0, m, sizeof(m), 0, false);
}

static uint32_t
nvsp_recv_buf(struct g *g, uint32_t gpadl)
{
	struct nvsp_recv_buf_info ri;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(nvsp_build_send_recv_buf(m, sizeof(m), gpadl,
						  NVSP_RECV_BUF_ID), 40);
	send_inband(g, 0, m, sizeof(m), 7, true);
	expect_comp(g, 0, 7, &pi);
	(void)nvsp_parse_recv_buf_complete(pi.payload, pi.payload_len,
					   (uint32_t)g->recv_size, &ri);
	if (ri.status == NVSP_STATUS_SUCCESS) {
		assert_int_equal(ri.num_sections, 1);
		assert_true(ri.sub_alloc_size >= 1514 + 44);
	}
	return ri.status;
}

static void
nvsp_send_buf(struct g *g)
{
	struct nvsp_send_buf_info si;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(nvsp_build_send_send_buf(m, sizeof(m),
			 emu_dev_gpadl(g->dev, HV_UIO_MAP_SEND_BUF),
			 NVSP_SEND_BUF_ID), 40);
	send_inband(g, 0, m, sizeof(m), 8, true);
	expect_comp(g, 0, 8, &pi);
	assert_int_equal(nvsp_parse_send_buf_complete(pi.payload, pi.payload_len,
						      256u * 1024u, &si), 0);
	assert_int_equal(si.section_size, 6144);
}

/* ---- RNDIS control, the DPDK way: one GPA page, trans_id 0 ---- */

static void
rndis_send(struct g *g, const void *req, int len)
{
	uint8_t *page = g->mem + 16 * HV_PAGE_SIZE;
	struct vmbus_pkt_page pg = {
		.pfn = (uint64_t)(uintptr_t)page / HV_PAGE_SIZE,
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
	send_pkt(g, 0, hdr, (size_t)hl, m, sizeof(m));
}

static uint32_t
rndis_query(struct g *g, uint32_t oid, void *out, uint32_t out_len)
{
	struct rndis_query_result qr;
	uint8_t req[64];
	uint32_t rid = ++g->rid, n;

	rndis_send(g, req, rndis_query_req_build(req, sizeof(req), rid, oid, NULL, 0));
	n = recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	assert_int_equal(rndis_query_cmplt_parse(g->msg, n, &qr), 0);
	assert_int_equal(qr.rid, rid);
	assert_true(qr.info_len <= out_len);
	memcpy(out, qr.info, qr.info_len);
	return qr.info_len;
}

static uint32_t
rndis_set(struct g *g, uint32_t oid, const void *info, uint32_t len)
{
	struct rndis_cmplt_result cr;
	static uint8_t req[2048];
	uint32_t rid = ++g->rid, n;

	rndis_send(g, req, rndis_set_req_build(req, sizeof(req), rid, oid, info, len));
	n = recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	(void)rndis_set_cmplt_parse(g->msg, n, &cr);
	assert_int_equal(cr.rid, rid);
	return cr.status;
}

static void
expect_indication(struct g *g, uint32_t status)
{
	struct rndis_status_ind ind;
	uint32_t n = recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);

	assert_int_equal(rndis_indicate_status_parse(g->msg, n, &ind), 0);
	assert_int_equal(ind.status, status);
}

static void
rndis_init(struct g *g)
{
	struct rndis_init_info ii;
	uint8_t req[64];
	uint32_t n;

	rndis_send(g, req, rndis_init_req_build(req, sizeof(req), 1,
						RNDIS_MAX_XFER_SIZE_DEFAULT));
	n = recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	assert_int_equal(rndis_init_cmplt_parse(g->msg, n, &ii), 0);
	assert_int_equal(ii.rid, 1);
	assert_int_equal(rndis_init_pkt_align(&ii), 8);
	expect_indication(g, RNDIS_STATUS_MEDIA_CONNECT);
}

static void
bring_up(struct g *g)
{
	nvsp_init(g, NVSP_VERSION_61, NVSP_STATUS_SUCCESS);
	nvsp_config(g);
	assert_int_equal(nvsp_recv_buf(g, emu_dev_gpadl(g->dev, HV_UIO_MAP_RECV_BUF)),
			 NVSP_STATUS_SUCCESS);
	nvsp_send_buf(g);
	rndis_init(g);
}

/* ---- Tests ---- */

static void
test_emu_net_version_refused_then_lower(void **state)
{
	struct g *g = *state;

	/* The host stops at NVSP 5: 6.1 and 6 are refused, 5 works. */
	nvsp_init(g, NVSP_VERSION_61, NVSP_STATUS_FAILURE);
	nvsp_init(g, NVSP_VERSION_6, NVSP_STATUS_FAILURE);
	nvsp_init(g, NVSP_VERSION_5, NVSP_STATUS_SUCCESS);
	assert_true(logged(g, "NVSP INIT: refused 0x60001"));
	assert_int_equal(g->nic->version, NVSP_VERSION_5);
	/* Refusing a version is normal negotiation, not a violation. */
	assert_int_equal(protocol_errors(g), 0);
}

static void
test_emu_net_control_plane(void **state)
{
	struct g *g = *state;
	uint8_t mac[6];
	uint32_t v = 0;

	bring_up(g);
	assert_int_equal(rndis_query(g, RNDIS_OID_802_3_PERMANENT_ADDRESS, mac, 6), 6);
	assert_memory_equal(mac, emu_dev_mac(g->dev), 6);
	assert_int_equal(rndis_query(g, RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, &v, 4), 4);
	assert_int_equal(v, 1500);
	assert_int_equal(rndis_query(g, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, &v, 4), 4);
	assert_int_equal(v, RNDIS_MEDIA_STATE_CONNECTED);
	assert_int_equal(rndis_query(g, RNDIS_OID_GEN_LINK_SPEED, &v, 4), 4);
	assert_int_equal(v, 100000000u);
	v = RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_BROADCAST;
	assert_int_equal(rndis_set(g, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &v, 4),
			 RNDIS_STATUS_SUCCESS);
	assert_int_equal(g->nic->filter, v);
	/* Unknown OID: NOT_SUPPORTED, not a crash nor a protocol error. */
	assert_int_equal(rndis_set(g, 0x00FFFF01u, &v, 4), RNDIS_STATUS_NOT_SUPPORTED);

	emu_nic_set_link(g->nic, false);
	pump(g);
	expect_indication(g, RNDIS_STATUS_MEDIA_DISCONNECT);
	assert_int_equal(emu_nic_rx(g->nic, g->pkt, 60), -ENETDOWN);
	emu_nic_set_link(g->nic, true);
	pump(g);
	expect_indication(g, RNDIS_STATUS_MEDIA_CONNECT);
	assert_int_equal(protocol_errors(g), 0);
}

static void
subchannels_and_rss(struct g *g, uint32_t *table)
{
	struct nvsp_subchannel_info si;
	struct nvsp_indirection_info it;
	struct vmbus_pkt_info pi;
	static uint8_t obj[1024];
	struct ndis_rss_cfg rc = {
		.hash_info = NDIS_HASH_FUNCTION_TOEPLITZ | NDIS_HASH_IPV4 |
			     NDIS_HASH_TCP_IPV4,
		.key = rss_key,
		.table = table,
		.table_entries = EMU_NET_RSS_ENTRIES,
	};
	uint8_t m[40];
	unsigned int i;
	int n;

	assert_int_equal(nvsp_build_subchannel_req(m, sizeof(m), 3), 40);
	send_inband(g, 0, m, sizeof(m), 9, true);
	expect_comp(g, 0, 9, &pi);
	assert_int_equal(nvsp_parse_subchannel_resp(pi.payload, pi.payload_len, 3,
						    &si), 0);
	assert_int_equal(si.num_subchannels, 3);
	assert_int_equal(emu_nic_nchan(g->nic), 4);
	for (i = 1; i < 4; i++)
		attach_rings(g, i);
	/* Then the host's table for the guest's TX spreading. */
	assert_int_equal(recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.type, VMBUS_PKT_DATA_INBAND);
	assert_int_equal(nvsp_parse_indirection_table(pi.payload, pi.payload_len,
						      g->version, &it), 0);
	assert_true(nvsp_indirection_table_valid(&it, 4));
	assert_int_equal(it.table[5], 1);

	for (i = 0; i < EMU_NET_RSS_ENTRIES; i++)
		table[i] = (i * 7u + 1u) % 4u;
	n = ndis_rss_params_build(obj, sizeof(obj), &rc);
	assert_true(n > 0);
	assert_int_equal(rndis_set(g, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, obj,
				   (uint32_t)n), RNDIS_STATUS_SUCCESS);
	assert_true(g->nic->rss_on);
}

/* One small frame in a send section, aggregated with a VLAN-tagged one. */
static void
tx_chimney(struct g *g)
{
	struct rndis_pkt_meta meta = { 0 };
	struct vmbus_pkt_info pi;
	uint8_t *sec = g->sendbuf + 2u * 6144u, m[40], f[60];
	uint32_t status;
	int off, off2, len1;

	memset(f, 0xab, sizeof(f));
	memcpy(f, emu_dev_mac(g->dev), 6);
	off = rndis_pkt_encode(sec, 6144, &meta, sizeof(f), 0);
	assert_true(off > 0);
	memcpy(sec + off, f, sizeof(f));
	len1 = rndis_pkt_msg_len_align(sec, 6144, 8);
	assert_true(len1 > 0);
	meta.present = RNDIS_META_VLAN;
	meta.vlan_tci = 0x2005;
	off2 = rndis_pkt_encode(sec + len1, 6144u - (uint32_t)len1, &meta,
				sizeof(f), 0);
	assert_true(off2 > 0);
	memcpy(sec + len1 + off2, f, sizeof(f));
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
			 2, (uint32_t)(len1 + off2) + sizeof(f)), 40);
	/* Sent on queue 1: the completion must come back there. */
	send_inband(g, 1, m, sizeof(m), 0x1234, true);
	expect_comp(g, 1, 0x1234, &pi);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload, pi.payload_len,
						       &status), 0);
	assert_int_equal(status, NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 2);
	assert_int_equal(g->cap.len[0], sizeof(f));
	assert_memory_equal(g->cap.f[0], f, sizeof(f));
	assert_int_equal(g->cap.len[1], sizeof(f) + 4);
	assert_memory_equal(g->cap.f[1] + 12, "\x81\x00\x20\x05", 4);
}

static size_t
tcp_frame(struct g *g, uint8_t *f, size_t payload)
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

/* RNDIS header in one page, the frame across a page boundary. */
static void
tx_gpa(struct g *g)
{
	uint8_t *hdrpg = g->mem + 20 * HV_PAGE_SIZE;
	uint8_t *frame = g->mem + 22 * HV_PAGE_SIZE - 100;
	struct rndis_pkt_meta meta = { .present = RNDIS_META_CSUM };
	struct vmbus_pkt_page pg[3];
	struct vmbus_pkt_info pi;
	uint8_t hdr[96], m[40];
	size_t flen = tcp_frame(g, frame, 500);
	uint32_t status;
	int off, hl;

	meta.csum = rndis_txcsum_value(RNDIS_TXCSUM_IPV4 | RNDIS_TXCSUM_TCP |
				       RNDIS_TXCSUM_IP, 34);
	off = rndis_pkt_encode(hdrpg, HV_PAGE_SIZE, &meta, (uint32_t)flen, 0);
	assert_true(off > 0);
	pg[0] = (struct vmbus_pkt_page){ (uintptr_t)hdrpg / HV_PAGE_SIZE, 0,
					 (uint32_t)off };
	pg[1] = (struct vmbus_pkt_page){ (uintptr_t)frame / HV_PAGE_SIZE,
					 HV_PAGE_SIZE - 100, 100 };
	pg[2] = (struct vmbus_pkt_page){ (uintptr_t)frame / HV_PAGE_SIZE + 1, 0,
					 (uint32_t)flen - 100 };
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), pg, 3, sizeof(m), 0x5678,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	send_pkt(g, 0, hdr, (size_t)hl, m, sizeof(m));
	expect_comp(g, 0, 0x5678, &pi);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload, pi.payload_len,
						       &status), 0);
	assert_int_equal(status, NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 3);
	assert_int_equal(g->cap.len[2], flen);
	/* The host filled in both checksums the PPI asked for. */
	assert_int_equal(emu_csum_verify(g->cap.f[2], flen),
			 RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_TCP_OK);
}

static void
rx_rss(struct g *g, const uint32_t *table)
{
	static uint8_t f[256], in[36];
	struct emu_chan_stats cs;
	struct rndis_pkt_info pk;
	uint32_t type, hash, n;
	unsigned int q;
	uint64_t acks;
	size_t flen = tcp_frame(g, f, 100), il;

	il = emu_rss_input(f, flen, NDIS_HASH_TCP_IPV4, in, &type);
	hash = ndis_toeplitz_hash(rss_key, sizeof(rss_key), in, il);
	assert_int_equal(hash, 0x51ccc178u); /* Microsoft's test vector */
	q = table[hash % EMU_NET_RSS_ENTRIES];
	assert_int_equal(q, 1); /* entry 120: a subchannel, not the primary */
	emu_nic_chan_stats(g->nic, q, &cs);
	acks = cs.acks_received;
	emu_l4_csum_set(f, flen, &(struct emu_frame_info){ .l3_off = 14, .ipver = 4,
			.l4_off = 34, .l4_proto = 6, .ip_end = (uint32_t)flen });
	assert_int_equal(emu_nic_rx(g->nic, f, flen), 0);
	n = recv_rndis(g, q, g->pkt + 32768, 4096, NVSP_CHANNEL_TYPE_DATA);
	assert_int_equal(rndis_pkt_parse(g->pkt + 32768, n, &pk), 0);
	assert_int_equal(pk.data_len, flen);
	assert_memory_equal(g->pkt + 32768 + pk.data_off, f, flen);
	assert_true(pk.meta.present & RNDIS_META_HASH_VALUE);
	assert_int_equal(pk.meta.hash_value, hash);
	assert_int_equal(pk.meta.hash_info, NDIS_HASH_FUNCTION_TOEPLITZ |
			 NDIS_HASH_TCP_IPV4);
	assert_int_equal(pk.meta.csum, RNDIS_RXCSUM_TCP_OK | RNDIS_RXCSUM_IP_FAILED);
	pump(g);
	emu_nic_chan_stats(g->nic, q, &cs);
	assert_int_equal(cs.rx_packets, 1);
	assert_int_equal(cs.acks_received, acks + 1);
}

static void
rx_vlan(struct g *g)
{
	static uint8_t f[128], t[132];
	struct rndis_pkt_info pk;
	uint32_t n;
	int tl;

	memset(f, 0x5a, sizeof(f));
	memset(f, 0xff, 6); /* broadcast, allowed by the filter */
	f[12] = 0x88;
	f[13] = 0xb5;
	tl = emu_vlan_insert(f, 64, 0x6123, t, sizeof(t));
	assert_int_equal(emu_nic_rx(g->nic, t, (size_t)tl), 0);
	n = recv_rndis(g, 0, g->pkt + 32768, 4096, NVSP_CHANNEL_TYPE_DATA);
	assert_int_equal(rndis_pkt_parse(g->pkt + 32768, n, &pk), 0);
	assert_int_equal(pk.data_len, 64);
	assert_true(pk.meta.present & RNDIS_META_VLAN);
	assert_int_equal(pk.meta.vlan_tci, 0x6123);
	assert_false(pk.meta.present & RNDIS_META_HASH_VALUE); /* not IP */
	/* Multicast is not in the guest's filter. */
	f[0] = 0x01;
	assert_int_equal(emu_nic_rx(g->nic, f, 64), -ENETDOWN);
}

static void
test_emu_net_data_path(void **state)
{
	struct g *g = *state;
	uint32_t table[EMU_NET_RSS_ENTRIES];
	uint32_t v = RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_BROADCAST;

	bring_up(g);
	/* Nothing reaches a guest whose filter is still 0. */
	assert_int_equal(emu_nic_rx(g->nic, g->pkt, 60), -ENETDOWN);
	assert_int_equal(rndis_set(g, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &v, 4),
			 RNDIS_STATUS_SUCCESS);
	subchannels_and_rss(g, table);
	tx_chimney(g);
	tx_gpa(g);
	rx_rss(g, table);
	rx_vlan(g);
	assert_int_equal(protocol_errors(g), 0);
}

static void
test_emu_net_violations(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint8_t m[40], req[64];
	uint32_t status;

	nvsp_init(g, NVSP_VERSION_61, NVSP_STATUS_SUCCESS);
	/* 1: RNDIS before the NVSP set-up is complete. */
	rndis_send(g, req, rndis_init_req_build(req, sizeof(req), 1, 0x4000));
	expect_comp(g, 0, 0, &pi);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload, pi.payload_len,
						       &status), 0);
	assert_int_equal(status, NVSP_STATUS_FAILURE);
	assert_true(logged(g, "protocol error: NVSP SEND_RNDIS_PKT: before NVSP initialisation"));
	nvsp_config(g);
	/* 2: duplicate NDIS_CONFIG. */
	assert_int_equal(nvsp_build_ndis_config(m, sizeof(m), 1514, 0), 40);
	send_inband(g, 0, m, sizeof(m), 0, false);
	assert_true(logged(g, "nic0 relid 15: protocol error: NVSP SEND_NDIS_CONFIG: duplicate"));
	/* 3: a receive buffer GPADL that is not the kernel's. */
	assert_int_equal(nvsp_recv_buf(g, 12), NVSP_STATUS_FAILURE);
	assert_true(logged(g, "nic0 relid 15: protocol error: NVSP SEND_RECV_BUF: gpadl 12 is not the receive buffer's (925200)"));
	assert_int_equal(nvsp_recv_buf(g, 925200), NVSP_STATUS_SUCCESS);
	nvsp_send_buf(g);
	/* 4: RNDIS QUERY before RNDIS INITIALIZE: answered with a failure. */
	rndis_send(g, req, rndis_query_req_build(req, sizeof(req), 5,
						 RNDIS_OID_GEN_LINK_SPEED, NULL, 0));
	(void)recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	assert_true(logged(g, "protocol error: RNDIS QUERY rid 5 before INITIALIZE"));
	rndis_init(g);
	/* 5: a send section beyond the send buffer. */
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      99999, 100), 40);
	send_inband(g, 0, m, sizeof(m), 0xabc, true);
	expect_comp(g, 0, 0xabc, &pi);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload, pi.payload_len,
						       &status), 0);
	assert_int_equal(status, NVSP_STATUS_FAILURE);
	assert_true(logged(g, "send section 99999 size 100 outside the send buffer"));
	/* 6: an RNDIS_ACK for a packet the host never sent. */
	ack(g, 0, 777777);
	assert_true(logged(g, "protocol error: NVSP RNDIS_ACK: unknown trans_id 777777"));
	assert_int_equal(protocol_errors(g), 6);
	/* The host is still serving: a keepalive is answered. */
	rndis_send(g, req, rndis_keepalive_req_build(req, sizeof(req), 9));
	assert_true(recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL) >= 16);
}

static void
test_emu_net_faults_and_names(void **state)
{
	struct g *g = *state;
	enum emu_fault f;
	unsigned int i;

	for (i = 0; i < EMU_FAULT_COUNT; i++) {
		assert_non_null(emu_fault_name((enum emu_fault)i));
		assert_int_equal(emu_fault_from_name(emu_fault_name((enum emu_fault)i),
						     &f), 0);
		assert_int_equal(f, i);
	}
	assert_int_equal(emu_fault_from_name("nonsense", &f), -EINVAL);
	assert_null(emu_fault_name(EMU_FAULT_COUNT));
	/* Two TX completions dropped, then normal again. */
	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_DROP_COMPLETION, 2), 0);
	assert_true(emu_fault_take(g->nic, EMU_FAULT_DROP_COMPLETION));
	assert_true(emu_fault_take(g->nic, EMU_FAULT_DROP_COMPLETION));
	assert_false(emu_fault_take(g->nic, EMU_FAULT_DROP_COMPLETION));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_net_version_refused_then_lower,
						setup_old_host, teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_control_plane, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_data_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_violations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_faults_and_names, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
