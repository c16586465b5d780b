/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The network service against the scripted guest of net_harness.h:
 * version negotiation, control plane, the data path with subchannels and
 * RSS, protocol violations, fault names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu_offload.h"
#include "net_harness.h"

static const uint8_t rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static void
cfg_hash(struct emu_net_config *nc)
{
	nc->rx_hash_ppi = true;
}

/* The data path test checks the hash PPIs: a host option. */
static int
setup_hash(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61, .net_cfg = cfg_hash };

	return ng_setup(state, &o);
}

static int
setup_old_host(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_5 };

	return ng_setup(state, &o);
}

/* ---- Tests ---- */

static void
test_emu_net_version_refused_then_lower(void **state)
{
	struct g *g = *state;

	/* The host stops at NVSP 5: 6.1 and 6 are refused with status
	 * NONE, as Azure's host refuses, and 5 works. */
	ng_nvsp_init(g, NVSP_VERSION_61, NVSP_STATUS_NONE);
	ng_nvsp_init(g, NVSP_VERSION_6, NVSP_STATUS_NONE);
	ng_nvsp_init(g, NVSP_VERSION_5, NVSP_STATUS_SUCCESS);
	assert_true(ng_logged(g, "NVSP INIT: refused 0x60001"));
	assert_int_equal(g->nic->version, NVSP_VERSION_5);
	/* Refusing a version is normal negotiation, not a violation. */
	assert_int_equal(ng_protocol_errors(g), 0);
}

static void
test_emu_net_control_plane(void **state)
{
	struct g *g = *state;
	uint8_t mac[6];
	uint32_t v = 0;

	ng_bring_up(g);
	assert_int_equal(ng_rndis_query(g, RNDIS_OID_802_3_PERMANENT_ADDRESS, mac, 6), 6);
	assert_memory_equal(mac, emu_dev_mac(g->dev), 6);
	assert_int_equal(ng_rndis_query(g, RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, &v, 4), 4);
	assert_int_equal(v, 1500);
	assert_int_equal(ng_rndis_query(g, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, &v, 4), 4);
	assert_int_equal(v, RNDIS_MEDIA_STATE_CONNECTED);
	assert_int_equal(ng_rndis_query(g, RNDIS_OID_GEN_LINK_SPEED, &v, 4), 4);
	assert_int_equal(v, 100000000u);
	v = RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_BROADCAST;
	assert_int_equal(ng_rndis_set(g, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &v, 4),
			 RNDIS_STATUS_SUCCESS);
	assert_int_equal(g->nic->filter, v);
	/* Unknown OID: NOT_SUPPORTED, not a crash nor a protocol error. */
	assert_int_equal(ng_rndis_set(g, 0x00FFFF01u, &v, 4), RNDIS_STATUS_NOT_SUPPORTED);

	emu_nic_set_link(g->nic, false);
	ng_pump(g);
	ng_expect_indication(g, RNDIS_STATUS_MEDIA_DISCONNECT);
	assert_int_equal(emu_nic_rx(g->nic, g->pkt, 60), -ENETDOWN);
	emu_nic_set_link(g->nic, true);
	ng_pump(g);
	ng_expect_indication(g, RNDIS_STATUS_MEDIA_CONNECT);
	assert_int_equal(ng_protocol_errors(g), 0);
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
	ng_send_inband(g, 0, m, sizeof(m), 9, true);
	ng_expect_comp(g, 0, 9, &pi);
	assert_int_equal(nvsp_parse_subchannel_resp(pi.payload, pi.payload_len, 3,
						    &si), 0);
	assert_int_equal(si.num_subchannels, 3);
	assert_int_equal(emu_nic_nchan(g->nic), 4);
	/* Polls look at the slots of open queues only. */
	assert_int_equal(g->nic->q_end, 4);
	for (i = 1; i < 4; i++)
		ng_attach_rings(g, i);
	/* Then the host's table for the guest's TX spreading. */
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.type, VMBUS_PKT_DATA_INBAND);
	assert_int_equal(nvsp_parse_indirection_table(pi.payload, pi.payload_len,
						      g->version, &it), 0);
	assert_true(nvsp_indirection_table_valid(&it, 4));
	assert_int_equal(it.table[5], 1);

	for (i = 0; i < EMU_NET_RSS_ENTRIES; i++)
		table[i] = (i * 7u + 1u) % 4u;
	n = ndis_rss_params_build(obj, sizeof(obj), &rc);
	assert_true(n > 0);
	assert_int_equal(ng_rndis_set(g, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, obj,
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
	ng_send_inband(g, 1, m, sizeof(m), 0x1234, true);
	ng_expect_comp(g, 1, 0x1234, &pi);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload, pi.payload_len,
						       &status), 0);
	assert_int_equal(status, NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 2);
	assert_int_equal(g->cap.len[0], sizeof(f));
	assert_memory_equal(g->cap.f[0], f, sizeof(f));
	assert_int_equal(g->cap.len[1], sizeof(f) + 4);
	assert_memory_equal(g->cap.f[1] + 12, "\x81\x00\x20\x05", 4);
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
	size_t flen = ng_tcp_frame(g, frame, 500);
	uint32_t status;
	int off, hl;

	meta.csum = rndis_txcsum_value(RNDIS_TXCSUM_IPV4 | RNDIS_TXCSUM_TCP |
				       RNDIS_TXCSUM_IP, 34);
	off = rndis_pkt_encode(hdrpg, HV_PAGE_SIZE, &meta, (uint32_t)flen, 0);
	assert_true(off > 0);
	pg[0] = (struct vmbus_pkt_page){ ng_gpa_page(g, hdrpg), 0,
					 (uint32_t)off };
	pg[1] = (struct vmbus_pkt_page){ ng_gpa_page(g, frame),
					 HV_PAGE_SIZE - 100, 100 };
	pg[2] = (struct vmbus_pkt_page){ ng_gpa_page(g, frame) + 1, 0,
					 (uint32_t)flen - 100 };
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), pg, 3, sizeof(m), 0x5678,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	ng_send_pkt(g, 0, hdr, (size_t)hl, m, sizeof(m));
	ng_expect_comp(g, 0, 0x5678, &pi);
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
	size_t flen = ng_tcp_frame(g, f, 100), il;

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
	n = ng_recv_rndis(g, q, g->pkt + 32768, 4096, NVSP_CHANNEL_TYPE_DATA);
	assert_int_equal(rndis_pkt_parse(g->pkt + 32768, n, &pk), 0);
	assert_int_equal(pk.data_len, flen);
	assert_memory_equal(g->pkt + 32768 + pk.data_off, f, flen);
	assert_true(pk.meta.present & RNDIS_META_HASH_VALUE);
	assert_int_equal(pk.meta.hash_value, hash);
	assert_int_equal(pk.meta.hash_info, NDIS_HASH_FUNCTION_TOEPLITZ |
			 NDIS_HASH_TCP_IPV4);
	assert_int_equal(pk.meta.csum, RNDIS_RXCSUM_TCP_OK | RNDIS_RXCSUM_IP_FAILED);
	ng_pump(g);
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
	n = ng_recv_rndis(g, 0, g->pkt + 32768, 4096, NVSP_CHANNEL_TYPE_DATA);
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

	ng_bring_up(g);
	/* Nothing reaches a guest whose filter is still 0. */
	assert_int_equal(emu_nic_rx(g->nic, g->pkt, 60), -ENETDOWN);
	assert_int_equal(ng_rndis_set(g, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &v, 4),
			 RNDIS_STATUS_SUCCESS);
	subchannels_and_rss(g, table);
	tx_chimney(g);
	tx_gpa(g);
	rx_rss(g, table);
	rx_vlan(g);
	assert_int_equal(ng_protocol_errors(g), 0);
}

static void
test_emu_net_violations(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint8_t m[40], req[64];
	uint32_t status;

	ng_nvsp_init(g, NVSP_VERSION_61, NVSP_STATUS_SUCCESS);
	/* 1: RNDIS before the NVSP set-up is complete. */
	ng_rndis_send(g, req, rndis_init_req_build(req, sizeof(req), 1, 0x4000));
	ng_expect_comp(g, 0, 0, &pi);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload, pi.payload_len,
						       &status), 0);
	assert_int_equal(status, NVSP_STATUS_FAILURE);
	assert_true(ng_logged(g, "protocol error: NVSP SEND_RNDIS_PKT: before NVSP initialisation"));
	ng_nvsp_config(g, NVSP_NDIS_CAP_IEEE8021Q | NVSP_NDIS_CAP_SRIOV);
	/* 2: duplicate NDIS_CONFIG. */
	assert_int_equal(nvsp_build_ndis_config(m, sizeof(m), 1514, 0), 40);
	ng_send_inband(g, 0, m, sizeof(m), 0, false);
	assert_true(ng_logged(g, "nic0 relid 15: protocol error: NVSP SEND_NDIS_CONFIG: duplicate"));
	/* 3: a receive buffer GPADL that is not the kernel's. */
	assert_int_equal(ng_nvsp_recv_buf(g, 12), NVSP_STATUS_FAILURE);
	assert_true(ng_logged(g, "nic0 relid 15: protocol error: NVSP SEND_RECV_BUF: gpadl 12 is not the receive buffer's (925200)"));
	assert_int_equal(ng_nvsp_recv_buf(g, 925200), NVSP_STATUS_SUCCESS);
	ng_nvsp_send_buf(g);
	/* 4: RNDIS QUERY before RNDIS INITIALIZE: answered with a failure. */
	ng_rndis_send(g, req, rndis_query_req_build(req, sizeof(req), 5,
						 RNDIS_OID_GEN_LINK_SPEED, NULL, 0));
	(void)ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	assert_true(ng_logged(g, "protocol error: RNDIS QUERY rid 5 before INITIALIZE"));
	ng_rndis_init(g);
	/* 5: a send section beyond the send buffer. */
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      99999, 100), 40);
	ng_send_inband(g, 0, m, sizeof(m), 0xabc, true);
	ng_expect_comp(g, 0, 0xabc, &pi);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload, pi.payload_len,
						       &status), 0);
	assert_int_equal(status, NVSP_STATUS_FAILURE);
	assert_true(ng_logged(g, "send section 99999 size 100 outside the send buffer"));
	/* The host is still serving: a keepalive is answered. */
	ng_rndis_send(g, req, rndis_keepalive_req_build(req, sizeof(req), 9));
	assert_true(ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL) >= 16);
	/* 6: an RNDIS_ACK for a packet the host never sent stops the channel. */
	ng_ack(g, 0, 777777);
	assert_true(ng_logged(g, "protocol error: NVSP RNDIS_ACK: unknown trans_id 777777"));
	assert_true(ng_logged(g, "; channel stopped"));
	assert_int_equal(ng_protocol_errors(g), 6);
	assert_int_equal(ng_qstats(g, 0).rx_ack_errors, 1);
	assert_true(g->nic->q[0]->broken);
	/* Nothing is answered any more. */
	ng_rndis_send(g, req, rndis_keepalive_req_build(req, sizeof(req), 10));
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
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

/* Read everything the host sent; give receive buffers back. */
static void
drain(struct g *g)
{
	struct vmbus_pkt_info pi;
	int rc;

	while ((rc = ng_recv_pkt(g, 0, &pi)) != -EAGAIN) {
		assert_int_equal(rc, 0);
		if (pi.type == VMBUS_PKT_DATA_XFER_PAGES)
			ng_ack(g, 0, pi.trans_id);
	}
}

/* One random guest packet: NVSP type plausible, everything else noise. */
static void
garbage_one(struct g *g, unsigned int *seed)
{
	static const uint32_t types[] = { 1, 100, 101, 102, 103, 104, 105, 106,
					  107, 108, 125, 128, 129, 131, 133, 134 };
	struct vmbus_pkt_page pg[2];
	uint8_t m[64], hdr[64];
	size_t len = (size_t)(rand_r(seed) % 60) + 4;
	unsigned int i;
	int hl;

	for (i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)rand_r(seed);
	memcpy(m, &types[(unsigned int)rand_r(seed) % HV_ARRAY_SIZE(types)], 4);
	switch (rand_r(seed) % 3) {
	case 0:
		ng_send_inband(g, 0, m, len, (uint64_t)rand_r(seed), rand_r(seed) & 1);
		break;
	case 1:
		assert_int_equal(vmbus_pkt_build_comp(hdr, sizeof(hdr), len,
						      (uint64_t)rand_r(seed) % 700), 16);
		ng_send_pkt(g, 0, hdr, 16, m, len);
		break;
	default:
		/* Pages inside and outside guest memory, odd offsets and sizes. */
		for (i = 0; i < 2; i++) {
			uint32_t off = (uint32_t)rand_r(seed) % HV_PAGE_SIZE;

			pg[i].pfn = (rand_r(seed) & 1) ?
				ng_gpa_page(g, g->mem) + (uint32_t)rand_r(seed) % 300 :
				(uint64_t)rand_r(seed);
			pg[i].byte_offset = off;
			pg[i].byte_count = 1 + (uint32_t)rand_r(seed) % (HV_PAGE_SIZE - off);
		}
		hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), pg, 2, len, 5,
					       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
		assert_true(hl > 0);
		ng_send_pkt(g, 0, hdr, (size_t)hl, m, len);
		break;
	}
}

/* Nothing a guest sends may crash or wedge the host. */
static int
setup_lenient_all(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61,
				   .lenient = EMU_LENIENT_ALL };

	return ng_setup(state, &o);
}

static int
setup_lenient_dup(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61,
				   .lenient = EMU_LENIENT_DUP_SETUP };

	return ng_setup(state, &o);
}

/* A strict host would stop at the first fatal message: every leniency
 * keeps the channel running so that all 3000 reach the parsers. */
static void
test_emu_net_garbage(void **state)
{
	struct g *g = *state;
	unsigned int seed = 12345, i;

	ng_bring_up(g);
	memset(g->mem, 0x5a, NG_MEM_SIZE);
	for (i = 0; i < 3000; i++) {
		garbage_one(g, &seed);
		drain(g);
	}
	assert_true(ng_protocol_errors(g) > 100);
	assert_non_null(g->nic->q[0]);
	assert_false(g->nic->q[0]->broken);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_net_version_refused_then_lower,
						setup_old_host, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_control_plane, ng_setup_default,
						ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_data_path, setup_hash,
						ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_violations, setup_lenient_dup,
						ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_faults_and_names, ng_setup_default,
						ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_garbage, setup_lenient_all,
						ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
