/* SPDX-License-Identifier: BSD-3-Clause */
/* The host's frame work: checksums, LSOv2, VLAN, RSS input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "emu_csum_fast.h"
#include "emu_offload.h"
#include "emu_rss_fast.h"
#include "emu_toeplitz.h"
#include "ndis_obj.h"
#include "rndis_wire.h"

#define MAX_SEGS 8

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	       p[3];
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
eth(uint8_t *f, uint16_t type)
{
	static const uint8_t hdr[12] = { 0, 0x15, 0x5d, 0, 0, 0x10,
					 0, 0x15, 0x5d, 0, 0, 0x99 };

	memcpy(f, hdr, sizeof(hdr));
	wr16(f + 12, type);
}

/* Ethernet + IPv4 (no options) + TCP (20 bytes) + patterned payload. */
static size_t
tcp4_frame(uint8_t *f, size_t payload, uint8_t flags)
{
	uint8_t *ip = f + 14, *tcp = ip + 20;
	size_t i;

	memset(f, 0, 54);
	eth(f, EMU_ETHERTYPE_IPV4);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(40 + payload));
	wr16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = EMU_IPPROTO_TCP;
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	wr16(tcp, 40000);
	wr16(tcp + 2, 80);
	memcpy(tcp + 4, "\x00\x00\x10\x00", 4); /* seq 4096 */
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	wr16(tcp + 14, 65535);
	for (i = 0; i < payload; i++)
		f[54 + i] = (uint8_t)(i * 7 + 3);
	return 54 + payload;
}

static size_t
tcp6_frame(uint8_t *f, size_t payload, uint8_t flags)
{
	uint8_t *ip = f + 14, *tcp = ip + 40;
	size_t i;

	memset(f, 0, 74);
	eth(f, EMU_ETHERTYPE_IPV6);
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)(20 + payload));
	ip[6] = EMU_IPPROTO_TCP;
	ip[7] = 64;
	ip[8] = 0xfe;
	ip[9] = 0x80;
	ip[23] = 1;
	ip[24] = 0xfe;
	ip[25] = 0x80;
	ip[39] = 2;
	wr16(tcp, 1000);
	wr16(tcp + 2, 2000);
	memcpy(tcp + 4, "\xff\xff\xff\x00", 4); /* wraps during LSO */
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	for (i = 0; i < payload; i++)
		f[74 + i] = (uint8_t)(i * 13 + 1);
	return 74 + payload;
}

static void
test_emu_offload_ipv4_header_csum(void **state)
{
	/* The textbook header whose checksum is 0xb861. */
	static const uint8_t hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00,
					 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
					 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
					 0x00, 0xc7 };
	uint8_t f[14 + 0x73];

	(void)state;
	memset(f, 0, sizeof(f));
	eth(f, EMU_ETHERTYPE_IPV4);
	memcpy(f + 14, hdr, sizeof(hdr));
	assert_int_equal(emu_csum_fill(f, sizeof(f), RNDIS_TXCSUM_IPV4 |
				       RNDIS_TXCSUM_IP, 0), 0);
	assert_int_equal(rd16(f + 24), 0xb861);
	assert_int_equal(emu_csum_verify(f, sizeof(f)) & RNDIS_RXCSUM_IP_OK,
			 RNDIS_RXCSUM_IP_OK);
	f[22] ^= 1; /* TTL changed, checksum not */
	assert_int_equal(emu_csum_verify(f, sizeof(f)) & (RNDIS_RXCSUM_IP_OK |
			 RNDIS_RXCSUM_IP_FAILED), RNDIS_RXCSUM_IP_FAILED);
}

static void
test_emu_offload_udp4_csum(void **state)
{
	uint8_t f[14 + 20 + 10];
	uint8_t *ip = f + 14, *udp = ip + 20;

	(void)state;
	memset(f, 0, sizeof(f));
	eth(f, EMU_ETHERTYPE_IPV4);
	ip[0] = 0x45;
	wr16(ip + 2, 30);
	ip[9] = EMU_IPPROTO_UDP;
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	wr16(udp, 1234);
	wr16(udp + 2, 80);
	wr16(udp + 4, 10);
	udp[8] = 'a';
	udp[9] = 'b';
	/*
	 * By hand: pseudo 0a00+0001+0a00+0002+0011+000a = 141e, header
	 * 04d2+0050+000a = 052c, data 6162: sum 7aac, complement 8553.
	 */
	assert_int_equal(emu_csum_fill(f, sizeof(f), RNDIS_TXCSUM_IPV4 |
				       RNDIS_TXCSUM_UDP, 34), 0);
	assert_int_equal(rd16(udp + 6), 0x8553);
	assert_int_equal(emu_csum_verify(f, sizeof(f)) & RNDIS_RXCSUM_UDP_OK,
			 RNDIS_RXCSUM_UDP_OK);
	/* The offset must name the real L4 header. */
	assert_int_equal(emu_csum_fill(f, sizeof(f), RNDIS_TXCSUM_UDP, 30), -EINVAL);
	assert_int_equal(emu_csum_fill(f, sizeof(f), RNDIS_TXCSUM_TCP, 34), -EINVAL);
	assert_int_equal(emu_csum_fill(f, sizeof(f), RNDIS_TXCSUM_IPV6 |
				       RNDIS_TXCSUM_UDP, 34), -EINVAL);
}

static void
test_emu_offload_tcp6_csum_verify(void **state)
{
	uint8_t f[200];
	size_t len = tcp6_frame(f, 50, 0x18);

	(void)state;
	assert_int_equal(emu_csum_fill(f, len, RNDIS_TXCSUM_IPV6 |
				       RNDIS_TXCSUM_TCP, 54), 0);
	assert_int_equal(emu_csum_verify(f, len), RNDIS_RXCSUM_TCP_OK);
	f[len - 1] ^= 0x40;
	assert_int_equal(emu_csum_verify(f, len), RNDIS_RXCSUM_TCP_FAILED);
	/* Not IP at all: nothing to report. */
	wr16(f + 12, 0x0806);
	assert_int_equal(emu_csum_verify(f, len), 0);
}

struct segs {
	unsigned int n;
	size_t len[MAX_SEGS];
	uint8_t data[MAX_SEGS][1600];
};

static int
collect(void *arg, const uint8_t *seg, size_t len)
{
	struct segs *s = arg;

	if (s->n == MAX_SEGS || len > sizeof(s->data[0]))
		return -ENOSPC;
	memcpy(s->data[s->n], seg, len);
	s->len[s->n++] = len;
	return 0;
}

static struct segs segs_buf;
static uint8_t big[8192], scratch[4096];

static void
test_emu_offload_lso_ipv4(void **state)
{
	struct segs *s = &segs_buf;
	size_t len = tcp4_frame(big, 3000, 0x19); /* FIN|PSH|ACK */
	unsigned int i;

	(void)state;
	memset(s, 0, sizeof(*s));
	assert_int_equal(emu_lso_segment(big, len, 1000, 34, false, scratch,
					 sizeof(scratch), collect, s), 3);
	assert_int_equal(s->n, 3);
	for (i = 0; i < 3; i++) {
		const uint8_t *g = s->data[i];

		assert_int_equal(s->len[i], 54 + 1000);
		assert_int_equal(rd16(g + 16), 20 + 20 + 1000); /* total length */
		assert_int_equal(rd16(g + 18), 0x1234 + i);     /* ip id */
		assert_int_equal(rd32(g + 38), 4096 + i * 1000); /* seq */
		assert_int_equal(g[47], i == 2 ? 0x19 : 0x10);  /* flags */
		assert_int_equal(emu_csum_verify(g, s->len[i]),
				 RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_TCP_OK);
		assert_memory_equal(g + 54, big + 54 + i * 1000, 1000);
	}
}

static void
test_emu_offload_lso_ipv6(void **state)
{
	struct segs *s = &segs_buf;
	size_t len = tcp6_frame(big, 2500, 0x98); /* CWR|ACK|PSH */
	static const size_t pay[3] = { 1200, 1200, 100 };
	unsigned int i;

	(void)state;
	memset(s, 0, sizeof(*s));
	assert_int_equal(emu_lso_segment(big, len, 1200, 54, true, scratch,
					 sizeof(scratch), collect, s), 3);
	for (i = 0; i < 3; i++) {
		const uint8_t *g = s->data[i];
		uint8_t want = i == 0 ? 0x90 : (i == 2 ? 0x18 : 0x10);

		assert_int_equal(s->len[i], 74 + pay[i]);
		assert_int_equal(rd16(g + 18), 20 + pay[i]);   /* payload length */
		assert_int_equal(rd32(g + 58), 0xffffff00u + i * 1200u);
		assert_int_equal(g[67], want);
		assert_int_equal(emu_csum_verify(g, s->len[i]), RNDIS_RXCSUM_TCP_OK);
	}
}

static void
test_emu_offload_lso_rejects(void **state)
{
	struct segs *s = &segs_buf;
	size_t len = tcp4_frame(big, 3000, 0x10);

	(void)state;
	memset(s, 0, sizeof(*s));
	/* Offset of something that is not the TCP header, wrong family, MSS 0. */
	assert_int_equal(emu_lso_segment(big, len, 1000, 30, false, scratch,
					 sizeof(scratch), collect, s), -EINVAL);
	assert_int_equal(emu_lso_segment(big, len, 1000, 34, true, scratch,
					 sizeof(scratch), collect, s), -EINVAL);
	assert_int_equal(emu_lso_segment(big, len, 0, 34, false, scratch,
					 sizeof(scratch), collect, s), -EINVAL);
	/* An IP length beyond the frame. */
	assert_int_equal(emu_lso_segment(big, 100, 1000, 34, false, scratch,
					 sizeof(scratch), collect, s), -EINVAL);
	assert_int_equal(emu_lso_segment(big, len, 1000, 34, false, scratch, 500,
					 collect, s), -EMSGSIZE);
	assert_int_equal(s->n, 0);
}

static void
test_emu_offload_vlan(void **state)
{
	uint8_t f[100], t[104], u[100];
	size_t len = tcp4_frame(f, 20, 0x10);
	bool tagged = false;
	uint16_t tci = 0;

	(void)state;
	assert_int_equal(emu_vlan_insert(f, len, 0xa07b, t, sizeof(t)), (int)len + 4);
	assert_memory_equal(t + 12, "\x81\x00\xa0\x7b\x08\x00", 6);
	assert_int_equal(emu_vlan_strip(t, len + 4, u, sizeof(u), &tagged, &tci),
			 (int)len);
	assert_true(tagged);
	assert_int_equal(tci, 0xa07b);
	assert_memory_equal(u, f, len);
	assert_int_equal(emu_vlan_strip(f, len, u, sizeof(u), &tagged, &tci),
			 (int)len);
	assert_false(tagged);
	assert_int_equal(emu_vlan_insert(f, len, 1, t, len + 3), -ENOBUFS);
}

static void
test_emu_offload_rss_input(void **state)
{
	/* Microsoft's RSS verification key and its first IPv4 vector. */
	static const uint8_t key[40] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
		0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
		0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
		0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};
	uint8_t f[100], in[36];
	size_t len = tcp4_frame(f, 0, 0x02);
	uint32_t type = 0;
	size_t n;

	(void)state;
	memcpy(f + 26, "\x42\x09\x95\xbb\xa1\x8e\x64\x50", 8);
	wr16(f + 34, 2794);
	wr16(f + 36, 1766);
	n = emu_rss_input(f, len, NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, in, &type);
	assert_int_equal(n, 12);
	assert_int_equal(type, NDIS_HASH_TCP_IPV4);
	assert_int_equal(ndis_toeplitz_hash(key, 40, in, n), 0x51ccc178u);
	n = emu_rss_input(f, len, NDIS_HASH_IPV4, in, &type);
	assert_int_equal(n, 8);
	assert_int_equal(type, NDIS_HASH_IPV4);
	assert_int_equal(ndis_toeplitz_hash(key, 40, in, n), 0x323e8fc2u);
	assert_int_equal(emu_rss_input(f, len, NDIS_HASH_IPV6, in, &type), 0);
	/* TCP hashing alone does not cover address-only traffic. */
	f[23] = EMU_IPPROTO_UDP;
	assert_int_equal(emu_rss_input(f, len, NDIS_HASH_TCP_IPV4, in, &type), 0);
}

static uint32_t
xs32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A random IPv4 or IPv6 frame: TCP, UDP or another protocol, sometimes
 * a fragment, random addresses and ports. */
static size_t
rss_frame(uint8_t *f, uint32_t *seed)
{
	uint32_t r = xs32(seed);
	bool v6 = r & 1u, frag = (r >> 1) % 5u == 0;
	uint8_t proto = (r >> 4) % 3u == 0 ? EMU_IPPROTO_TCP :
			(r >> 4) % 3u == 1 ? EMU_IPPROTO_UDP : 1u;
	size_t len, i;

	len = v6 ? tcp6_frame(f, 16, 0x10) : tcp4_frame(f, 16, 0x10);
	for (i = 0; i < (v6 ? 32u : 8u); i++)
		f[(v6 ? 22u : 26u) + i] = (uint8_t)xs32(seed);
	for (i = 0; i < 4; i++)
		f[(v6 ? 54u : 34u) + i] = (uint8_t)xs32(seed);
	if (v6) {
		f[20] = proto;
	} else {
		f[23] = proto;
		if (frag)
			f[20] |= 0x20; /* MF */
	}
	return len;
}

/*
 * The table hash (emu_toeplitz.h, what the receive path runs) against
 * the bit-by-bit definition (ndis_toeplitz_hash): Microsoft's vector,
 * then random keys with random inputs of every length, then the inputs
 * emu_rss_input makes of random IPv4 / IPv6 frames under every set of
 * hash types; and a changed key is followed (emu_toeplitz_sync).
 */
static void
test_emu_offload_toeplitz_table(void **state)
{
	static struct emu_toeplitz tz;
	static const uint8_t ms_in[12] = { 0x42, 0x09, 0x95, 0xbb, 0xa1, 0x8e,
					   0x64, 0x50, 0x0a, 0xea, 0x06, 0xe6 };
	static const uint32_t types[6] = {
		NDIS_HASH_IPV4, NDIS_HASH_TCP_IPV4, NDIS_HASH_UDP_IPV4,
		NDIS_HASH_IPV6, NDIS_HASH_TCP_IPV6, NDIS_HASH_UDP_IPV6,
	};
	uint8_t key[NDIS_RSS_KEY_SIZE], in[EMU_TOEPLITZ_IN_MAX], f[128];
	uint32_t seed = 0x9e3779b9u, mask, want, t, type;
	unsigned int k, j;
	uint64_t seen = 0;
	size_t n, len, i;

	(void)state;
	memcpy(key, "\x6d\x5a\x56\xda\x25\x5b\x0e\xc2\x41\x67\x25\x3d\x43\xa3"
		    "\x8f\xb0\xd0\xca\x2b\xcb\xae\x7b\x30\xb4\x77\xcb\x2d\xa3"
		    "\x80\x30\xf2\x0c\x6a\x42\xb7\x3b\xbe\xac\x01\xfa", 40);
	emu_toeplitz_sync(&tz, key);
	assert_int_equal(emu_toeplitz_hash(&tz, ms_in, 12), 0x51ccc178u);
	assert_int_equal(emu_toeplitz_hash(&tz, ms_in, 8), 0x323e8fc2u);
	for (k = 0; k < 64; k++) {
		for (i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)xs32(&seed);
		if (k == 1)
			memset(key, 0xff, sizeof(key));
		emu_toeplitz_sync(&tz, key);
		for (n = 0; n <= EMU_TOEPLITZ_IN_MAX; n++) {
			for (j = 0; j < 8; j++) {
				for (i = 0; i < n; i++)
					in[i] = j == 0 ? 0xff : (uint8_t)xs32(&seed);
				assert_int_equal(emu_toeplitz_hash(&tz, in, n),
						 ndis_toeplitz_hash(key, sizeof(key),
								    in, n));
			}
		}
		for (j = 0; j < 16; j++) {
			len = rss_frame(f, &seed);
			for (mask = 0; mask < 64; mask++) {
				for (t = 0, i = 0; i < 6; i++)
					if (mask & (1u << i))
						t |= types[i];
				n = emu_rss_input(f, len, t, in, &type);
				if (n == 0)
					continue;
				want = ndis_toeplitz_hash(key, sizeof(key), in, n);
				assert_int_equal(emu_toeplitz_hash(&tz, in, n), want);
				seen |= 1ull << n;
			}
		}
	}
	/* Both families, with and without ports, were hashed. */
	assert_int_equal(seen, 1ull << 8 | 1ull << 12 | 1ull << 32 | 1ull << 36);
	/* One key byte changed: the rows follow it. */
	key[39] ^= 0x80;
	emu_toeplitz_sync(&tz, key);
	memset(in, 0xff, sizeof(in));
	assert_int_equal(emu_toeplitz_hash(&tz, in, 36),
			 ndis_toeplitz_hash(key, sizeof(key), in, 36));
}

/* RFC 1071 the slow way: big-endian 16-bit words, one at a time. */
static uint32_t
ref_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1u)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
ref_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The word-at-a-time sum agrees with the definition for every length,
 * alignment and starting sum, including all-0xff and all-zero data. */
static void
test_emu_offload_csum_add_matches_reference(void **state)
{
	static uint8_t buf[300];
	uint32_t seed = 12345, start;
	size_t off, len, i;
	unsigned int round;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = round == 0 ? (uint8_t)(seed >> 16) :
				 round == 1 ? 0xff : 0;
		}
		for (off = 0; off < 4; off++) {
			for (len = 0; len + off <= 260; len++) {
				start = (uint32_t)(len * 2654435761u) >> (len % 17);
				assert_int_equal(
					emu_csum_fold(emu_csum_add(start, buf + off, len)),
					ref_fold(ref_csum_add(start & 0xffffu, buf + off, len) +
						 (start >> 16)));
			}
		}
	}
}

/* IPv4 + UDP or TCP frame of len bytes (IP ends at ip_end), sums filled. */
static void
v4_frame(uint8_t *f, size_t len, size_t ip_end, bool tcp, uint32_t seed)
{
	uint8_t *ip = f + 14;
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		f[i] = (uint8_t)(seed >> 16);
	}
	eth(f, EMU_ETHERTYPE_IPV4);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(ip_end - 14));
	wr16(ip + 6, 0x4000); /* DF only: not a fragment */
	ip[9] = tcp ? EMU_IPPROTO_TCP : EMU_IPPROTO_UDP;
	if (!tcp)
		wr16(ip + 24, (uint16_t)(ip_end - 34));
	else
		ip[32] = 5 << 4;
	assert_int_equal(emu_csum_fill(f, ip_end, RNDIS_TXCSUM_IPV4 |
				       RNDIS_TXCSUM_IP |
				       (tcp ? RNDIS_TXCSUM_TCP : RNDIS_TXCSUM_UDP),
				       34), 0);
}

/* What the inline path answers, the general parse answers too. */
static void
expect_same(const uint8_t *f, size_t len)
{
	uint32_t fast = 0xdeadu;

	if (emu_csum_verify_v4(f, len, &fast))
		assert_int_equal(fast, emu_csum_verify_parsed(f, len));
	assert_int_equal(emu_csum_verify(f, len), emu_csum_verify_parsed(f, len));
}

/*
 * The inline verification of the common frame (emu_csum_fast.h, what the
 * receive path runs per frame) against the general parse: every length
 * from the smallest UDP frame up, odd and even, trailing bytes after the
 * IP packet, then every byte of each frame changed in turn (a changed
 * byte inside the packet must fail a checksum, outside it must not).
 */
static void
test_emu_offload_csum_fast_matches_parse(void **state)
{
	uint8_t f[320], g[320];
	uint32_t good, r;
	size_t len, end, i;
	int tcp;

	(void)state;
	for (tcp = 0; tcp <= 1; tcp++) {
		good = RNDIS_RXCSUM_IP_OK |
		       (tcp ? RNDIS_RXCSUM_TCP_OK : RNDIS_RXCSUM_UDP_OK);
		for (len = tcp ? 54 : 42; len <= sizeof(f); len++) {
			/* The IP packet fills the frame, or leaves 1..3 bytes. */
			end = len - (len % 4 == 1 ? len % 7 % 4 : 0);
			if (end < (tcp ? 54u : 42u))
				end = len;
			v4_frame(f, len, end, tcp, (uint32_t)len);
			/* Summed inline, not left to the parse. */
			assert_true(emu_csum_verify_v4(f, len, &r));
			assert_int_equal(r, good);
			assert_int_equal(emu_csum_verify_parsed(f, len), good);
			for (i = 12; i < len; i++) {
				memcpy(g, f, len);
				g[i] ^= (uint8_t)(1u << (i % 8));
				expect_same(g, len);
				if (i >= 14 && i < end && i != 15 && i != 22 &&
				    emu_csum_verify_v4(g, len, &r)) {
					/* In the packet: some sum is off. */
					assert_int_not_equal(r, good);
				}
			}
		}
	}
	/* UDP checksum 0: not summed, reported good; the header still is. */
	v4_frame(f, 64, 64, false, 7);
	wr16(f + 40, 0);
	assert_true(emu_csum_verify_v4(f, 64, &r));
	assert_int_equal(r, RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK);
	f[22] ^= 1; /* TTL: the header sum fails */
	assert_true(emu_csum_verify_v4(f, 64, &r));
	assert_int_equal(r, RNDIS_RXCSUM_IP_FAILED | RNDIS_RXCSUM_UDP_OK);
	/* Not the common frame: declined inline, parsed (same answer). */
	v4_frame(f, 64, 64, false, 9);
	f[20] |= 0x20; /* MF */
	assert_false(emu_csum_verify_v4(f, 64, &r));
	expect_same(f, 64);
	v4_frame(f, 64, 64, false, 9);
	f[14] = 0x46; /* options */
	assert_false(emu_csum_verify_v4(f, 64, &r));
	expect_same(f, 64);
	v4_frame(f, 64, 64, false, 9);
	assert_false(emu_csum_verify_v4(f, 63, &r)); /* IP past the frame */
	expect_same(f, 63);
	assert_false(emu_csum_verify_v4(f, 33, &r));
	expect_same(f, 33);
}

/* What emu_csum_v4_udp0_ok must answer: emu_csum_verify_v4's IP_OK |
 * UDP_OK for a frame whose UDP checksum field is 0. */
static bool
udp0_ref(const uint8_t *f, size_t len)
{
	uint32_t r = 0;

	return emu_csum_verify_v4(f, len, &r) &&
	       r == (RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK) &&
	       f[40] == 0 && f[41] == 0;
}

/* The IPv4 header sum (bytes 24..25) made right for bytes 14..33. */
static void
ip_hdr_sum_fix(uint8_t *f)
{
	f[24] = 0;
	f[25] = 0;
	wr16(f + 24, ref_fold(ref_csum_add(0, f + 14, 20)));
}

/* The run's test (emu_cs_udp0_run_ok) against emu_csum_v4_udp0_ok: never
 * true where that is false, and the same answer for an unpadded frame
 * (IP total length len - 14). */
static void
run_same(const struct emu_cs_udp0_run *run, const uint8_t *f, size_t len)
{
	bool ok = emu_csum_v4_udp0_ok(f, (uint32_t)len - 42u);
	unsigned int tot = (unsigned int)f[16] << 8 | f[17];

	if (emu_cs_udp0_run_ok(run, f))
		assert_true(ok);
	else if (tot == len - 14)
		assert_false(ok);
}

/*
 * The receive run's shortcut for the loopback's common frame against
 * the full verdict: UDP frames of every length from the smallest up,
 * without and with a UDP checksum, IP packets that fill the frame or
 * not, then every byte changed in turn (each of its bits flipped, and
 * the byte zeroed, which also makes a summed UDP checksum 0).
 */
static void
test_emu_offload_csum_udp0_matches_verify(void **state)
{
	uint8_t f[320], g[320];
	size_t len, end, i;
	unsigned int taken = 0, run_taken = 0, summed, b;
	struct emu_cs_udp0_run run;

	(void)state;
	for (summed = 0; summed <= 1; summed++) {
		for (len = 42; len <= sizeof(f); len++) {
			end = len - (len % 3 == 1 ? len % 5 % 3 : 0);
			if (end < 42u)
				end = len;
			v4_frame(f, len, end, false, (uint32_t)len);
			if (!summed)
				wr16(f + 40, 0);
			emu_cs_udp0_run_init(&run, len);
			assert_int_equal(emu_csum_v4_udp0_ok(f, (uint32_t)len - 42u),
					 udp0_ref(f, len));
			assert_int_equal(udp0_ref(f, len), !summed);
			/* Unpadded: the run's test takes it too. */
			assert_int_equal(emu_cs_udp0_run_ok(&run, f),
					 !summed && end == len);
			for (i = 0; i < len; i++) {
				for (b = 0; b <= 17; b++) {
					memcpy(g, f, len);
					g[i] = b % 9 == 8 ? 0 :
					       g[i] ^ (uint8_t)(1u << (b % 9));
					/* The second time, a changed IP header
					 * field with its header sum made right
					 * again: the field's own test decides. */
					if (b >= 9 && (i < 14 || i >= 34 ||
						       i == 24 || i == 25))
						continue;
					if (b >= 9)
						ip_hdr_sum_fix(g);
					assert_int_equal(emu_csum_v4_udp0_ok(g, (uint32_t)len - 42u),
							 udp0_ref(g, len));
					run_same(&run, g, len);
					taken += udp0_ref(g, len);
					run_taken += emu_cs_udp0_run_ok(&run, g);
				}
			}
		}
	}
	/* Both answers seen (the comparison is not all "no"). */
	assert_true(taken > 1000);
	assert_true(run_taken > 1000);
}

/* What the inline input answers, emu_rss_input answers too (under
 * types); returns whether the inline one took the frame. */
static bool
rss_expect_same(const uint8_t *f, size_t len, uint32_t types)
{
	uint8_t a[36], b[36];
	uint32_t ta = 0xdead, tb = 0xbeef;
	size_t na = 99, nb;

	struct emu_rss_v4_plan plan;
	size_t np = 99;
	bool took;

	nb = emu_rss_input(f, len, types, b, &tb);
	/* The planned length (the RSS run's) takes the same frames and
	 * gives the same length. */
	emu_rss_v4_plan_make(&plan, types);
	took = emu_rss_v4_n(f, len, &plan, &np);
	if (!emu_rss_input_v4(f, len, types, a, &na, &ta)) {
		assert_false(took);
		return false;
	}
	assert_true(took);
	assert_int_equal(np, nb);
	assert_int_equal(na, nb);
	assert_int_equal(ta, tb);
	assert_memory_equal(a, b, na);
	return true;
}

/*
 * A frame whose bytes emu_rss_v4_n's answer depends on (EMU_RSS_REF_LO_MASK
 * of 12..19, EMU_CS_FRAG_PROTO_MASK of 20..23: what the RSS memo
 * compares) equal f's gets f's answer; counts the frames that were so.
 */
static unsigned int ref_same_seen;

static void
rss_ref_expect(const uint8_t *f, const uint8_t *g, size_t len, uint32_t types)
{
	struct emu_rss_v4_plan plan;
	size_t n = 99, m = 98;

	emu_rss_v4_plan_make(&plan, types);
	if (!emu_rss_v4_n(f, len, &plan, &n))
		return;
	if (((emu_cs_ld64(f + 12) ^ emu_cs_ld64(g + 12)) & EMU_RSS_REF_LO_MASK) != 0 ||
	    ((emu_cs_ld32(f + 20) ^ emu_cs_ld32(g + 20)) &
	     EMU_CS_FRAG_PROTO_MASK) != 0)
		return;
	ref_same_seen++;
	assert_true(emu_rss_v4_n(g, len, &plan, &m));
	assert_int_equal(m, n);
}

/*
 * The inline hash input of the RSS run (emu_rss_fast.h) against
 * emu_rss_input (the definition): TCP and UDP frames of every length
 * and IP total length around the edges, then every byte of each frame
 * changed in turn (the EtherType, version, header length, total length,
 * fragment bits, protocol and the tuple all in play), each under all 64
 * sets of the IPv4 and IPv6 hash types.
 */
static void
test_emu_offload_rss_input_fast_matches(void **state)
{
	static const uint32_t types[6] = {
		NDIS_HASH_IPV4, NDIS_HASH_TCP_IPV4, NDIS_HASH_UDP_IPV4,
		NDIS_HASH_IPV6, NDIS_HASH_TCP_IPV6, NDIS_HASH_UDP_IPV6,
	};
	uint8_t f[128], g[128];
	uint32_t mask, t, all[64];
	size_t len, tot, i;
	unsigned int took = 0, bits;
	int tcp;

	(void)state;
	for (mask = 0; mask < 64; mask++) {
		for (t = 0, i = 0; i < 6; i++)
			if (mask & (1u << i))
				t |= types[i];
		all[mask] = t;
	}
	for (tcp = 0; tcp <= 1; tcp++) {
		for (len = 30; len <= 100; len++) {
			for (tot = 18; tot + 14 <= len + 2; tot++) {
				v4_frame(f, sizeof(f), 14 + 60, tcp, (uint32_t)len);
				f[16] = (uint8_t)(tot >> 8);
				f[17] = (uint8_t)tot;
				for (mask = 0; mask < 64; mask++)
					took += rss_expect_same(f, len, all[mask]);
			}
		}
		v4_frame(f, 64, 64, tcp, 5);
		for (i = 0; i < 64; i++) {
			for (bits = 0; bits < 8; bits++) {
				memcpy(g, f, 64);
				g[i] ^= (uint8_t)(1u << bits);
				for (mask = 0; mask < 64; mask += 3) {
					took += rss_expect_same(g, 64, all[mask]);
					rss_ref_expect(f, g, 64, all[mask]);
				}
			}
		}
	}
	/* The common frame was taken inline (not left to the parse). */
	assert_true(took > 10000);
	/* Bytes outside what the memo compares changed: called the same. */
	assert_true(ref_same_seen > 1000);
	v4_frame(f, 64, 64, true, 5);
	assert_true(rss_expect_same(f, 64, NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4));
	/* Not the common frame: declined, emu_rss_input decides. */
	f[14] = 0x46; /* options */
	assert_false(rss_expect_same(f, 64, NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4));
	v4_frame(f, 64, 64, true, 5);
	assert_false(rss_expect_same(f, 33, NDIS_HASH_IPV4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_offload_ipv4_header_csum),
		cmocka_unit_test(test_emu_offload_csum_add_matches_reference),
		cmocka_unit_test(test_emu_offload_udp4_csum),
		cmocka_unit_test(test_emu_offload_csum_fast_matches_parse),
		cmocka_unit_test(test_emu_offload_csum_udp0_matches_verify),
		cmocka_unit_test(test_emu_offload_tcp6_csum_verify),
		cmocka_unit_test(test_emu_offload_lso_ipv4),
		cmocka_unit_test(test_emu_offload_lso_ipv6),
		cmocka_unit_test(test_emu_offload_lso_rejects),
		cmocka_unit_test(test_emu_offload_vlan),
		cmocka_unit_test(test_emu_offload_rss_input),
		cmocka_unit_test(test_emu_offload_toeplitz_table),
		cmocka_unit_test(test_emu_offload_rss_input_fast_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
