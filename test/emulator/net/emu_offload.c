/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "emu_csum_fast.h"
#include "emu_offload.h"
#include "ndis_wire.h"
#include "rndis_wire.h"

/* IPv6 extension headers that carry a length and may precede L4. */
#define IP6_HOPOPTS 0u
#define IP6_ROUTING 43u
#define IP6_FRAGMENT 44u
#define IP6_DSTOPTS 60u
#define IP6_MAX_EXT 8u

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* End-around carry down to 16 bits (RFC 1071): a non-zero sum stays
 * non-zero, as with a 16-bit one's complement adder. */
static uint32_t
fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint32_t)((s & 0xffffu) + (s >> 16));
}

/*
 * The sum is independent of byte order (RFC 1071 2(B)): add 32-bit words
 * in host order, fold, and swap the result into network order once
 * instead of assembling every 16-bit word. The running sum is folded
 * first so that adding to it cannot overflow.
 */
uint32_t
emu_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t acc = 0;
	uint32_t w, s;
	uint16_t h;
	size_t i = 0;

	for (; i + 4 <= len; i += 4) {
		memcpy(&w, p + i, sizeof(w));
		acc += w;
	}
	if (i + 2 <= len) {
		memcpy(&h, p + i, sizeof(h));
		acc += h;
		i += 2;
	}
	s = fold64(acc);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = ((s & 0xffu) << 8) | (s >> 8);
#endif
	if (i < len)
		s += (uint32_t)p[i] << 8;
	return (sum & 0xffffu) + (sum >> 16) + s;
}

uint16_t
emu_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

static int
parse_ipv4(const uint8_t *f, size_t len, struct emu_frame_info *fi)
{
	const uint8_t *ip = f + fi->l3_off;
	uint32_t hlen, tot;

	if (len - fi->l3_off < EMU_IPV4_MIN_HLEN || (ip[0] >> 4) != 4)
		return -EINVAL;
	hlen = (uint32_t)(ip[0] & 0x0fu) * 4u;
	tot = get16(ip + 2);
	if (hlen < EMU_IPV4_MIN_HLEN || tot < hlen || fi->l3_off + tot > len)
		return -EINVAL;
	fi->ipver = 4;
	fi->ip_end = fi->l3_off + tot;
	fi->l4_proto = ip[9];
	fi->fragment = (get16(ip + 6) & 0x3fffu) != 0;
	fi->l4_off = (uint16_t)(fi->l3_off + hlen);
	return 0;
}

static int
parse_ipv6(const uint8_t *f, size_t len, struct emu_frame_info *fi)
{
	const uint8_t *ip = f + fi->l3_off;
	uint32_t off, n;
	uint8_t nh, cur;

	if (len - fi->l3_off < EMU_IPV6_HLEN || (ip[0] >> 4) != 6)
		return -EINVAL;
	fi->ipver = 6;
	fi->ip_end = fi->l3_off + EMU_IPV6_HLEN + get16(ip + 4);
	if (fi->ip_end > len)
		return -EINVAL;
	nh = ip[6];
	off = fi->l3_off + EMU_IPV6_HLEN;
	/* Bounded walk: a hostile chain cannot make us loop. */
	for (n = 0; n < IP6_MAX_EXT; n++) {
		if (nh != IP6_HOPOPTS && nh != IP6_ROUTING && nh != IP6_DSTOPTS &&
		    nh != IP6_FRAGMENT)
			break;
		if (off + 8 > fi->ip_end)
			return -EINVAL;
		cur = nh;
		nh = f[off];
		if (cur == IP6_FRAGMENT) {
			fi->fragment = true;
			off += 8u; /* fixed size; its length byte is reserved */
		} else {
			off += (uint32_t)(f[off + 1] + 1u) * 8u;
		}
	}
	fi->l4_proto = nh;
	fi->l4_off = off <= fi->ip_end ? (uint16_t)off : 0;
	return 0;
}

int
emu_frame_parse(const uint8_t *f, size_t len, struct emu_frame_info *out)
{
	memset(out, 0, sizeof(*out));
	if (len < EMU_ETH_HLEN || len > UINT16_MAX)
		return -EINVAL;
	out->l3_off = EMU_ETH_HLEN;
	out->ethertype = get16(f + 12);
	if (out->ethertype == EMU_ETHERTYPE_VLAN) {
		if (len < EMU_ETH_HLEN + EMU_VLAN_HLEN)
			return -EINVAL;
		out->l3_off += EMU_VLAN_HLEN;
		out->ethertype = get16(f + 16);
	}
	if (out->ethertype == EMU_ETHERTYPE_IPV4)
		return parse_ipv4(f, len, out);
	if (out->ethertype == EMU_ETHERTYPE_IPV6)
		return parse_ipv6(f, len, out);
	return 0;
}

/* Pseudo-header sum for an L4 segment of l4_len bytes. */
static uint32_t
pseudo_sum(const uint8_t *f, const struct emu_frame_info *fi, uint32_t l4_len)
{
	const uint8_t *ip = f + fi->l3_off;
	uint32_t sum;

	if (fi->ipver == 4)
		sum = emu_csum_add(0, ip + 12, 8);
	else
		sum = emu_csum_add(0, ip + 8, 32);
	sum += fi->l4_proto;
	sum += l4_len & 0xffffu;
	sum += l4_len >> 16;
	return sum;
}

static uint32_t
l4_csum_field(uint8_t proto)
{
	return proto == EMU_IPPROTO_TCP ? 16u : 6u;
}

static bool
l4_usable(const struct emu_frame_info *fi)
{
	uint32_t min;

	if (fi->ipver == 0 || fi->fragment || fi->l4_off == 0)
		return false;
	if (fi->l4_proto == EMU_IPPROTO_TCP)
		min = EMU_TCP_MIN_HLEN;
	else if (fi->l4_proto == EMU_IPPROTO_UDP)
		min = EMU_UDP_HLEN;
	else
		return false;
	return fi->l4_off + min <= fi->ip_end;
}

int
emu_l4_csum_set(uint8_t *f, size_t len, const struct emu_frame_info *fi)
{
	uint32_t l4_len, sum;
	uint8_t *csum;
	uint16_t v;

	if (!l4_usable(fi) || fi->ip_end > len)
		return -EINVAL;
	l4_len = fi->ip_end - fi->l4_off;
	csum = f + fi->l4_off + l4_csum_field(fi->l4_proto);
	put16(csum, 0);
	sum = pseudo_sum(f, fi, l4_len);
	sum = emu_csum_add(sum, f + fi->l4_off, l4_len);
	v = emu_csum_fold(sum);
	/* UDP reserves 0 for "no checksum". */
	if (v == 0 && fi->l4_proto == EMU_IPPROTO_UDP)
		v = 0xffffu;
	put16(csum, v);
	return 0;
}

void
emu_ipv4_csum_set(uint8_t *f, const struct emu_frame_info *fi)
{
	uint8_t *ip = f + fi->l3_off;
	uint32_t hlen = (uint32_t)(ip[0] & 0x0fu) * 4u;

	put16(ip + 10, 0);
	put16(ip + 10, emu_csum_fold(emu_csum_add(0, ip, hlen)));
}

int
emu_csum_fill(uint8_t *f, size_t len, uint32_t flags, uint16_t l4_off)
{
	struct emu_frame_info fi;
	bool want_l4 = flags & (RNDIS_TXCSUM_TCP | RNDIS_TXCSUM_UDP);

	if (emu_frame_parse(f, len, &fi) != 0 || fi.ipver == 0)
		return -EINVAL;
	if (((flags & RNDIS_TXCSUM_IPV4) && fi.ipver != 4) ||
	    ((flags & RNDIS_TXCSUM_IPV6) && fi.ipver != 6))
		return -EINVAL;
	if (want_l4) {
		uint8_t proto = (flags & RNDIS_TXCSUM_TCP) ? EMU_IPPROTO_TCP :
							     EMU_IPPROTO_UDP;

		/* The guest's offset must name the header the frame has. */
		if (l4_off != fi.l4_off || fi.l4_proto != proto ||
		    emu_l4_csum_set(f, len, &fi) != 0)
			return -EINVAL;
	}
	if ((flags & RNDIS_TXCSUM_IP) && fi.ipver == 4)
		emu_ipv4_csum_set(f, &fi);
	return 0;
}

static uint32_t
verify_l4(const uint8_t *f, const struct emu_frame_info *fi)
{
	uint32_t l4_len = fi->ip_end - fi->l4_off;
	bool tcp = fi->l4_proto == EMU_IPPROTO_TCP;
	uint32_t sum;

	if (!tcp && fi->ipver == 4 &&
	    get16(f + fi->l4_off + l4_csum_field(fi->l4_proto)) == 0)
		return RNDIS_RXCSUM_UDP_OK; /* sender did not checksum */
	sum = pseudo_sum(f, fi, l4_len);
	sum = emu_csum_add(sum, f + fi->l4_off, l4_len);
	if (emu_csum_fold(sum) == 0)
		return tcp ? RNDIS_RXCSUM_TCP_OK : RNDIS_RXCSUM_UDP_OK;
	return tcp ? RNDIS_RXCSUM_TCP_FAILED : RNDIS_RXCSUM_UDP_FAILED;
}

uint32_t
emu_csum_v4_l4(const uint8_t *f, uint32_t tot, bool tcp)
{
	const uint8_t *ip = f + EMU_ETH_HLEN;
	uint32_t l4_len = tot - EMU_IPV4_MIN_HLEN;
	uint64_t acc;

	/* Pseudo-header (addresses, protocol, L4 length), then the
	 * segment, in host order (emu_csum_fast.h). */
	acc = (uint64_t)emu_cs_ld32(ip + 12) + emu_cs_ld32(ip + 16) +
	      emu_cs_wire16(tcp ? EMU_IPPROTO_TCP : EMU_IPPROTO_UDP) +
	      emu_cs_wire16(l4_len);
	acc = emu_cs_sum(acc, ip + EMU_IPV4_MIN_HLEN, l4_len);
	if (emu_cs_fold64(acc) == 0xffffu)
		return tcp ? RNDIS_RXCSUM_TCP_OK : RNDIS_RXCSUM_UDP_OK;
	return tcp ? RNDIS_RXCSUM_TCP_FAILED : RNDIS_RXCSUM_UDP_FAILED;
}

uint32_t
emu_csum_verify(const uint8_t *f, size_t len)
{
	uint32_t res;

	/* The common frame inline (emu_csum_fast.h), anything else parsed. */
	if (emu_csum_verify_v4(f, len, &res))
		return res;
	return emu_csum_verify_parsed(f, len);
}

uint32_t
emu_csum_verify_parsed(const uint8_t *f, size_t len)
{
	struct emu_frame_info fi;
	uint32_t res = 0;

	if (emu_frame_parse(f, len, &fi) != 0 || fi.ipver == 0)
		return 0;
	if (fi.ipver == 4) {
		/* The header length the parse checked (l4_off - l3_off),
		 * not the byte read again: the frame may lie in the guest's
		 * memory (a loopback frame held in place), which can change
		 * it between the two reads. */
		uint32_t hlen = (uint32_t)fi.l4_off - fi.l3_off;

		res |= emu_csum_fold(emu_csum_add(0, f + fi.l3_off, hlen)) == 0 ?
			       RNDIS_RXCSUM_IP_OK :
			       RNDIS_RXCSUM_IP_FAILED;
	}
	if (l4_usable(&fi))
		res |= verify_l4(f, &fi);
	return res;
}

uint32_t
emu_csum_good(const uint8_t *f, size_t len)
{
	struct emu_frame_info fi;
	uint32_t res = 0;

	if (emu_frame_parse(f, len, &fi) != 0 || fi.ipver == 0)
		return 0;
	if (fi.ipver == 4)
		res |= RNDIS_RXCSUM_IP_OK;
	if (l4_usable(&fi))
		res |= fi.l4_proto == EMU_IPPROTO_TCP ? RNDIS_RXCSUM_TCP_OK :
							 RNDIS_RXCSUM_UDP_OK;
	return res;
}

struct lso_plan {
	struct emu_frame_info fi;
	uint32_t hdr_len;  /* L2 + L3 + TCP headers */
	uint32_t payload;  /* TCP payload bytes in the frame */
	uint32_t seq;
	uint16_t ip_id;
	uint8_t flags;
};

static int
lso_check(const uint8_t *f, size_t len, uint32_t mss, uint16_t tcp_off,
	  bool ipv6, struct lso_plan *p)
{
	uint32_t thl;

	if (mss == 0 || emu_frame_parse(f, len, &p->fi) != 0)
		return -EINVAL;
	if (p->fi.ipver != (ipv6 ? 6 : 4) || p->fi.fragment ||
	    p->fi.l4_proto != EMU_IPPROTO_TCP || p->fi.l4_off != tcp_off ||
	    (uint32_t)tcp_off + EMU_TCP_MIN_HLEN > p->fi.ip_end)
		return -EINVAL;
	thl = (uint32_t)(f[tcp_off + 12] >> 4) * 4u;
	if (thl < EMU_TCP_MIN_HLEN || tcp_off + thl > p->fi.ip_end)
		return -EINVAL;
	p->hdr_len = tcp_off + thl;
	p->payload = p->fi.ip_end - p->hdr_len;
	p->seq = get32(f + tcp_off + 4);
	p->flags = f[tcp_off + 13];
	p->ip_id = ipv6 ? 0 : get16(f + p->fi.l3_off + 4);
	return 0;
}

/* Rewrite the copied headers in s for segment i carrying n bytes. */
static void
lso_fix_headers(uint8_t *s, const struct lso_plan *p, uint32_t i, uint32_t n,
		uint32_t mss, bool last)
{
	struct emu_frame_info fi = p->fi;
	uint8_t *ip = s + fi.l3_off;
	uint8_t *tcp = s + fi.l4_off;
	uint8_t flags = p->flags;

	fi.ip_end = p->hdr_len + n;
	if (fi.ipver == 4) {
		put16(ip + 2, (uint16_t)(fi.ip_end - fi.l3_off));
		put16(ip + 4, (uint16_t)(p->ip_id + i));
		emu_ipv4_csum_set(s, &fi);
	} else {
		put16(ip + 4, (uint16_t)(fi.ip_end - fi.l3_off - EMU_IPV6_HLEN));
	}
	put32(tcp + 4, p->seq + i * mss);
	if (!last)
		flags &= (uint8_t)~(EMU_TCP_FIN | EMU_TCP_PSH);
	if (i != 0)
		flags &= (uint8_t)~EMU_TCP_CWR;
	tcp[13] = flags;
	emu_l4_csum_set(s, fi.ip_end, &fi);
}

int
emu_lso_segment(const uint8_t *f, size_t len, uint32_t mss, uint16_t tcp_off,
		bool ipv6, uint8_t *scratch, size_t scratch_len, emu_seg_fn fn,
		void *arg)
{
	struct lso_plan p;
	uint32_t i, nseg, off = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	rc = lso_check(f, len, mss, tcp_off, ipv6, &p);
	if (rc != 0)
		return rc;
	if (mss > p.payload && p.payload != 0)
		mss = p.payload;
	if ((uint64_t)p.hdr_len + mss > scratch_len)
		return -EMSGSIZE;
	nseg = p.payload == 0 ? 1 : (p.payload + mss - 1) / mss;
	for (i = 0; i < nseg; i++) {
		uint32_t n = p.payload - off < mss ? p.payload - off : mss;

		memcpy(scratch, f, p.hdr_len);
		memcpy(scratch + p.hdr_len, f + p.hdr_len + off, n);
		lso_fix_headers(scratch, &p, i, n, mss, i + 1 == nseg);
		rc = fn(arg, scratch, p.hdr_len + n);
		if (rc != 0)
			return rc;
		off += n;
	}
	return (int)nseg;
}

int
emu_vlan_insert(const uint8_t *f, size_t len, uint16_t tci, uint8_t *out,
		size_t out_len)
{
	if (len < 12 || len + EMU_VLAN_HLEN > out_len)
		return -ENOBUFS;
	memcpy(out, f, 12);
	put16(out + 12, EMU_ETHERTYPE_VLAN);
	put16(out + 14, tci);
	memcpy(out + 16, f + 12, len - 12);
	return (int)(len + EMU_VLAN_HLEN);
}

int
emu_vlan_strip(const uint8_t *f, size_t len, uint8_t *out, size_t out_len,
	       bool *tagged, uint16_t *tci)
{
	*tagged = false;
	*tci = 0;
	if (len < EMU_ETH_HLEN)
		return -EINVAL;
	if (get16(f + 12) != EMU_ETHERTYPE_VLAN || len < EMU_ETH_HLEN + EMU_VLAN_HLEN) {
		if (len > out_len)
			return -ENOBUFS;
		memcpy(out, f, len);
		return (int)len;
	}
	if (len - EMU_VLAN_HLEN > out_len)
		return -ENOBUFS;
	*tagged = true;
	*tci = get16(f + 14);
	memcpy(out, f, 12);
	memcpy(out + 12, f + 16, len - 16);
	return (int)(len - EMU_VLAN_HLEN);
}

static size_t
rss_ports(const uint8_t *f, const struct emu_frame_info *fi, uint8_t *buf,
	  size_t n, uint32_t types, uint32_t tcp_t, uint32_t udp_t,
	  uint32_t *type)
{
	bool tcp = fi->l4_proto == EMU_IPPROTO_TCP && (types & tcp_t);
	bool udp = fi->l4_proto == EMU_IPPROTO_UDP && (types & udp_t);

	if ((!tcp && !udp) || !l4_usable(fi))
		return n;
	memcpy(buf + n, f + fi->l4_off, 4); /* source then destination port */
	*type = tcp ? tcp_t : udp_t;
	return n + 4;
}

size_t
emu_rss_input(const uint8_t *f, size_t len, uint32_t types, uint8_t buf[36],
	      uint32_t *type)
{
	struct emu_frame_info fi;
	size_t n;

	*type = 0;
	if (emu_frame_parse(f, len, &fi) != 0 || fi.ipver == 0)
		return 0;
	if (fi.ipver == 4) {
		if (!(types & (NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 |
			       NDIS_HASH_UDP_IPV4)))
			return 0;
		memcpy(buf, f + fi.l3_off + 12, 8);
		*type = NDIS_HASH_IPV4;
		n = rss_ports(f, &fi, buf, 8, types, NDIS_HASH_TCP_IPV4,
			      NDIS_HASH_UDP_IPV4, type);
	} else {
		if (!(types & (NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6 |
			       NDIS_HASH_UDP_IPV6)))
			return 0;
		memcpy(buf, f + fi.l3_off + 8, 32);
		*type = NDIS_HASH_IPV6;
		n = rss_ports(f, &fi, buf, 32, types, NDIS_HASH_TCP_IPV6,
			      NDIS_HASH_UDP_IPV6, type);
	}
	/* Address-only hashing needs its type enabled on its own. */
	if (n == 8 && !(types & NDIS_HASH_IPV4))
		return 0;
	if (n == 32 && !(types & NDIS_HASH_IPV6))
		return 0;
	return n;
}
