/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the VMBus ring buffer core: framing, wrap-around, the
 * never-full rule, signalling decisions of both roles, validation of
 * shared indices and descriptors, batching, and a two-thread stress run.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmbus_ring.h"
#include "vmbus_ring_inline.h"

#ifndef STRESS_PACKETS
#define STRESS_PACKETS 2000000
#endif

/* Non-power-of-two data area sizes, all multiples of 8. */
#define D_SMALL (8u * 37)          /* 296: odd multiple of 8 */
#define D_PAGES (4096u * 3 - 8)    /* 12280 */
#define D_ODD (8u * 1001)          /* 8008 */
#define D_STRESS (8u * 509)        /* 4072: wraps every few packets */

#define DESC_SIZE ((uint32_t)sizeof(struct vmbus_pkt_desc))
#define MAX_TEST_PKT 4096u

/* One ring seen through both roles. Data is heap so ASan sees overruns. */
struct tring {
	struct vmbus_ring_hdr *hdr;
	uint8_t *data;
	uint32_t size;
	struct vmbus_ring w; /* writer view */
	struct vmbus_ring r; /* reader view */
};

static struct tring *
tr_open(uint32_t size)
{
	struct tring *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->hdr = calloc(1, sizeof(*t->hdr));
	t->data = malloc(size);
	assert_non_null(t->hdr);
	assert_non_null(t->data);
	memset(t->data, 0xaa, size);
	t->size = size;
	vmbus_ring_hdr_reset(t->hdr);
	assert_int_equal(vmbus_ring_attach(&t->w, t->hdr, t->data, size), 0);
	assert_int_equal(vmbus_ring_attach(&t->r, t->hdr, t->data, size), 0);
	return t;
}

static void
tr_close(struct tring *t)
{
	free(t->data);
	free(t->hdr);
	free(t);
}

/* Move both indices to @idx (ring empty there) and re-attach both roles. */
static void
tr_position(struct tring *t, uint32_t idx)
{
	t->hdr->read_index = idx;
	t->hdr->write_index = idx;
	assert_int_equal(vmbus_ring_attach(&t->w, t->hdr, t->data, t->size), 0);
	assert_int_equal(vmbus_ring_attach(&t->r, t->hdr, t->data, t->size), 0);
}

static uint8_t
pattern(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (seq >> 7));
}

/* A @len-byte packet: inband descriptor carrying @seq, then a pattern. */
static void
build_pkt(uint8_t *buf, uint64_t seq, uint32_t len)
{
	struct vmbus_pkt_desc d = {
		.type = VMBUS_PKT_DATA_INBAND,
		.offset8 = DESC_SIZE / 8,
		.len8 = (uint16_t)(HV_ALIGN_UP(len, 8u) / 8),
		.trans_id = seq,
	};

	memcpy(buf, &d, sizeof(d));
	for (uint32_t i = DESC_SIZE; i < len; i++)
		buf[i] = pattern(seq, i);
}

/* Write it as two gather elements: descriptor, then payload. */
static int
write_pkt(struct tring *t, uint64_t seq, uint32_t len, bool *sig)
{
	uint8_t buf[MAX_TEST_PKT];
	struct hv_sg sg[2];

	assert_true(len >= DESC_SIZE && len <= sizeof(buf));
	build_pkt(buf, seq, len);
	sg[0] = (struct hv_sg){ buf, DESC_SIZE };
	sg[1] = (struct hv_sg){ buf + DESC_SIZE, len - DESC_SIZE };
	return vmbus_ring_write(&t->w, sg, 2, sig);
}

static void
write_ok(struct tring *t, uint64_t seq, uint32_t len)
{
	bool sig;

	assert_int_equal(write_pkt(t, seq, len, &sig), 0);
}

/* The packet as a reader sees it: len padded to 8, zero padding. */
static void
check_pkt(const uint8_t *buf, uint32_t got_len, uint64_t seq, uint32_t len)
{
	struct vmbus_pkt_desc d;

	assert_int_equal(got_len, HV_ALIGN_UP(len, 8u));
	memcpy(&d, buf, sizeof(d));
	assert_int_equal(d.trans_id, seq);
	assert_int_equal(d.len8 * 8u, got_len);
	for (uint32_t i = DESC_SIZE; i < len; i++)
		assert_int_equal(buf[i], pattern(seq, i));
	for (uint32_t i = len; i < got_len; i++)
		assert_int_equal(buf[i], 0);
}

static void
read_check(struct tring *t, uint64_t seq, uint32_t len)
{
	uint8_t buf[MAX_TEST_PKT];
	uint32_t got;

	assert_int_equal(vmbus_ring_read(&t->r, buf, sizeof(buf), &got), 0);
	check_pkt(buf, got, seq, len);
}

static bool
commit(struct tring *t)
{
	bool sig = true;

	assert_int_equal(vmbus_ring_commit(&t->r, &sig), 0);
	return sig;
}

static uint64_t
raw_u64(const struct tring *t, uint32_t pos)
{
	uint64_t v;

	memcpy(&v, t->data + pos, sizeof(v));
	return v;
}

static void
test_vmbus_ring_attach_rejects(void **state)
{
	struct vmbus_ring_hdr *hdr = calloc(1, sizeof(*hdr));
	uint8_t *data = malloc(D_SMALL);
	struct vmbus_ring r;

	(void)state;
	assert_non_null(hdr);
	assert_non_null(data);
	vmbus_ring_hdr_reset(hdr);
	assert_int_equal(vmbus_ring_attach(&r, NULL, data, D_SMALL), -EINVAL);
	assert_int_equal(vmbus_ring_attach(&r, hdr, NULL, D_SMALL), -EINVAL);
	assert_int_equal(vmbus_ring_attach(&r, hdr, data, 0), -EINVAL);
	assert_int_equal(vmbus_ring_attach(&r, hdr, data, 24), -EINVAL);
	assert_int_equal(vmbus_ring_attach(&r, hdr, data, 36), -EINVAL);
	assert_int_equal(vmbus_ring_attach(&r, hdr, data, SIZE_MAX & ~(size_t)7),
			 -EINVAL);
	/* A data area inside the header page is a caller bug. */
	assert_int_equal(vmbus_ring_attach(&r, hdr, (uint8_t *)hdr + 64, 64),
			 -EINVAL);
	assert_int_equal(vmbus_ring_attach(&r, hdr, data, 32), 0);

	hdr->read_index = D_SMALL;
	assert_int_equal(vmbus_ring_attach(&r, hdr, data, D_SMALL), -EIO);
	hdr->read_index = 0;
	hdr->write_index = 4;
	assert_int_equal(vmbus_ring_attach(&r, hdr, data, D_SMALL), -EIO);
	hdr->write_index = D_SMALL - 8;
	hdr->read_index = 16;
	assert_int_equal(vmbus_ring_attach(&r, hdr, data, D_SMALL), 0);
	assert_int_equal(r.priv_index, 16);
	assert_int_equal(r.data_size, D_SMALL);
	free(data);
	free(hdr);
}

static void
test_vmbus_ring_hdr_reset(void **state)
{
	struct vmbus_ring_hdr *hdr = malloc(sizeof(*hdr));
	const uint8_t *raw = (const uint8_t *)hdr;

	(void)state;
	assert_non_null(hdr);
	memset(hdr, 0xff, sizeof(*hdr));
	vmbus_ring_hdr_reset(hdr);
	assert_int_equal(hdr->feature_bits, VMBUS_RING_FEAT_PENDING_SEND_SZ);
	for (size_t i = 0; i < sizeof(*hdr); i++)
		if (i < 64 || i >= 68)
			assert_int_equal(raw[i], 0);
	free(hdr);
}

/* Many laps with varying lengths on non-power-of-two sizes. */
static void
test_vmbus_ring_roundtrip_sizes(void **state)
{
	static const uint32_t sizes[] = { D_SMALL, D_PAGES, D_ODD, 40 };

	(void)state;
	for (size_t s = 0; s < HV_ARRAY_SIZE(sizes); s++) {
		struct tring *t = tr_open(sizes[s]);
		uint32_t max = sizes[s] - 16, avail;

		if (max > 600)
			max = 600;
		for (uint64_t seq = 0; seq < 2000; seq++) {
			uint32_t len = DESC_SIZE +
				       (uint32_t)(seq * 13 % (max - DESC_SIZE + 1));

			write_ok(t, seq, len);
			assert_int_equal(vmbus_ring_read_avail(&t->r, &avail), 0);
			assert_int_equal(avail, HV_ALIGN_UP(len, 8u) + 8);
			read_check(t, seq, len);
			commit(t);
			assert_int_equal(t->hdr->read_index, t->hdr->write_index);
			assert_true(t->hdr->write_index < sizes[s]);
		}
		tr_close(t);
	}
}

/* The descriptor itself straddles the end of the data area. */
static void
test_vmbus_ring_wrap_in_desc(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	struct vmbus_pkt_desc d;
	uint8_t raw[DESC_SIZE];

	(void)state;
	tr_position(t, D_SMALL - 8);
	write_ok(t, 7, 40);
	memcpy(raw, t->data + D_SMALL - 8, 8);
	memcpy(raw + 8, t->data, 8);
	memcpy(&d, raw, sizeof(d));
	assert_int_equal(d.trans_id, 7);
	assert_int_equal(d.len8, 5);
	/* 40 bytes from D-8 end at 32; the trailer follows. */
	assert_int_equal(raw_u64(t, 32), (uint64_t)(D_SMALL - 8) << 32);
	assert_int_equal(t->hdr->write_index, 40);
	read_check(t, 7, 40);
	commit(t);
	assert_int_equal(t->hdr->read_index, 40);
	tr_close(t);
}

/* Descriptor fits, payload wraps, padding and trailer after the wrap. */
static void
test_vmbus_ring_wrap_in_payload(void **state)
{
	struct tring *t = tr_open(D_SMALL);

	(void)state;
	tr_position(t, D_SMALL - 24);
	write_ok(t, 9, 37); /* 16 + 21 payload, padded to 40 */
	assert_int_equal(t->data[D_SMALL - 8], pattern(9, 16));
	assert_int_equal(t->data[0], pattern(9, 24));
	assert_int_equal(t->data[12], pattern(9, 36));
	for (uint32_t i = 13; i < 16; i++)
		assert_int_equal(t->data[i], 0);
	assert_int_equal(raw_u64(t, 16), (uint64_t)(D_SMALL - 24) << 32);
	assert_int_equal(t->hdr->write_index, 24);
	read_check(t, 9, 37);
	tr_close(t);
}

/* The packet ends exactly at D: the trailer starts the next lap. */
static void
test_vmbus_ring_wrap_before_trailer(void **state)
{
	struct tring *t = tr_open(D_ODD);

	(void)state;
	tr_position(t, D_ODD - 48);
	write_ok(t, 3, 45);
	assert_int_equal(raw_u64(t, 0), (uint64_t)(D_ODD - 48) << 32);
	assert_int_equal(t->hdr->write_index, 8);
	read_check(t, 3, 45);
	commit(t);
	assert_int_equal(t->hdr->read_index, 8);
	tr_close(t);
}

/* Each trailer holds its own packet's start; padding is zeroed. */
static void
test_vmbus_ring_trailer_and_padding(void **state)
{
	struct tring *t = tr_open(D_PAGES);

	(void)state;
	write_ok(t, 1, 19);          /* 0..24, trailer at 24 */
	write_ok(t, 2, 100);         /* 32..136, trailer at 136 */
	assert_int_equal(raw_u64(t, 24), 0);
	assert_int_equal(raw_u64(t, 136), (uint64_t)32 << 32);
	for (uint32_t i = 19; i < 24; i++)
		assert_int_equal(t->data[i], 0);
	for (uint32_t i = 132; i < 136; i++)
		assert_int_equal(t->data[i], 0);
	assert_int_equal(t->data[144], 0xaa); /* nothing written past */
	tr_close(t);
}

static void
test_vmbus_ring_exactly_full(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	uint32_t max, avail;
	bool sig;

	(void)state;
	/* Empty ring: the largest packet leaves exactly 8 bytes free. */
	assert_int_equal(vmbus_ring_write_avail(&t->w, &max), 0);
	assert_int_equal(max, D_SMALL - 16);
	assert_int_equal(write_pkt(t, 1, max + 1, &sig), -EMSGSIZE);
	write_ok(t, 1, max);
	assert_int_equal(vmbus_ring_write_avail(&t->w, &max), 0);
	assert_int_equal(max, 0);
	assert_int_equal(write_pkt(t, 2, DESC_SIZE, &sig), -EAGAIN);
	assert_false(sig);
	read_check(t, 1, D_SMALL - 16);
	commit(t);

	/* Partly used ring: largest fits, one byte more does not. */
	write_ok(t, 2, DESC_SIZE);
	assert_int_equal(vmbus_ring_write_avail(&t->w, &max), 0);
	assert_int_equal(max, D_SMALL - 24 - 16);
	assert_int_equal(write_pkt(t, 3, max + 1, &sig), -EAGAIN);
	write_ok(t, 3, max);
	/* Never completely full: 8 bytes stay free, indices differ. */
	assert_int_equal(vmbus_ring_read_avail(&t->r, &avail), 0);
	assert_int_equal(avail, D_SMALL - 8);
	assert_int_not_equal(t->hdr->write_index, t->hdr->read_index);
	assert_int_equal(write_pkt(t, 4, DESC_SIZE, &sig), -EAGAIN);
	read_check(t, 2, DESC_SIZE);
	read_check(t, 3, D_SMALL - 40);
	tr_close(t);
}

/* The pollers' test: unread packets, not the published read_index. */
static void
test_vmbus_ring_read_empty(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	uint8_t buf[MAX_TEST_PKT];
	uint32_t got;

	(void)state;
	assert_true(vmbus_ring_read_empty(&t->r));
	write_ok(t, 1, DESC_SIZE);
	assert_false(vmbus_ring_read_empty(&t->r));
	/* A peek leaves the packet unread. */
	assert_int_equal(vmbus_ring_peek(&t->r, buf, sizeof(buf), &got), 0);
	assert_false(vmbus_ring_read_empty(&t->r));
	read_check(t, 1, DESC_SIZE);
	/* Read but not committed: empty for the reader already. */
	assert_true(vmbus_ring_read_empty(&t->r));
	assert_int_not_equal(t->hdr->read_index, t->hdr->write_index);
	commit(t);
	assert_true(vmbus_ring_read_empty(&t->r));
	/* Around the end of the data area. */
	write_ok(t, 2, D_SMALL - 64);
	read_check(t, 2, D_SMALL - 64);
	write_ok(t, 3, 40);
	assert_false(vmbus_ring_read_empty(&t->r));
	read_check(t, 3, 40);
	assert_true(vmbus_ring_read_empty(&t->r));
	tr_close(t);
}

static void
test_vmbus_ring_write_rejects(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	uint8_t *big = calloc(1, VMBUS_PKT_MAX_LEN + 64);
	struct hv_sg sg[2] = { { big, 8 }, { NULL, 8 } };
	struct vmbus_ring huge;
	bool sig = true;

	(void)state;
	assert_non_null(big);
	assert_int_equal(vmbus_ring_write(&t->w, sg, 1, &sig), -EINVAL);
	assert_false(sig);
	assert_int_equal(vmbus_ring_write(&t->w, sg, 2, &sig), -EINVAL);
	assert_int_equal(vmbus_ring_write(&t->w, NULL, 0, &sig), -EINVAL);
	/* A zero-length element with no base is fine. */
	sg[0].len = DESC_SIZE;
	sg[1].len = 0;
	assert_int_equal(vmbus_ring_write(&t->w, sg, 2, &sig), 0);
	assert_true(sig);

	/* len8 is 16 bits: larger packets never fit, whatever the ring. */
	assert_int_equal(vmbus_ring_attach(&huge, t->hdr, big,
					   VMBUS_PKT_MAX_LEN + 64), 0);
	huge.hdr->write_index = 0;
	huge.hdr->read_index = 0;
	sg[0].len = VMBUS_PKT_MAX_LEN + 1;
	assert_int_equal(vmbus_ring_write(&huge, sg, 1, &sig), -EMSGSIZE);
	assert_int_equal(vmbus_ring_pending_send_set(&huge, VMBUS_PKT_MAX_LEN + 1),
			 -EMSGSIZE);
	free(big);
	tr_close(t);
}

/* Writer signals only on empty -> non-empty with the mask clear. */
static void
test_vmbus_ring_signal_writer(void **state)
{
	struct tring *t = tr_open(D_PAGES);
	bool sig;

	(void)state;
	assert_int_equal(write_pkt(t, 1, 40, &sig), 0);
	assert_true(sig);
	assert_int_equal(write_pkt(t, 2, 40, &sig), 0);
	assert_false(sig); /* not empty before */
	read_check(t, 1, 40);
	read_check(t, 2, 40);
	assert_false(commit(t));
	assert_int_equal(write_pkt(t, 3, 40, &sig), 0);
	assert_true(sig); /* empty again */

	/* Read but not committed: the writer still sees it non-empty. */
	read_check(t, 3, 40);
	assert_int_equal(write_pkt(t, 4, 40, &sig), 0);
	assert_false(sig);
	read_check(t, 4, 40);
	commit(t);

	/* Masked reader: no signal, and unmask reports the packet. */
	vmbus_ring_intr_mask(&t->r);
	assert_int_equal(t->hdr->interrupt_mask, 1);
	assert_int_equal(write_pkt(t, 5, 40, &sig), 0);
	assert_false(sig);
	assert_true(vmbus_ring_intr_unmask(&t->r));
	assert_int_equal(t->hdr->interrupt_mask, 0);
	read_check(t, 5, 40);
	commit(t);
	assert_false(vmbus_ring_intr_unmask(&t->r));
	assert_int_equal(write_pkt(t, 6, 40, &sig), 0);
	assert_true(sig);
	tr_close(t);
}

/* Fill D_SMALL with six 40-byte packets (48 each): 8 bytes stay free. */
static void
fill_small(struct tring *t)
{
	bool sig;

	for (uint64_t seq = 0; seq < 6; seq++)
		write_ok(t, seq, 40);
	assert_int_equal(write_pkt(t, 6, 40, &sig), -EAGAIN);
}

/* Reader signals exactly when free space crosses pending_send_sz. */
static void
test_vmbus_ring_pending_crossing(void **state)
{
	struct tring *t = tr_open(D_SMALL);

	(void)state;
	fill_small(t);
	/* Wants 96 + 8 = 104 bytes free, strictly more than that. */
	assert_int_equal(vmbus_ring_pending_send_set(&t->w, 96), -EAGAIN);
	assert_int_equal(t->hdr->pending_send_sz, 104);
	read_check(t, 0, 40);
	assert_false(commit(t)); /* free 56 */
	read_check(t, 1, 40);
	assert_false(commit(t)); /* free 104: not > 104 */
	read_check(t, 2, 40);
	assert_true(commit(t));  /* free 152: crossed */
	read_check(t, 3, 40);
	assert_false(commit(t)); /* already above: not again */
	assert_false(commit(t)); /* nothing consumed */
	assert_int_equal(vmbus_ring_pending_send_set(&t->w, 96), 0);
	vmbus_ring_pending_send_clear(&t->w);
	assert_int_equal(t->hdr->pending_send_sz, 0);
	read_check(t, 4, 40);
	assert_false(commit(t)); /* no request */
	tr_close(t);
}

/* One commit for a batch that crosses the threshold signals once. */
static void
test_vmbus_ring_pending_batch(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	uint32_t len;

	(void)state;
	fill_small(t);
	assert_int_equal(vmbus_ring_pending_send_set(&t->w, 96), -EAGAIN);
	read_check(t, 0, 40);
	assert_int_equal(vmbus_ring_skip(&t->r, &len), 0);
	assert_int_equal(len, 40);
	read_check(t, 2, 40);
	assert_true(commit(t));
	tr_close(t);
}

/* Without the writer's feature bit the reader never signals. */
static void
test_vmbus_ring_pending_no_feature(void **state)
{
	struct tring *t = tr_open(D_SMALL);

	(void)state;
	t->hdr->feature_bits = 0;
	fill_small(t);
	assert_int_equal(vmbus_ring_pending_send_set(&t->w, 96), -EAGAIN);
	for (uint64_t seq = 0; seq < 6; seq++) {
		read_check(t, seq, 40);
		assert_false(commit(t));
	}
	tr_close(t);
}

/* Every reader operation refuses the next packet; nothing is consumed. */
static void
expect_reader_eio(struct tring *t)
{
	uint32_t priv = t->r.priv_index;
	uint8_t buf[512];
	uint32_t n = 1;

	assert_int_equal(vmbus_ring_peek(&t->r, buf, sizeof(buf), &n), -EIO);
	assert_int_equal(n, 0);
	assert_int_equal(vmbus_ring_read(&t->r, buf, sizeof(buf), &n), -EIO);
	assert_int_equal(vmbus_ring_skip(&t->r, &n), -EIO);
	assert_int_equal(t->r.priv_index, priv);
}

static void
expect_all_eio(struct tring *t)
{
	uint32_t n = 1;
	bool sig = true;

	expect_reader_eio(t);
	assert_int_equal(vmbus_ring_read_avail(&t->r, &n), -EIO);
	/* Not empty: the read that follows must report the corruption. */
	assert_false(vmbus_ring_read_empty(&t->r));
	assert_int_equal(vmbus_ring_write_avail(&t->w, &n), -EIO);
	assert_int_equal(write_pkt(t, 1, 40, &sig), -EIO);
	assert_false(sig);
	assert_true(vmbus_ring_intr_unmask(&t->r));
}

static void
test_vmbus_ring_corrupt_indices(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	uint32_t n;
	bool sig;

	(void)state;
	t->hdr->write_index = D_SMALL;
	expect_all_eio(t);
	t->hdr->write_index = 12;
	expect_all_eio(t);
	t->hdr->write_index = 0xfffffff8u;
	expect_all_eio(t);

	/* The writer also distrusts read_index. */
	t->hdr->write_index = 0;
	t->hdr->read_index = D_SMALL + 8;
	assert_int_equal(write_pkt(t, 1, 40, &sig), -EIO);
	assert_int_equal(vmbus_ring_pending_send_set(&t->w, 40), -EIO);
	t->hdr->read_index = 4;
	assert_int_equal(vmbus_ring_write_avail(&t->w, &n), -EIO);

	/* Commit re-reads write_index for the pending check. */
	t->hdr->read_index = 0;
	write_ok(t, 1, 40);
	t->hdr->pending_send_sz = 8;
	read_check(t, 1, 40);
	t->hdr->write_index = 3;
	assert_int_equal(vmbus_ring_commit(&t->r, &sig), -EIO);
	assert_false(sig);
	tr_close(t);
}

/* Put raw descriptor @d at 0 and publish @avail bytes. */
static void
put_desc(struct tring *t, uint16_t off8, uint16_t len8, uint32_t avail)
{
	struct vmbus_pkt_desc d = { .type = VMBUS_PKT_DATA_INBAND,
				    .offset8 = off8, .len8 = len8 };

	tr_position(t, 0);
	memcpy(t->data, &d, sizeof(d));
	t->hdr->write_index = avail;
}

static void
test_vmbus_ring_corrupt_desc(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	uint8_t buf[256];
	uint32_t n;

	(void)state;
	/* A bad offset8 spoils the packet, not the framing: it is read
	 * (the packet parser refuses it) and the ring goes on. */
	put_desc(t, 1, 4, 40);      /* payload inside the descriptor */
	assert_int_equal(vmbus_ring_peek(&t->r, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 32);
	put_desc(t, 4, 3, 40);      /* payload beyond the packet */
	assert_int_equal(vmbus_ring_peek(&t->r, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 24);
	put_desc(t, 2, 1, 40);      /* shorter than a descriptor */
	expect_reader_eio(t);
	put_desc(t, 2, 5, 40);      /* 40 + trailer > 40 available */
	expect_reader_eio(t);
	put_desc(t, 2, 0xffff, 8 * 36);
	expect_reader_eio(t);
	put_desc(t, 2, 2, 16);      /* fewer bytes than desc + trailer */
	expect_reader_eio(t);

	/* Boundaries that are valid. */
	put_desc(t, 2, 4, 40);
	assert_int_equal(vmbus_ring_peek(&t->r, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 32);
	put_desc(t, 2, 2, 24);
	assert_int_equal(vmbus_ring_skip(&t->r, &n), 0);
	assert_int_equal(n, 16);
	assert_int_equal(t->r.priv_index, 24);
	put_desc(t, 4, 4, 40);      /* empty payload */
	assert_int_equal(vmbus_ring_read(&t->r, buf, sizeof(buf), &n), 0);
	tr_close(t);
}

static void
test_vmbus_ring_peek_small_buffer(void **state)
{
	struct tring *t = tr_open(D_PAGES);
	uint8_t buf[128];
	uint32_t n;

	(void)state;
	assert_int_equal(vmbus_ring_peek(&t->r, buf, sizeof(buf), &n), -EAGAIN);
	assert_int_equal(vmbus_ring_read(&t->r, buf, sizeof(buf), &n), -EAGAIN);
	assert_int_equal(vmbus_ring_skip(&t->r, &n), -EAGAIN);
	write_ok(t, 5, 100);
	assert_int_equal(vmbus_ring_peek(&t->r, buf, 50, &n), -ENOBUFS);
	assert_int_equal(n, 104);
	assert_int_equal(vmbus_ring_peek(&t->r, buf, 8, &n), -ENOBUFS);
	assert_int_equal(n, 104);
	assert_int_equal(vmbus_ring_read(&t->r, buf, 103, &n), -ENOBUFS);
	assert_int_equal(t->r.priv_index, 0); /* nothing consumed */
	assert_int_equal(vmbus_ring_peek(&t->r, buf, 104, &n), 0);
	check_pkt(buf, n, 5, 100);
	assert_int_equal(vmbus_ring_peek(&t->r, buf, 104, &n), 0);
	read_check(t, 5, 100);
	assert_int_equal(vmbus_ring_peek(&t->r, buf, sizeof(buf), &n), -EAGAIN);
	tr_close(t);
}

/*
 * vmbus_ring_write_many: packets exactly as vmbus_ring_write frames
 * them (across the wrap), each published by itself: it stops right
 * after a packet the reader must be signalled for (empty ring before
 * it, unmasked), so that the caller signals before writing on, as
 * separate writes would; the prefix that fits; nothing at all for a
 * packet it must refuse.
 */
static void
test_vmbus_ring_write_many(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	uint8_t bufs[4][64];
	struct hv_sg pkt[4];
	static const uint32_t lens[4] = { 40, 61, 16, 56 };
	unsigned int done = 99;
	bool sig = false;

	(void)state;
	/* Start near the end so that the run wraps. */
	tr_position(t, D_SMALL - 48);
	for (unsigned int i = 0; i < 4; i++) {
		build_pkt(bufs[i], 100 + i, lens[i]);
		pkt[i] = (struct hv_sg){ bufs[i], lens[i] };
	}
	/* Empty and unmasked: the first packet wants its signal at once. */
	assert_int_equal(vmbus_ring_write_many(&t->w, pkt, 3, &done, &sig), 0);
	assert_int_equal(done, 1);
	assert_true(sig);
	/* The reader takes it and empties the ring: the next wants one too. */
	read_check(t, 100, lens[0]);
	commit(t);
	assert_int_equal(vmbus_ring_write_many(&t->w, pkt + 1, 2, &done, &sig), 0);
	assert_int_equal(done, 1);
	assert_true(sig);
	/* Not empty before it: written on without a signal. */
	assert_int_equal(vmbus_ring_write_many(&t->w, pkt + 2, 1, &done, &sig), 0);
	assert_int_equal(done, 1);
	assert_false(sig);
	for (unsigned int i = 1; i < 3; i++)
		read_check(t, 100 + i, lens[i]);
	commit(t);
	assert_int_equal(t->hdr->read_index, t->hdr->write_index);

	/* A refused packet anywhere in the run: nothing is written. */
	pkt[1].len = DESC_SIZE - 8;
	assert_int_equal(vmbus_ring_write_many(&t->w, pkt, 4, &done, &sig), -EINVAL);
	assert_int_equal(done, 0);
	assert_false(sig);
	assert_int_equal(t->hdr->read_index, t->hdr->write_index);
	pkt[1].len = lens[1];

	/* Masked reader: no signal, the whole run. Only what fits
	 * (D_SMALL is 296): four 64-byte footprints, then not one more
	 * while the reader has not consumed them. */
	t->hdr->interrupt_mask = 1;
	for (unsigned int i = 0; i < 4; i++) {
		build_pkt(bufs[i], 200 + i, 56);
		pkt[i] = (struct hv_sg){ bufs[i], 56 };
	}
	assert_int_equal(vmbus_ring_write_many(&t->w, pkt, 4, &done, &sig), 0);
	assert_int_equal(done, 4);
	assert_false(sig);
	assert_int_equal(vmbus_ring_write_many(&t->w, pkt, 4, &done, &sig), 0);
	assert_int_equal(done, 0);
	assert_false(sig);
	for (unsigned int i = 0; i < 4; i++)
		read_check(t, 200 + i, 56);
	tr_close(t);
}

/*
 * Deferred publication: while held, packets are framed into the data
 * area but the reader sees none of them (nor is any signal asked for);
 * one publish hands them all over, in order, with one signal decision.
 */
static void
test_vmbus_ring_hold_publish(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	struct vmbus_ring_hold *h = calloc(1, sizeof(*h));
	uint8_t buf[MAX_TEST_PKT];
	uint32_t got, start;
	bool sig = true;

	(void)state;
	assert_non_null(h);
	/* Start near the end so that the batch wraps. */
	tr_position(t, D_SMALL - 48);
	start = t->hdr->write_index;
	assert_true(vmbus_ring_write_drained(&t->w));
	assert_int_equal(vmbus_ring_publish(&t->w, h, &sig), -EALREADY);
	assert_int_equal(vmbus_ring_hold(&t->w, h), 0);
	assert_int_equal(vmbus_ring_hold(&t->w, h), -EALREADY);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		assert_int_equal(write_pkt(t, seq, 40, &sig), 0);
		/* Unmasked reader, empty ring: a plain write would signal. */
		assert_false(sig);
	}
	/* Nothing visible: the shared index did not move. */
	assert_int_equal(t->hdr->write_index, start);
	assert_true(vmbus_ring_read_empty(&t->r));
	assert_int_equal(vmbus_ring_read(&t->r, buf, sizeof(buf), &got), -EAGAIN);
	sig = false;
	assert_int_equal(vmbus_ring_publish(&t->w, h, &sig), 0);
	assert_true(sig);
	assert_ptr_equal(t->w.hdr, t->hdr);
	assert_int_not_equal(t->hdr->write_index, start);
	assert_false(vmbus_ring_write_drained(&t->w));
	for (uint64_t seq = 1; seq <= 3; seq++)
		read_check(t, seq, 40);
	assert_true(vmbus_ring_read_empty(&t->r));
	/* Read but not committed: not drained for the writer yet. */
	assert_false(vmbus_ring_write_drained(&t->w));
	commit(t);
	assert_true(vmbus_ring_write_drained(&t->w));
	assert_int_equal(vmbus_ring_publish(&t->w, h, &sig), -EALREADY);

	/* An empty hold publishes nothing and asks for no signal. */
	assert_int_equal(vmbus_ring_hold(&t->w, h), 0);
	sig = true;
	assert_int_equal(vmbus_ring_publish(&t->w, h, &sig), 0);
	assert_false(sig);
	assert_true(vmbus_ring_write_drained(&t->w));
	free(h);
	tr_close(t);
}

/*
 * While held the writer's room is the one of the hold: a packet the
 * reader had not read stays intact however much is written; the reader
 * gets it, then the batch. A masked reader, or one that had not read
 * everything, is not signalled at publish; a room request made while
 * held reaches the shared header.
 */
static void
test_vmbus_ring_hold_room(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	struct vmbus_ring_hold *h = calloc(1, sizeof(*h));
	unsigned int n = 0;
	bool sig = true;
	int rc;

	(void)state;
	assert_non_null(h);
	write_ok(t, 1, 56);
	assert_int_equal(vmbus_ring_hold(&t->w, h), 0);
	/* 296 bytes: the unread 64-byte footprint and three more fit. */
	while ((rc = write_pkt(t, 10 + n, 56, &sig)) == 0)
		n++;
	assert_int_equal(rc, -EAGAIN);
	assert_int_equal(n, 3);
	/* The reader consumes meanwhile: the held writer does not see it. */
	read_check(t, 1, 56);
	commit(t);
	assert_int_equal(write_pkt(t, 99, 56, &sig), -EAGAIN);
	assert_int_equal(vmbus_ring_pending_send_set(&t->w, 56), -EAGAIN);
	assert_int_equal(t->hdr->pending_send_sz, 0);
	/* Signal: not masked, and it had read everything before the
	 * batch by the time of publish. */
	assert_int_equal(vmbus_ring_publish(&t->w, h, &sig), 0);
	assert_true(sig);
	assert_int_equal(t->hdr->pending_send_sz, 64);
	for (unsigned int i = 0; i < n; i++)
		read_check(t, 10 + i, 56);
	commit(t);
	vmbus_ring_pending_send_clear(&t->w);

	/* Not read everything before the batch: no signal. */
	write_ok(t, 2, 40);
	assert_int_equal(vmbus_ring_hold(&t->w, h), 0);
	write_ok(t, 3, 40);
	assert_int_equal(vmbus_ring_publish(&t->w, h, &sig), 0);
	assert_false(sig);
	read_check(t, 2, 40);
	read_check(t, 3, 40);
	commit(t);
	/* Masked: no signal. */
	t->hdr->interrupt_mask = 1;
	assert_int_equal(vmbus_ring_hold(&t->w, h), 0);
	write_ok(t, 4, 40);
	assert_int_equal(vmbus_ring_publish(&t->w, h, &sig), 0);
	assert_false(sig);
	read_check(t, 4, 40);

	/* A corrupt index: no hold, the writer keeps the shared header. */
	t->hdr->read_index = 4;
	assert_int_equal(vmbus_ring_hold(&t->w, h), -EIO);
	assert_ptr_equal(t->w.hdr, t->hdr);
	assert_false(vmbus_ring_write_drained(&t->w));
	free(h);
	tr_close(t);
}

/* Both rings' data and indices byte for byte. */
static void
tr_same(const struct tring *a, const struct tring *b)
{
	assert_int_equal(a->hdr->write_index, b->hdr->write_index);
	assert_int_equal(a->hdr->read_index, b->hdr->read_index);
	assert_memory_equal(a->data, b->data, a->size);
}

/*
 * vmbus_ring_write_stamped: the ring afterwards byte for byte what
 * vmbus_ring_write_many leaves for the same packets (template with each
 * id at id_off), at every start position around the wrap, with the
 * same count written and the same signal; a template it must refuse
 * writes nothing.
 */
static void
test_vmbus_ring_write_stamped(void **state)
{
	static const uint32_t lens[] = { 56, 61, 16, 40, 24, 64 };
	const uint32_t id_off = 8; /* the descriptor's trans_id */
	uint8_t tmpl[64], bufs[5][64];
	uint64_t ids[5];
	struct hv_sg pkt[5];

	(void)state;
	for (unsigned int l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		uint32_t len = lens[l];

		for (uint32_t start = 0; start < D_SMALL; start += 8) {
			struct tring *a = tr_open(D_SMALL), *b = tr_open(D_SMALL);

			tr_position(a, start);
			tr_position(b, start);
			build_pkt(tmpl, 7, len);
			for (unsigned int i = 0; i < 5; i++) {
				ids[i] = 0x1000 + i * 0x10001ull + start;
				memcpy(bufs[i], tmpl, len);
				memcpy(bufs[i] + id_off, &ids[i], sizeof(ids[i]));
				pkt[i] = (struct hv_sg){ bufs[i], len };
			}
			for (int masked = 0; masked < 2; masked++) {
				unsigned int da = 99, db = 98;
				bool sa = !masked, sb = masked;

				a->hdr->interrupt_mask = (uint32_t)masked;
				b->hdr->interrupt_mask = (uint32_t)masked;
				assert_int_equal(vmbus_ring_write_many(&a->w, pkt, 5, &da, &sa),
						 vmbus_ring_write_stamped(&b->w, tmpl, len, id_off,
									  ids, 5, &db, &sb));
				assert_int_equal(da, db);
				assert_true(da != 0);
				assert_int_equal(sa, sb);
				tr_same(a, b);
				/* The reader sees the stamped packets. */
				for (unsigned int i = 0; i < db; i++) {
					uint8_t got[MAX_TEST_PKT];
					uint32_t glen;

					assert_int_equal(vmbus_ring_read(&b->r, got, sizeof(got),
									 &glen), 0);
					assert_int_equal(glen, HV_ALIGN_UP(len, 8u));
					assert_memory_equal(got, bufs[i], len);
					assert_int_equal(vmbus_ring_skip(&a->r, &glen), 0);
				}
				commit(a);
				commit(b);
			}
			tr_close(a);
			tr_close(b);
		}
	}

	/* Refused: nothing written. */
	{
		struct tring *t = tr_open(D_SMALL);
		unsigned int done = 9;
		bool sig = true;

		build_pkt(tmpl, 7, 56);
		ids[0] = 1;
		assert_int_equal(vmbus_ring_write_stamped(&t->w, tmpl, 56, 49, ids, 1,
							  &done, &sig), -EINVAL);
		assert_int_equal(done, 0);
		assert_false(sig);
		assert_int_equal(vmbus_ring_write_stamped(&t->w, tmpl, 12, 0, ids, 1,
							  &done, &sig), -EINVAL);
		assert_int_equal(vmbus_ring_write_stamped(&t->w, NULL, 56, 8, ids, 1,
							  &done, &sig), -EINVAL);
		assert_int_equal(vmbus_ring_write_stamped(&t->w, tmpl,
							  VMBUS_RING_STAMP_MAX + 1, 8, ids,
							  1, &done, &sig), -EINVAL);
		assert_int_equal(t->hdr->write_index, 0);
		assert_int_equal(t->data[0], 0xaa);
		tr_close(t);
	}
}

/* One read of each kind on twin rings: the same answer, bytes, cursor. */
static void
read_twins(struct tring *a, struct tring *b, size_t buflen)
{
	uint8_t ba[MAX_TEST_PKT], bb[MAX_TEST_PKT];
	uint32_t la = 7, lb = 9;

	int rc;

	memset(ba, 0x55, sizeof(ba));
	memset(bb, 0x55, sizeof(bb));
	rc = vmbus_ring_read(&a->r, ba, buflen, &la);
	assert_int_equal(rc, vmbus_ring_read_inline(&b->r, bb, buflen, &lb));
	assert_int_equal(la, lb);
	/* The packet; past it, the fixed-size copy's bytes may differ. */
	if (rc == 0)
		assert_memory_equal(ba, bb, la);
	else
		assert_memory_equal(ba, bb, VMBUS_RING_INLINE_COPY);
	assert_memory_equal(ba + VMBUS_RING_INLINE_COPY, bb + VMBUS_RING_INLINE_COPY,
			    sizeof(ba) - VMBUS_RING_INLINE_COPY);
	assert_int_equal(a->r.priv_index, b->r.priv_index);
}

/*
 * vmbus_ring_read_inline: what vmbus_ring_read returns, at every start
 * position (packets crossing the end of the data area, ending exactly
 * at it), for an empty ring, a buffer too small, a descriptor whose
 * length overruns what was written, and a corrupt write_index.
 */
static void
test_vmbus_ring_read_inline(void **state)
{
	static const uint32_t lens[] = { 16, 40, 61, 100, 130 };

	(void)state;
	for (uint32_t start = 0; start < D_SMALL; start += 8) {
		struct tring *a = tr_open(D_SMALL), *b = tr_open(D_SMALL);

		tr_position(a, start);
		tr_position(b, start);
		read_twins(a, b, MAX_TEST_PKT); /* empty */
		for (unsigned int l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			write_ok(a, l, lens[l]);
			write_ok(b, l, lens[l]);
			read_twins(a, b, 48); /* too small for the longer ones */
			read_twins(a, b, MAX_TEST_PKT);
			commit(a);
			commit(b);
		}
		/* len8 past write_index: -EIO both ways. */
		write_ok(a, 9, 40);
		write_ok(b, 9, 40);
		a->data[a->r.priv_index + 4 < D_SMALL ? a->r.priv_index + 4 :
			a->r.priv_index + 4 - D_SMALL] = 0x40;
		b->data[b->r.priv_index + 4 < D_SMALL ? b->r.priv_index + 4 :
			b->r.priv_index + 4 - D_SMALL] = 0x40;
		read_twins(a, b, MAX_TEST_PKT);
		/* A write_index that is no index. */
		a->hdr->write_index = D_SMALL + 8;
		b->hdr->write_index = D_SMALL + 8;
		read_twins(a, b, MAX_TEST_PKT);
		a->hdr->write_index = 4;
		b->hdr->write_index = 4;
		read_twins(a, b, MAX_TEST_PKT);
		tr_close(a);
		tr_close(b);
	}
}

static void
test_vmbus_ring_batch_commit(void **state)
{
	struct tring *t = tr_open(D_SMALL);
	uint32_t before, after, n;
	bool sig;

	(void)state;
	for (uint64_t seq = 0; seq < 5; seq++)
		write_ok(t, seq, 40);
	assert_int_equal(vmbus_ring_write_avail(&t->w, &before), 0);
	read_check(t, 0, 40);
	read_check(t, 1, 40);
	read_check(t, 2, 40);
	assert_int_equal(vmbus_ring_skip(&t->r, &n), 0);
	assert_int_equal(vmbus_ring_skip(&t->r, &n), 0);
	assert_int_equal(vmbus_ring_read_avail(&t->r, &n), 0);
	assert_int_equal(n, 0);
	/* Nothing handed back to the writer yet. */
	assert_int_equal(t->hdr->read_index, 0);
	assert_int_equal(vmbus_ring_write_avail(&t->w, &after), 0);
	assert_int_equal(after, before);
	assert_int_equal(write_pkt(t, 5, 100, &sig), -EAGAIN);
	commit(t);
	assert_int_equal(t->hdr->read_index, t->hdr->write_index);
	assert_int_equal(vmbus_ring_write_avail(&t->w, &after), 0);
	assert_int_equal(after, D_SMALL - 16);
	write_ok(t, 5, 100);
	tr_close(t);
}

/* ---- Two-thread stress ---- */

struct stress {
	struct tring *t;
	atomic_uint to_reader;  /* signals writer -> reader */
	atomic_uint to_writer;  /* signals reader -> writer */
	atomic_bool abort;
	int writer_rc;
	int reader_rc;
	uint64_t received;
};

static uint32_t
stress_len(uint64_t seq)
{
	return DESC_SIZE + (uint32_t)(seq * 53 % 1009);
}

/* Spin until @sig moves past @snap (the "interrupt"). */
static void
stress_wait(struct stress *s, atomic_uint *sig, unsigned int snap)
{
	while (atomic_load(sig) == snap && !atomic_load(&s->abort))
		sched_yield();
}

static int
stress_write_one(struct stress *s, const struct hv_sg *sg, uint32_t len)
{
	struct vmbus_ring *w = &s->t->w;
	bool sig, asked = false;
	int rc;

	while ((rc = vmbus_ring_write(w, sg, 2, &sig)) == -EAGAIN) {
		unsigned int snap = atomic_load(&s->to_writer);

		if (atomic_load(&s->abort))
			return -ECANCELED;
		asked = true;
		rc = vmbus_ring_pending_send_set(w, len);
		if (rc == -EAGAIN)
			stress_wait(s, &s->to_writer, snap);
		else if (rc != 0)
			return rc;
	}
	if (asked)
		vmbus_ring_pending_send_clear(w);
	if (rc == 0 && sig)
		atomic_fetch_add(&s->to_reader, 1);
	return rc;
}

static void *
stress_writer(void *arg)
{
	struct stress *s = arg;
	uint8_t buf[MAX_TEST_PKT];

	for (uint64_t seq = 0; seq < STRESS_PACKETS; seq++) {
		uint32_t len = stress_len(seq);
		struct hv_sg sg[2] = {
			{ buf, DESC_SIZE },
			{ buf + DESC_SIZE, len - DESC_SIZE },
		};

		build_pkt(buf, seq, len);
		s->writer_rc = stress_write_one(s, sg, len);
		if (s->writer_rc != 0) {
			atomic_store(&s->abort, true);
			break;
		}
	}
	return NULL;
}

/* Ring empty: publish, unmask, sleep until signalled unless data came. */
static int
stress_reader_idle(struct stress *s)
{
	struct vmbus_ring *r = &s->t->r;
	unsigned int snap;
	bool sig;
	int rc = vmbus_ring_commit(r, &sig);

	if (rc != 0)
		return rc;
	if (sig)
		atomic_fetch_add(&s->to_writer, 1);
	snap = atomic_load(&s->to_reader);
	if (!vmbus_ring_intr_unmask(r))
		stress_wait(s, &s->to_reader, snap);
	vmbus_ring_intr_mask(r);
	return 0;
}

/* The packet matches what the writer built for this sequence number. */
static int
stress_verify(const uint8_t *buf, uint32_t got, uint64_t seq)
{
	uint8_t want[MAX_TEST_PKT];
	uint32_t len = stress_len(seq);

	memset(want, 0, sizeof(want));
	build_pkt(want, seq, len);
	if (got != HV_ALIGN_UP(len, 8u) || memcmp(buf, want, got) != 0)
		return -EBADMSG;
	return 0;
}

static int
stress_read_loop(struct stress *s)
{
	struct vmbus_ring *r = &s->t->r;
	uint8_t buf[MAX_TEST_PKT];
	uint32_t got;
	bool sig;
	int rc;

	while (s->received < STRESS_PACKETS && !atomic_load(&s->abort)) {
		rc = vmbus_ring_read(r, buf, sizeof(buf), &got);
		if (rc == -EAGAIN) {
			rc = stress_reader_idle(s);
		} else if (rc == 0) {
			rc = stress_verify(buf, got, s->received++);
			/* Batch: hand space back every fourth packet. */
			if (rc == 0 && s->received % 4 == 0) {
				rc = vmbus_ring_commit(r, &sig);
				if (rc == 0 && sig)
					atomic_fetch_add(&s->to_writer, 1);
			}
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void *
stress_reader(void *arg)
{
	struct stress *s = arg;

	vmbus_ring_intr_mask(&s->t->r);
	s->reader_rc = stress_read_loop(s);
	if (s->reader_rc != 0)
		atomic_store(&s->abort, true);
	return NULL;
}

static void
test_vmbus_ring_stress(void **state)
{
	struct stress s = { .t = tr_open(D_STRESS) };
	pthread_t wt, rt;

	(void)state;
	atomic_init(&s.to_reader, 0);
	atomic_init(&s.to_writer, 0);
	atomic_init(&s.abort, false);
	assert_int_equal(pthread_create(&rt, NULL, stress_reader, &s), 0);
	assert_int_equal(pthread_create(&wt, NULL, stress_writer, &s), 0);
	assert_int_equal(pthread_join(wt, NULL), 0);
	assert_int_equal(pthread_join(rt, NULL), 0);
	assert_int_equal(s.writer_rc, 0);
	assert_int_equal(s.reader_rc, 0);
	assert_int_equal(s.received, STRESS_PACKETS);
	assert_int_equal(s.t->hdr->write_index, s.t->r.priv_index);
	tr_close(s.t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmbus_ring_attach_rejects),
		cmocka_unit_test(test_vmbus_ring_hdr_reset),
		cmocka_unit_test(test_vmbus_ring_roundtrip_sizes),
		cmocka_unit_test(test_vmbus_ring_wrap_in_desc),
		cmocka_unit_test(test_vmbus_ring_wrap_in_payload),
		cmocka_unit_test(test_vmbus_ring_wrap_before_trailer),
		cmocka_unit_test(test_vmbus_ring_trailer_and_padding),
		cmocka_unit_test(test_vmbus_ring_exactly_full),
		cmocka_unit_test(test_vmbus_ring_read_empty),
		cmocka_unit_test(test_vmbus_ring_write_rejects),
		cmocka_unit_test(test_vmbus_ring_signal_writer),
		cmocka_unit_test(test_vmbus_ring_pending_crossing),
		cmocka_unit_test(test_vmbus_ring_pending_batch),
		cmocka_unit_test(test_vmbus_ring_pending_no_feature),
		cmocka_unit_test(test_vmbus_ring_corrupt_indices),
		cmocka_unit_test(test_vmbus_ring_corrupt_desc),
		cmocka_unit_test(test_vmbus_ring_peek_small_buffer),
		cmocka_unit_test(test_vmbus_ring_batch_commit),
		cmocka_unit_test(test_vmbus_ring_write_many),
		cmocka_unit_test(test_vmbus_ring_write_stamped),
		cmocka_unit_test(test_vmbus_ring_hold_publish),
		cmocka_unit_test(test_vmbus_ring_hold_room),
		cmocka_unit_test(test_vmbus_ring_read_inline),
		cmocka_unit_test(test_vmbus_ring_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
