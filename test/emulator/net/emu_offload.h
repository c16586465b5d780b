/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the host does to frames on the guest's behalf: Internet checksums
 * (fill in on TX, verify on RX), LSOv2 segmentation, 802.1Q insert and
 * strip, and the RSS hash input. Pure functions over byte buffers (all
 * header fields are read and written byte-wise, so no alignment is
 * assumed); unit tested in tests/test_emu_offload.c.
 */
#ifndef EMU_OFFLOAD_H
#define EMU_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMU_ETH_HLEN 14u
#define EMU_VLAN_HLEN 4u
#define EMU_ETHERTYPE_IPV4 0x0800u
#define EMU_ETHERTYPE_IPV6 0x86DDu
#define EMU_ETHERTYPE_VLAN 0x8100u
#define EMU_IPPROTO_TCP 6u
#define EMU_IPPROTO_UDP 17u
#define EMU_IPV4_MIN_HLEN 20u
#define EMU_IPV6_HLEN 40u
#define EMU_TCP_MIN_HLEN 20u
#define EMU_UDP_HLEN 8u

/* TCP flag bits (byte 13 of the TCP header). */
#define EMU_TCP_FIN 0x01u
#define EMU_TCP_PSH 0x08u
#define EMU_TCP_CWR 0x80u

/* Layout of an Ethernet frame as far as the host needs to know it. */
struct emu_frame_info {
	uint16_t l3_off;    /* after Ethernet and at most one 802.1Q tag */
	uint16_t ethertype; /* of the L3 payload */
	uint8_t ipver;      /* 0 (not IP), 4 or 6 */
	uint16_t l4_off;    /* 0 if no L4 header was located */
	uint8_t l4_proto;   /* last next-header / protocol value */
	bool fragment;      /* IPv4 MF/offset or IPv6 fragment header */
	uint32_t ip_end;    /* end of the IP packet per its length field */
};

/* 0 or -EINVAL for a frame too short or with inconsistent IP lengths. */
int emu_frame_parse(const uint8_t *f, size_t len, struct emu_frame_info *out);

/* One's complement sum helpers (RFC 1071). */
uint32_t emu_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t emu_csum_fold(uint32_t sum);

/*
 * Fill the checksums a TX checksum PPI asks for (RNDIS_TXCSUM_* flags,
 * L4 offset from the frame start). The offset must name the L4 header
 * the frame really has. 0 or -EINVAL.
 */
int emu_csum_fill(uint8_t *f, size_t len, uint32_t flags, uint16_t l4_off);

/* RNDIS_RXCSUM_* bits describing the checksums f carries (0: not IP). */
uint32_t emu_csum_verify(const uint8_t *f, size_t len);
/*
 * emu_csum_verify without its inline common case (emu_csum_fast.h): the
 * general parse for every frame, so tests can hold the two against each
 * other.
 */
uint32_t emu_csum_verify_parsed(const uint8_t *f, size_t len);
/*
 * What emu_csum_verify returns for f when every checksum it carries is
 * right, found by parsing alone (no summing): for frames whose sender
 * vouches for them (EMU_RX_CSUM_GOOD).
 */
uint32_t emu_csum_good(const uint8_t *f, size_t len);

/* Recompute the TCP or UDP checksum of a parsed frame in place. */
int emu_l4_csum_set(uint8_t *f, size_t len, const struct emu_frame_info *fi);
/* Recompute the IPv4 header checksum in place. */
void emu_ipv4_csum_set(uint8_t *f, const struct emu_frame_info *fi);

/* Called once per LSO segment; a non-zero return stops segmentation. */
typedef int (*emu_seg_fn)(void *arg, const uint8_t *seg, size_t len);

/*
 * Cut a TCP frame into segments of at most mss payload bytes, as a NIC
 * does for LSOv2: headers copied, IPv4 total length / id / checksum and
 * IPv6 payload length adjusted, TCP sequence advanced, FIN/PSH only on
 * the last segment and CWR only on the first, TCP checksum recomputed.
 * scratch must hold the headers plus mss. Returns the number of segments,
 * -EINVAL (not the TCP/IP frame the PPI describes), -EMSGSIZE (scratch
 * too small), or the callback's non-zero return.
 */
int emu_lso_segment(const uint8_t *f, size_t len, uint32_t mss,
		    uint16_t tcp_off, bool ipv6, uint8_t *scratch,
		    size_t scratch_len, emu_seg_fn fn, void *arg);

/* Copy f into out with an 802.1Q tag; new length or -ENOBUFS. */
int emu_vlan_insert(const uint8_t *f, size_t len, uint16_t tci, uint8_t *out,
		    size_t out_len);

/*
 * Copy f into out without its outer 802.1Q tag; *tagged and *tci tell
 * whether there was one. New length, -EINVAL (shorter than a header) or
 * -ENOBUFS.
 */
int emu_vlan_strip(const uint8_t *f, size_t len, uint8_t *out, size_t out_len,
		   bool *tagged, uint16_t *tci);

/*
 * Toeplitz input for frame f under the hash types the guest enabled
 * (NDIS_HASH_ flags): addresses, plus ports when the matching TCP/UDP type is
 * on. Writes at most 36 bytes to buf; returns the input length (0: not
 * hashable) and the NDIS_HASH_* type used in *type.
 */
size_t emu_rss_input(const uint8_t *f, size_t len, uint32_t hash_types,
		     uint8_t buf[36], uint32_t *type);

#endif /* EMU_OFFLOAD_H */
