/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest transmit with offloads: checksum requests through the send
 * buffer and through GPA ranges, and LSOv2 cut into MSS-sized segments.
 * The backend must see finished frames. Plain frames by GPA ranges (the
 * one-pass path, emu_txgpa.c) and what it leaves to the full path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "emu_offload.h"
#include "net_harness.h"

#define CSUM_OK (RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_TCP_OK)

/* setup_up_full (the full path only) set up the running test. */
static bool full_path;

static int
setup_up(void **state)
{
	ng_setup_default(state);
	ng_bring_up(*state);
	full_path = false;
	return 0;
}

static uint32_t
csum_req(void)
{
	return rndis_txcsum_value(RNDIS_TXCSUM_IPV4 | RNDIS_TXCSUM_TCP |
				  RNDIS_TXCSUM_IP, 34);
}

/* RNDIS message in section 3 (header and frame together). */
static uint32_t
tx_in_section(struct g *g, const struct rndis_pkt_meta *meta, const uint8_t *f,
	      size_t flen, uint64_t id)
{
	uint8_t *sec = g->sendbuf + 3u * NG_SECTION, m[40];
	int off = rndis_pkt_encode(sec, NG_SECTION, meta, (uint32_t)flen, 0);

	assert_true(off > 0);
	memcpy(sec + off, f, flen);
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA, 3,
					      (uint32_t)(off + (int)flen)), 40);
	ng_send_inband(g, 0, m, sizeof(m), id, true);
	return ng_expect_tx_comp(g, 0, id);
}

/* RNDIS header in one page, the frame in guest memory page by page. */
static uint32_t
tx_by_gpa(struct g *g, const struct rndis_pkt_meta *meta, const uint8_t *f,
	  size_t flen, uint64_t id)
{
	uint8_t *hdrpg = g->mem + 40 * HV_PAGE_SIZE;
	uint8_t *frame = g->mem + 42 * HV_PAGE_SIZE + 300;
	struct vmbus_pkt_page pg[24];
	uint8_t hdr[1024], m[40];
	unsigned int n = 1;
	size_t done = 0;
	int off, hl;

	off = rndis_pkt_encode(hdrpg, HV_PAGE_SIZE, meta, (uint32_t)flen, 0);
	assert_true(off > 0);
	memcpy(frame, f, flen);
	pg[0] = (struct vmbus_pkt_page){ ng_gpa_page(g, hdrpg), 0,
					 (uint32_t)off };
	while (done < flen) {
		uintptr_t at = (uintptr_t)(frame + done);
		size_t in_pg = HV_PAGE_SIZE - at % HV_PAGE_SIZE;
		size_t len = flen - done < in_pg ? flen - done : in_pg;

		assert_true(n < 24);
		pg[n++] = (struct vmbus_pkt_page){ ng_gpa_page(g, (const void *)at),
						   (uint32_t)(at % HV_PAGE_SIZE),
						   (uint32_t)len };
		done += len;
	}
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), pg, n, sizeof(m), id,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	ng_send_pkt(g, 0, hdr, (size_t)hl, m, sizeof(m));
	return ng_expect_tx_comp(g, 0, id);
}

static void
test_emu_net_tx_csum_section(void **state)
{
	struct g *g = *state;
	struct rndis_pkt_meta meta = { .present = RNDIS_META_CSUM };
	static uint8_t f[1600];
	size_t flen = ng_tcp_frame(g, f, 700);

	meta.csum = csum_req();
	/* The guest left both checksums 0: wrong until the host fills them. */
	assert_int_not_equal(emu_csum_verify(f, flen), CSUM_OK);
	assert_int_equal(tx_in_section(g, &meta, f, flen, 1), NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 1);
	assert_int_equal(g->cap.len[0], flen);
	assert_int_equal(emu_csum_verify(g->cap.f[0], flen), CSUM_OK);
	/* Only the checksum fields changed. */
	assert_memory_equal(g->cap.f[0] + 54, f + 54, 700);
	assert_memory_equal(g->cap.f[0], f, 24);
	/* Without the request the frame goes out untouched. */
	meta.present = 0;
	assert_int_equal(tx_in_section(g, &meta, f, flen, 2), NVSP_STATUS_SUCCESS);
	assert_memory_equal(g->cap.f[1], f, flen);
}

static void
test_emu_net_tx_csum_gpa(void **state)
{
	struct g *g = *state;
	struct rndis_pkt_meta meta = { .present = RNDIS_META_CSUM };
	static uint8_t f[1600];
	size_t flen = ng_tcp_frame(g, f, 1400);

	meta.csum = csum_req();
	assert_int_equal(tx_by_gpa(g, &meta, f, flen, 3), NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 1);
	assert_int_equal(emu_csum_verify(g->cap.f[0], flen), CSUM_OK);
	/* An L4 offset that is not the TCP header: refused, not sent. */
	meta.csum = rndis_txcsum_value(RNDIS_TXCSUM_IPV4 | RNDIS_TXCSUM_TCP, 900);
	assert_int_equal(tx_by_gpa(g, &meta, f, flen, 4), NVSP_STATUS_FAILURE);
	assert_int_equal(g->cap.n, 1);
	assert_int_equal(ng_qstats(g, 0).tx_errors, 1);
}

static uint32_t
get32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
check_segments(const struct g *g, const uint8_t *f, size_t payload, uint32_t mss)
{
	unsigned int i, nseg = (unsigned int)((payload + mss - 1) / mss);

	assert_int_equal(g->cap.n, nseg);
	for (i = 0; i < nseg; i++) {
		const uint8_t *s = g->cap.f[i];
		size_t n = i + 1 < nseg ? mss : payload - (size_t)i * mss;

		assert_int_equal(g->cap.len[i], 54 + n);
		assert_int_equal(((size_t)s[16] << 8 | s[17]), 40 + n);
		assert_int_equal(get32be(s + 38), get32be(f + 38) + i * mss);
		assert_memory_equal(s + 54, f + 54 + (size_t)i * mss, n);
		assert_int_equal(emu_csum_verify(s, 54 + n), CSUM_OK);
	}
}

static void
test_emu_net_tx_lso(void **state)
{
	struct g *g = *state;
	struct rndis_pkt_meta meta = {
		.present = RNDIS_META_LSO, .lso_mss = 1000, .lso_tcp_off = 34,
	};
	static uint8_t f[9100];
	size_t flen = ng_tcp_frame(g, f, 3500);

	/* Through a section: 3 full segments and a 500-byte tail. */
	assert_int_equal(tx_in_section(g, &meta, f, flen, 5), NVSP_STATUS_SUCCESS);
	check_segments(g, f, 3500, 1000);
	/* Through pages: 9000 bytes of payload across three pages. */
	g->cap.n = 0;
	flen = ng_tcp_frame(g, f, 9000);
	meta.lso_mss = 1448;
	assert_int_equal(tx_by_gpa(g, &meta, f, flen, 6), NVSP_STATUS_SUCCESS);
	check_segments(g, f, 9000, 1448);
	assert_int_equal(ng_qstats(g, 0).tx_packets, 4 + 7);
	assert_int_equal(ng_protocol_errors(g), 0);
}

static void
set_offload(struct g *g, const struct ndis_offload_params *p)
{
	uint8_t obj[128];
	int len = ndis_offload_params_build(obj, sizeof(obj), p, 2);

	assert_true(len > 0);
	assert_int_equal(ng_rndis_set(g, RNDIS_OID_TCP_OFFLOAD_PARAMETERS, obj,
				      (uint32_t)len), RNDIS_STATUS_SUCCESS);
	ng_expect_indication(g, RNDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG);
}

/* Segments of at most MTU (1514) bytes and below the advertised size. */
static void
test_emu_net_tx_lso_limits(void **state)
{
	struct g *g = *state;
	struct rndis_pkt_meta meta = {
		.present = RNDIS_META_LSO, .lso_mss = 1461, .lso_tcp_off = 34,
	};
	static uint8_t f[65536];
	size_t flen = ng_tcp_frame(g, f, 3500);

	/* 34 + 20 + 1461 = 1515 bytes per segment: one too many. */
	assert_int_equal(tx_by_gpa(g, &meta, f, flen, 1), NVSP_STATUS_FAILURE);
	assert_true(ng_logged(g, "LSO MSS 0 or segments longer than the MTU"));
	meta.lso_mss = 1460;
	assert_int_equal(tx_by_gpa(g, &meta, f, flen, 2), NVSP_STATUS_SUCCESS);
	check_segments(g, f, 3500, 1460);
	/* EMU_NET_LSO_MAX_SIZE (62780) itself is refused, one byte less is cut. */
	g->cap.n = 0;
	flen = ng_tcp_frame(g, f, 62780 - 54);
	meta.lso_mss = 1448;
	assert_int_equal(tx_by_gpa(g, &meta, f, flen, 3), NVSP_STATUS_FAILURE);
	assert_true(ng_logged(g, "not smaller than the host's advertised maximum"));
	assert_int_equal(g->cap.n, 0);
	flen = ng_tcp_frame(g, f, 62779 - 54);
	assert_int_equal(tx_by_gpa(g, &meta, f, flen, 4), NVSP_STATUS_SUCCESS);
	check_segments(g, f, 62779 - 54, 1448);
	assert_int_equal(ng_qstats(g, 0).tx_offload_refused, 2);
	assert_int_equal(ng_qstats(g, 0).tx_lso, 2);
	assert_int_equal(ng_qstats(g, 0).tx_lso_segments, 3 + 44);
	assert_int_equal(ng_qstats(g, 0).tx_errors, 2);
}

/* Offloads the guest turned off with OID_TCP_OFFLOAD_PARAMETERS. */
static void
test_emu_net_tx_offload_off(void **state)
{
	struct g *g = *state;
	struct rndis_pkt_meta lso = {
		.present = RNDIS_META_LSO, .lso_mss = 1000, .lso_tcp_off = 34,
	};
	struct rndis_pkt_meta csum = { .present = RNDIS_META_CSUM };
	struct ndis_offload_params p;
	static uint8_t f[4096];
	size_t flen = ng_tcp_frame(g, f, 2500);

	csum.csum = csum_req();
	memset(&p, 0, sizeof(p));
	p.lsov2_ip4 = NDIS_OFFLOAD_LSO_OFF;
	set_offload(g, &p);
	assert_int_equal(tx_by_gpa(g, &lso, f, flen, 1), NVSP_STATUS_FAILURE);
	assert_true(ng_logged(g, "offload not in force"));
	/* Checksums are still on. */
	flen = ng_tcp_frame(g, f, 900);
	assert_int_equal(tx_by_gpa(g, &csum, f, flen, 2), NVSP_STATUS_SUCCESS);
	assert_int_equal(emu_csum_verify(g->cap.f[0], flen), CSUM_OK);
	/* Receive only: the host no longer fills in TCP checksums. */
	p.lsov2_ip4 = NDIS_OFFLOAD_LSO_NOCHG;
	p.tcp4csum = NDIS_OFFLOAD_PARAM_RX;
	set_offload(g, &p);
	assert_int_equal(tx_by_gpa(g, &csum, f, flen, 3), NVSP_STATUS_FAILURE);
	/* Back on: the LSO request works again. */
	p.tcp4csum = NDIS_OFFLOAD_PARAM_TXRX;
	p.lsov2_ip4 = NDIS_OFFLOAD_LSO_ON;
	set_offload(g, &p);
	g->cap.n = 0;
	flen = ng_tcp_frame(g, f, 2500);
	assert_int_equal(tx_by_gpa(g, &lso, f, flen, 4), NVSP_STATUS_SUCCESS);
	check_segments(g, f, 2500, 1000);
	assert_int_equal(ng_qstats(g, 0).tx_offload_refused, 2);
	assert_int_equal(ng_qstats(g, 0).tx_csum, 1);
}

/*
 * A plain frame by page ranges, the frame's bytes split at split (0:
 * one range) with the second part on a page not next to the first, so
 * that they are not contiguous here either; msg_len off by ml_delta.
 */
static uint32_t
tx_gpa_split(struct g *g, const uint8_t *f, size_t flen, size_t split,
	     int ml_delta, uint64_t id)
{
	const struct rndis_pkt_meta meta = { 0 };
	uint8_t *hdrpg = g->mem + 40 * HV_PAGE_SIZE;
	uint8_t *a = g->mem + 43 * HV_PAGE_SIZE - (split != 0 ? split : 2000);
	uint8_t *b = g->mem + 45 * HV_PAGE_SIZE;
	struct vmbus_pkt_page pg[3];
	uint8_t hdr[256], m[40];
	uint32_t ml;
	unsigned int n = 2;
	int off, hl;

	off = rndis_pkt_encode(hdrpg, HV_PAGE_SIZE, &meta, (uint32_t)flen, 0);
	assert_true(off > 0);
	memcpy(&ml, hdrpg + 4, sizeof(ml));
	ml = (uint32_t)((int)ml + ml_delta);
	memcpy(hdrpg + 4, &ml, sizeof(ml));
	pg[0] = (struct vmbus_pkt_page){ ng_gpa_page(g, hdrpg), 0, (uint32_t)off };
	if (split == 0) {
		assert_true(flen <= 2000);
		memcpy(a, f, flen);
		pg[1] = (struct vmbus_pkt_page){ ng_gpa_page(g, a),
						 HV_PAGE_SIZE - 2000, (uint32_t)flen };
	} else {
		memcpy(a, f, split);
		memcpy(b, f + split, flen - split);
		pg[1] = (struct vmbus_pkt_page){ ng_gpa_page(g, a),
						 (uint32_t)(HV_PAGE_SIZE - split),
						 (uint32_t)split };
		pg[2] = (struct vmbus_pkt_page){ ng_gpa_page(g, b), 0,
						 (uint32_t)(flen - split) };
		n = 3;
	}
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), pg, n, sizeof(m), id,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	ng_send_pkt(g, 0, hdr, (size_t)hl, m, sizeof(m));
	return ng_expect_tx_comp(g, 0, id);
}

/* A plain frame in one range of two pages (not the DPDK form). */
static uint32_t
tx_gpa_two_page_range(struct g *g, const uint8_t *f, size_t flen, uint64_t id)
{
	const struct rndis_pkt_meta meta = { 0 };
	uint8_t *hdrpg = g->mem + 40 * HV_PAGE_SIZE;
	uint8_t *a = g->mem + 43 * HV_PAGE_SIZE - 600;
	struct vmbus_pkt_gpa_range rg[2];
	uint64_t pfn_h, pfns[2];
	uint8_t hdr[256], m[40];
	int off, hl;

	off = rndis_pkt_encode(hdrpg, HV_PAGE_SIZE, &meta, (uint32_t)flen, 0);
	assert_true(off > 0 && flen > 600);
	memcpy(a, f, flen);
	pfn_h = ng_gpa_page(g, hdrpg);
	pfns[0] = ng_gpa_page(g, a);
	pfns[1] = ng_gpa_page(g, a + 600);
	rg[0] = (struct vmbus_pkt_gpa_range){ 0, (uint32_t)off, &pfn_h };
	rg[1] = (struct vmbus_pkt_gpa_range){ HV_PAGE_SIZE - 600, (uint32_t)flen, pfns };
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_ranges(hdr, sizeof(hdr), rg, 2, sizeof(m), id,
					VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	ng_send_pkt(g, 0, hdr, (size_t)hl, m, sizeof(m));
	return ng_expect_tx_comp(g, 0, id);
}

/*
 * Plain frames by page ranges, the form the one-pass path takes
 * (emu_txgpa.c): in place, the same header again, split over pages
 * that are not contiguous (a copy), and what it must leave to the full
 * path (msg_len not the packet's length) refused as before.
 */
static void
test_emu_net_tx_plain_gpa(void **state)
{
	struct g *g = *state;
	static uint8_t f[1600];
	size_t flen = ng_tcp_frame(g, f, 1400);

	assert_int_equal(tx_gpa_split(g, f, flen, 0, 0, 1), NVSP_STATUS_SUCCESS);
	assert_int_equal(tx_gpa_split(g, f, flen, 0, 0, 2), NVSP_STATUS_SUCCESS);
	assert_int_equal(tx_gpa_split(g, f, flen, 600, 0, 3), NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 3);
	assert_int_equal(g->cap.len[0], flen);
	assert_memory_equal(g->cap.f[0], f, flen);
	assert_memory_equal(g->cap.f[1], f, flen);
	assert_int_equal(g->cap.len[2], flen);
	assert_memory_equal(g->cap.f[2], f, flen);
	/* msg_len one short of the frame's end, or 8 short of the packet's
	 * (8 bytes that are no message): refused, nothing sent. */
	assert_int_equal(tx_gpa_split(g, f, flen, 0, -1, 4), NVSP_STATUS_FAILURE);
	assert_int_equal(tx_gpa_split(g, f, flen, 600, -8, 5), NVSP_STATUS_FAILURE);
	assert_int_equal(g->cap.n, 3);
	assert_int_equal(ng_qstats(g, 0).tx_errors, 2);
	assert_int_equal(ng_qstats(g, 0).tx_packets, 3);
	/* And the path still takes the next good one. */
	assert_int_equal(tx_gpa_split(g, f, 60, 0, 0, 6), NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 4);
	assert_int_equal(g->cap.len[3], 60);
	assert_memory_equal(g->cap.f[3], f, 60);
	/* A range of two pages. */
	assert_int_equal(tx_gpa_two_page_range(g, f, flen, 7), NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 5);
	assert_int_equal(g->cap.len[4], flen);
	assert_memory_equal(g->cap.f[4], f, flen);
	/* Frames in place were held, each released before its
	 * completion left (the copies of split frames are not held). */
	assert_true(g->cap.held_total >= 3);
	assert_int_equal(g->cap.held, 0);
	assert_int_equal(g->cap.late, 0);
}

/* A plain frame in two page ranges (header, frame), written into the
 * guest->host ring without running the host. */
static void
put_gpa_plain(struct g *g, const uint8_t *f, size_t flen, uint64_t id)
{
	const struct rndis_pkt_meta meta = { 0 };
	uint8_t *hdrpg = g->mem + 40 * HV_PAGE_SIZE;
	uint8_t *a = g->mem + 43 * HV_PAGE_SIZE - 2000;
	struct vmbus_pkt_page pg[2];
	uint8_t hdr[256], m[40];
	int off, hl;

	off = rndis_pkt_encode(hdrpg, HV_PAGE_SIZE, &meta, (uint32_t)flen, 0);
	assert_true(off > 0 && flen <= 2000);
	memcpy(a, f, flen);
	pg[0] = (struct vmbus_pkt_page){ ng_gpa_page(g, hdrpg), 0, (uint32_t)off };
	pg[1] = (struct vmbus_pkt_page){ ng_gpa_page(g, a), HV_PAGE_SIZE - 2000,
					 (uint32_t)flen };
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), pg, 2, sizeof(m), id,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	assert_int_equal(tg_send(&g->chan[0], hdr, (size_t)hl, m, sizeof(m)), 0);
}

/*
 * The one-pass path checks the NIC's state once a poll (emu_txgpa.c):
 * a packet the full path handles in the same poll may change it. Two
 * equal page-buffer sends with an RNDIS HALT between them, all read in
 * one poll: the first frame goes out, the second is refused as a
 * PACKET_MSG after HALT, as it would be in a poll of its own.
 */
static void
test_emu_net_tx_gpa_state_in_poll(void **state)
{
	struct g *g = *state;
	static uint8_t f[1600];
	size_t flen = ng_tcp_frame(g, f, 1000);
	uint8_t *page = g->mem + 16 * HV_PAGE_SIZE;
	struct vmbus_pkt_page pg = { .pfn = ng_gpa_page(g, page) };
	uint8_t hdr[64], m[40];
	int len, hl;

	g->chan[0].mute = g->mute;
	put_gpa_plain(g, f, flen, 1);
	len = rndis_halt_req_build(page, HV_PAGE_SIZE, 77);
	assert_true(len > 0);
	pg.byte_count = (uint32_t)len;
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_CONTROL,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), &pg, 1, sizeof(m), 9,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	assert_int_equal(tg_send(&g->chan[0], hdr, (size_t)hl, m, sizeof(m)), 0);
	put_gpa_plain(g, f, flen, 2);
	ng_pump(g);
	assert_int_equal(g->cap.n, 1);
	assert_memory_equal(g->cap.f[0], f, flen);
	assert_int_equal(ng_qstats(g, 0).tx_packets, 1);
	assert_true(ng_logged(g, "PACKET_MSG before RNDIS INITIALIZE"));
	/* The frame held in place was let go before the HALT ran and
	 * before its completion. */
	assert_int_equal(g->cap.held_total, 1);
	assert_int_equal(g->cap.held, 0);
	assert_int_equal(g->cap.late, 0);
}

/* A chimney send of frame f from section sec (data_len_delta added to
 * the RNDIS header's data_len: non-zero makes it invalid), written
 * into the guest->host ring without running the host. */
static void
put_section_frame(struct g *g, unsigned int sec, const uint8_t *f, size_t flen,
		  uint32_t data_len_delta, uint64_t id)
{
	const struct rndis_pkt_meta meta = { 0 };
	uint8_t *p = g->sendbuf + (size_t)sec * NG_SECTION, m[40];
	int off = rndis_pkt_encode(p, NG_SECTION, &meta, (uint32_t)flen, 0);
	uint32_t dl;

	assert_true(off > 0);
	memcpy(p + off, f, flen);
	memcpy(&dl, p + 12, sizeof(dl));
	dl += data_len_delta;
	memcpy(p + 12, &dl, sizeof(dl));
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA, sec,
					      (uint32_t)(off + (int)flen)), 40);
	assert_int_equal(tg_send_inband(&g->chan[0], m, sizeof(m), id, true), 0);
}

/*
 * The one-pass chimney path (emu_tx_inband_fast) in one poll: frames
 * go out; a packet with a bad RNDIS header is completed with failure
 * and counted, as the full path does, and the next frame still goes
 * out; a section outside the send buffer goes to the full path, which
 * names it; after an RNDIS HALT (full path, same poll) a data packet
 * is refused as a PACKET_MSG after HALT, as in a poll of its own.
 */
static void
test_emu_net_tx_chimney_in_poll(void **state)
{
	struct g *g = *state;
	static uint8_t f[1600];
	size_t flen = ng_tcp_frame(g, f, 200);
	uint8_t *sec6 = g->sendbuf + 6u * NG_SECTION, m[40];
	uint32_t got[7];
	struct emu_chan_stats st;
	unsigned int k;
	int len;

	memset(got, 0xff, sizeof(got));
	g->chan[0].mute = g->mute;
	put_section_frame(g, 3, f, flen, 0, 1);
	put_section_frame(g, 4, f, flen, 4000, 2);
	put_section_frame(g, 5, f, flen, 0, 3);
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      100000, 64), 40);
	assert_int_equal(tg_send_inband(&g->chan[0], m, sizeof(m), 4, true), 0);
	len = rndis_halt_req_build(sec6, NG_SECTION, 77);
	assert_true(len > 0);
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_CONTROL,
					      6, (uint32_t)len), 40);
	assert_int_equal(tg_send_inband(&g->chan[0], m, sizeof(m), 5, true), 0);
	put_section_frame(g, 7, f, flen, 0, 6);
	ng_pump(g);
	/* Held successes and failures may leave in another order. */
	for (k = 0; k < 6; k++) {
		struct vmbus_pkt_info pi;
		uint32_t status;

		assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
		assert_int_equal(pi.type, VMBUS_PKT_COMPLETION);
		assert_true(pi.trans_id >= 1 && pi.trans_id <= 6);
		assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload,
							       pi.payload_len,
							       &status), 0);
		assert_int_equal(got[pi.trans_id], UINT32_MAX);
		got[pi.trans_id] = status;
	}
	assert_int_equal(got[1], NVSP_STATUS_SUCCESS);
	assert_int_equal(got[2], NVSP_STATUS_FAILURE);
	assert_int_equal(got[3], NVSP_STATUS_SUCCESS);
	assert_int_equal(got[4], NVSP_STATUS_FAILURE);
	assert_int_equal(got[5], NVSP_STATUS_SUCCESS);
	assert_int_equal(got[6], NVSP_STATUS_FAILURE);
	assert_int_equal(g->cap.n, 2);
	assert_int_equal(g->cap.len[0], flen);
	assert_memory_equal(g->cap.f[0], f, flen);
	assert_memory_equal(g->cap.f[1], f, flen);
	st = ng_qstats(g, 0);
	assert_int_equal(st.tx_packets, 2);
	assert_int_equal(st.tx_errors, 2);
	assert_true(ng_logged(g, "outside the send buffer"));
	assert_true(ng_logged(g, "PACKET_MSG before RNDIS INITIALIZE"));
	/* Both sections' frames were held in place, and released before
	 * any completion left (the failures' go at once: the NIC lets go
	 * first). */
	assert_int_equal(g->cap.held_total, 2);
	assert_int_equal(g->cap.held, 0);
	assert_int_equal(g->cap.late, 0);
}

/*
 * The two-range and page-run tests run the same packets through both
 * page-buffer paths and expect the same answers. The strict host always
 * takes the one-pass path for them, so the full path is reached through a
 * leniency the one-pass path leaves to it (emu_txgpa.c, gpa_cache_fill):
 * a switch here, not a behaviour any packet below depends on (every
 * RNDIS message is 8-byte aligned, so the strict and lenient hosts
 * answer alike).
 */
static void
cfg_full_path(struct emu_net_config *nc)
{
	nc->lenient |= EMU_LENIENT_TX_MSG_ALIGN;
}

static int
setup_up_opts(void **state, const struct ng_opts *o, bool full)
{
	ng_setup(state, o);
	ng_bring_up(*state);
	full_path = full;
	return 0;
}

static int
setup_up_full(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61,
				    .net_cfg = cfg_full_path };

	return setup_up_opts(state, &o, true);
}

/* GPA = VA (--gpa-mode=va, how --no-huge guests and the benchmarks
 * run): the one-pass path's cached guest-memory ranges (emu_txgpa.c,
 * gpa_page) exist only in that mode, which the default GPA harness
 * never reaches. */
static int
setup_up_va(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61,
				    .gpa_is_va = true };

	return setup_up_opts(state, &o, false);
}

/* How a two-range send is spoilt (two_ranges_put). */
enum two_bad {
	TWO_OK = 0,
	TWO_MERGED,       /* valid, the frame right after the header */
	TWO_HDR_OFF,      /* header range's offset a page */
	TWO_FRAME_CROSS,  /* frame range past its page, one PFN */
	TWO_FRAME_EMPTY,  /* frame range of no bytes */
	TWO_FRAME_PFN,    /* frame page not guest memory */
	TWO_HDR_PFN,      /* header page not guest memory */
	TWO_ROOM,         /* range_count 2, room for one range */
	TWO_PPI_LEN,      /* header's ppi_len (in its last 16 bytes) 4 */
	TWO_NVSP_TYPE,    /* NVSP message not SEND_RNDIS_PKT */
	TWO_NVSP_SEC,     /* NVSP message names send section 1 */
	TWO_PFN_END,      /* frame page the one after guest memory */
	TWO_PFN_BEFORE,   /* frame page the one before guest memory */
	TWO_FRAME_CROSS1, /* frame range one byte past its page */
};

/*
 * The completions of sends with trans_ids 1..n into got[1..n], by id
 * (UINT32_MAX: none came); a send completed twice fails the test.
 */
static void
collect_completions(struct g *g, uint32_t *got, unsigned int n)
{
	struct vmbus_pkt_info pi;

	memset(got, 0xff, (n + 1) * sizeof(*got));
	ng_pump(g);
	while (ng_recv_pkt(g, 0, &pi) == 0) {
		uint32_t status;

		if (pi.type != VMBUS_PKT_COMPLETION)
			continue;
		assert_true(pi.trans_id >= 1 && pi.trans_id <= n);
		assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload,
							       pi.payload_len,
							       &status), 0);
		assert_int_equal(got[pi.trans_id], UINT32_MAX);
		got[pi.trans_id] = status;
	}
}

/* A plain frame in two one-page ranges (header, frame), spoilt as bad
 * says, written into the guest->host ring without running the host. */
static void
two_ranges_put(struct g *g, const uint8_t *f, size_t flen, enum two_bad bad,
	       uint64_t id)
{
	const struct rndis_pkt_meta meta = { 0 };
	uint8_t *hdrpg = g->mem + 40 * HV_PAGE_SIZE;
	uint8_t *a = g->mem + 43 * HV_PAGE_SIZE - 2000;
	const size_t r1 = sizeof(struct vmbus_gpa_direct_hdr) +
			  sizeof(struct vmbus_gpa_range) + sizeof(uint64_t);
	struct vmbus_pkt_page pg[2];
	uint8_t hdr[256], m[40];
	uint32_t v;
	uint64_t pfn = 0x7ffffffffull;
	int off, hl;

	off = rndis_pkt_encode(hdrpg, HV_PAGE_SIZE, &meta, (uint32_t)flen, 0);
	assert_true(off > 0 && flen <= 2000);
	if (bad == TWO_MERGED) {
		/* The header ends its page, the frame starts the next. */
		memmove(g->mem + 42 * HV_PAGE_SIZE - off, hdrpg, (size_t)off);
		hdrpg = g->mem + 42 * HV_PAGE_SIZE - off;
		a = g->mem + 42 * HV_PAGE_SIZE;
	}
	if (bad == TWO_PPI_LEN) {
		/* A header of its own (the others' is read in the same
		 * poll): equal to theirs up to its last 16 bytes. */
		v = 4;
		memcpy(g->mem + 38 * HV_PAGE_SIZE, hdrpg, (size_t)off);
		hdrpg = g->mem + 38 * HV_PAGE_SIZE;
		memcpy(hdrpg + 32, &v, 4);
	}
	memcpy(a, f, flen);
	pg[0] = (struct vmbus_pkt_page){ ng_gpa_page(g, hdrpg),
					 (uint32_t)((uintptr_t)hdrpg % HV_PAGE_SIZE),
					 (uint32_t)off };
	pg[1] = (struct vmbus_pkt_page){ ng_gpa_page(g, a),
					 (uint32_t)((uintptr_t)a % HV_PAGE_SIZE),
					 (uint32_t)flen };
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), pg, 2, sizeof(m), id,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	switch (bad) {
	case TWO_HDR_OFF:
		v = HV_PAGE_SIZE;
		memcpy(hdr + sizeof(struct vmbus_gpa_direct_hdr) + 4, &v, 4);
		break;
	case TWO_FRAME_CROSS:
		v = HV_PAGE_SIZE - 100;
		memcpy(hdr + r1 + 4, &v, 4);
		break;
	case TWO_FRAME_CROSS1:
		v = (uint32_t)(HV_PAGE_SIZE - flen + 1);
		memcpy(hdr + r1 + 4, &v, 4);
		break;
	case TWO_FRAME_EMPTY:
		v = 0;
		memcpy(hdr + r1, &v, 4);
		break;
	case TWO_FRAME_PFN:
		memcpy(hdr + r1 + sizeof(struct vmbus_gpa_range), &pfn, 8);
		break;
	case TWO_HDR_PFN:
		memcpy(hdr + sizeof(struct vmbus_gpa_direct_hdr) +
			       sizeof(struct vmbus_gpa_range), &pfn, 8);
		break;
	case TWO_PFN_END:
		pfn = ng_gpa_page(g, g->mem + NG_MEM_SIZE - 1) + 1;
		memcpy(hdr + r1 + sizeof(struct vmbus_gpa_range), &pfn, 8);
		break;
	case TWO_PFN_BEFORE:
		pfn = ng_gpa_page(g, g->mem) - 1;
		memcpy(hdr + r1 + sizeof(struct vmbus_gpa_range), &pfn, 8);
		break;
	case TWO_NVSP_TYPE:
		v = NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE;
		memcpy(m, &v, 4);
		break;
	case TWO_NVSP_SEC:
		v = 1;
		memcpy(m + 8, &v, 4);
		break;
	case TWO_ROOM:
		/* The descriptor's header ends after the first range (the
		 * second's bytes become the NVSP message's start). */
		hdr[2] = (uint8_t)(r1 / 8);
		break;
	default:
		break;
	}
	assert_int_equal(tg_send(&g->chan[0], hdr, (size_t)hl, m, sizeof(m)), 0);
}

/*
 * Two one-page ranges, valid and spoilt each way, in one poll: the
 * one-pass path's unrolled form (emu_txgpa.c, gpa_spans) and the full
 * path (setup_up_full) give the same answers: these.
 */
static void
test_emu_net_tx_gpa_two_ranges(void **state)
{
	static const enum two_bad order[] = {
		TWO_OK, TWO_MERGED, TWO_HDR_OFF, TWO_OK, TWO_FRAME_CROSS,
		TWO_FRAME_EMPTY, TWO_OK, TWO_FRAME_PFN, TWO_HDR_PFN, TWO_ROOM,
		TWO_MERGED, TWO_OK, TWO_PPI_LEN, TWO_OK, TWO_NVSP_TYPE, TWO_OK,
		TWO_NVSP_SEC, TWO_OK, TWO_PFN_END, TWO_PFN_BEFORE, TWO_OK,
		TWO_FRAME_CROSS1, TWO_OK,
	};
	const unsigned int n = sizeof(order) / sizeof(order[0]);
	struct g *g = *state;
	static uint8_t f[1600];
	size_t flen = ng_tcp_frame(g, f, 1000);
	uint32_t got[24], ok = 0;
	unsigned int k;

	assert_true(n < 24);
	g->chan[0].mute = g->mute;
	for (k = 0; k < n; k++)
		two_ranges_put(g, f, flen, order[k], k + 1);
	collect_completions(g, got, n);
	/* Valid: sent. A page not guest memory, a bad header, a section
	 * holding no message: refused (FAILURE). A malformed range or NVSP
	 * message: a protocol error, no completion (as Azure). */
	for (k = 0; k < n; k++) {
		switch (order[k]) {
		case TWO_OK:
		case TWO_MERGED:
			assert_int_equal(got[k + 1], NVSP_STATUS_SUCCESS);
			ok++;
			break;
		case TWO_FRAME_PFN:
		case TWO_HDR_PFN:
		case TWO_PPI_LEN:
		case TWO_NVSP_SEC:
		case TWO_PFN_END:
		case TWO_PFN_BEFORE:
			assert_int_equal(got[k + 1], NVSP_STATUS_FAILURE);
			break;
		default:
			assert_int_equal(got[k + 1], UINT32_MAX);
			break;
		}
	}
	assert_int_equal(ng_protocol_errors(g), 12);
	/* Each frame taken in one pass is held in place, none by the
	 * full path: which path answered. */
	assert_int_equal(g->cap.held_total, full_path ? 0 : ok);
	assert_int_equal(g->cap.n, ok);
	for (k = 0; k < ok; k++) {
		assert_int_equal(g->cap.len[k], flen);
		assert_memory_equal(g->cap.f[k], f, flen);
	}
	assert_int_equal(ng_qstats(g, 0).tx_packets, ok);
	assert_int_equal(g->cap.held, 0);
	assert_int_equal(g->cap.late, 0);
}

/* How a run send is spoilt (run_put). */
enum run_bad {
	RUN_OK = 0,
	RUN_MERGED,     /* valid, the header right before the frame */
	RUN_GAP,        /* valid, the middle page elsewhere (a copy of it) */
	RUN_MID_PFN,    /* middle page not guest memory */
	RUN_LAST_PFN,   /* last page not guest memory */
	RUN_END,        /* pages consecutive, the last past guest memory */
	RUN_LAST_CROSS, /* last range past its page, one PFN */
	RUN_MID_EMPTY,  /* middle range of no bytes */
	RUN_FIRST_SHORT, /* first frame range one byte short of its page */
};

/*
 * A plain frame of flen (4097 + 700 .. 8192 + 700) bytes in four one-page
 * ranges (header, then 700 bytes ending a page, a whole page, the rest
 * from a page's start: our guest's jumbo frames), spoilt as bad says,
 * written into the guest->host ring without running the host.
 */
static void
run_put(struct g *g, const uint8_t *f, size_t flen, enum run_bad bad,
	uint64_t id)
{
	const struct rndis_pkt_meta meta = { 0 };
	uint8_t *hdrpg = g->mem + 60 * HV_PAGE_SIZE;
	uint8_t *a = g->mem + 62 * HV_PAGE_SIZE - 700;
	const size_t r1 = sizeof(struct vmbus_gpa_direct_hdr) +
			  sizeof(struct vmbus_gpa_range) + sizeof(uint64_t);
	const size_t rstep = sizeof(struct vmbus_gpa_range) + sizeof(uint64_t);
	struct vmbus_pkt_page pg[4];
	uint8_t hdr[256], m[40];
	uint64_t pfn = 0x7ffffffffull;
	uint32_t v;
	int off, hl;

	off = rndis_pkt_encode(hdrpg, HV_PAGE_SIZE, &meta, (uint32_t)flen, 0);
	assert_true(off > 0 && flen > 700 + HV_PAGE_SIZE &&
		    flen <= 700 + 2 * HV_PAGE_SIZE);
	if (bad == RUN_MERGED) {
		memmove(a - off, hdrpg, (size_t)off);
		hdrpg = a - off;
	}
	if (bad == RUN_END)
		a = g->mem + NG_MEM_SIZE - HV_PAGE_SIZE - 700;
	/* RUN_END: only the bytes inside guest memory. */
	memcpy(a, f, bad == RUN_END ? 700 + HV_PAGE_SIZE : flen);
	pg[0] = (struct vmbus_pkt_page){ ng_gpa_page(g, hdrpg),
					 (uint32_t)((uintptr_t)hdrpg % HV_PAGE_SIZE),
					 (uint32_t)off };
	pg[1] = (struct vmbus_pkt_page){ ng_gpa_page(g, a),
					 HV_PAGE_SIZE - 700, 700 };
	pg[2] = (struct vmbus_pkt_page){ ng_gpa_page(g, a) + 1, 0, HV_PAGE_SIZE };
	pg[3] = (struct vmbus_pkt_page){ ng_gpa_page(g, a) + 2, 0,
					 (uint32_t)(flen - 700 - HV_PAGE_SIZE) };
	if (bad == RUN_GAP) {
		memcpy(g->mem + 70 * HV_PAGE_SIZE, a + 700, HV_PAGE_SIZE);
		pg[2].pfn = ng_gpa_page(g, g->mem + 70 * HV_PAGE_SIZE);
	}
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), pg, 4, sizeof(m), id,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	switch (bad) {
	case RUN_MID_PFN:
		memcpy(hdr + r1 + rstep + sizeof(struct vmbus_gpa_range), &pfn, 8);
		break;
	case RUN_LAST_PFN:
		memcpy(hdr + r1 + 2 * rstep + sizeof(struct vmbus_gpa_range),
		       &pfn, 8);
		break;
	case RUN_LAST_CROSS:
		v = HV_PAGE_SIZE - 100;
		memcpy(hdr + r1 + 2 * rstep + 4, &v, 4);
		break;
	case RUN_MID_EMPTY:
		v = 0;
		memcpy(hdr + r1 + rstep, &v, 4);
		break;
	case RUN_FIRST_SHORT:
		v = 699;
		memcpy(hdr + r1, &v, 4);
		break;
	default:
		break;
	}
	assert_int_equal(tg_send(&g->chan[0], hdr, (size_t)hl, m, sizeof(m)), 0);
}

/*
 * Four one-page ranges whose frame part is one run of pages, valid and
 * spoilt each way, in one poll: the one-pass path's run form
 * (emu_txgpa.c, gpa_spans_run; its one translation needs GPA = VA:
 * setup_up_va), its page-by-page loop and the full path (setup_up_full)
 * give the same answers: these.
 */
static void
test_emu_net_tx_gpa_run(void **state)
{
	static const enum run_bad order[] = {
		RUN_OK, RUN_MERGED, RUN_OK, RUN_GAP, RUN_MID_PFN, RUN_OK,
		RUN_LAST_PFN, RUN_END, RUN_OK, RUN_LAST_CROSS, RUN_MID_EMPTY,
		RUN_OK, RUN_FIRST_SHORT, RUN_OK,
	};
	const unsigned int n = sizeof(order) / sizeof(order[0]);
	struct g *g = *state;
	static uint8_t f[NG_CAP_FRAME];
	size_t flen = ng_tcp_frame(g, f, 8000);
	uint32_t got[16], ok = 0;
	unsigned int k;

	assert_true(n < 16);
	g->chan[0].mute = g->mute;
	for (k = 0; k < n; k++)
		run_put(g, f, flen, order[k], k + 1);
	collect_completions(g, got, n);
	/* Valid: sent. A page not guest memory, a frame shorter than its
	 * header says: refused (FAILURE). A malformed range: a protocol
	 * error, no completion. */
	for (k = 0; k < n; k++) {
		switch (order[k]) {
		case RUN_OK:
		case RUN_MERGED:
		case RUN_GAP:
			assert_int_equal(got[k + 1], NVSP_STATUS_SUCCESS);
			ok++;
			break;
		case RUN_MID_PFN:
		case RUN_LAST_PFN:
		case RUN_END:
		case RUN_FIRST_SHORT:
			assert_int_equal(got[k + 1], NVSP_STATUS_FAILURE);
			break;
		default:
			assert_int_equal(got[k + 1], UINT32_MAX);
			break;
		}
	}
	assert_int_equal(ng_protocol_errors(g), 6);
	/* The one-pass path holds what it takes in place (a frame over
	 * non-consecutive pages, RUN_GAP, is gathered: not held); the
	 * full path holds none. */
	assert_int_equal(g->cap.held_total, full_path ? 0 : ok - 1);
	assert_int_equal(g->cap.n, ok);
	for (k = 0; k < ok; k++) {
		assert_int_equal(g->cap.len[k], flen);
		assert_memory_equal(g->cap.f[k], f, flen);
	}
	assert_int_equal(ng_qstats(g, 0).tx_packets, ok);
	assert_int_equal(g->cap.held, 0);
	assert_int_equal(g->cap.late, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_net_tx_csum_section,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_csum_gpa,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_lso,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_lso_limits,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_offload_off,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_plain_gpa,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_gpa_state_in_poll,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_chimney_in_poll,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_gpa_two_ranges,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_gpa_two_ranges,
						setup_up_full, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_gpa_two_ranges,
						setup_up_va, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_gpa_run,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_gpa_run,
						setup_up_full, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_tx_gpa_run,
						setup_up_va, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
