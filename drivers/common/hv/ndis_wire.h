/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NDIS objects exchanged in RNDIS QUERY/SET info buffers: offload
 * parameters and capabilities, RSS capabilities and parameters, and the
 * RSS hash function/type bits shared with the hash-info PPI.
 *
 * Every object starts with {u8 type, u8 revision, u16 size}; the size
 * tells how much of the object the sender knows, which depends on the
 * NDIS version, so parsers accept any revision whose size covers the
 * fields they read.
 */
#ifndef NDIS_WIRE_H
#define NDIS_WIRE_H

#include <stdint.h>

#include "hv_compiler.h"

struct ndis_obj_hdr {
	uint8_t type;     /* NDIS_OBJTYPE_* */
	uint8_t revision;
	uint16_t size;    /* bytes of the object, header included */
};
HV_ASSERT_SIZE(struct ndis_obj_hdr, 4);

#define NDIS_OBJTYPE_DEFAULT 0x80u
#define NDIS_OBJTYPE_RSS_CAPS 0x88u
#define NDIS_OBJTYPE_RSS_PARAMS 0x89u
#define NDIS_OBJTYPE_OFFLOAD 0xA7u

/* RSS hash function (low byte) and hash types. */
#define NDIS_HASH_FUNCTION_MASK 0x000000FFu
#define NDIS_HASH_FUNCTION_TOEPLITZ 0x00000001u
#define NDIS_HASH_TYPE_MASK 0x00FFFF00u
#define NDIS_HASH_IPV4 0x00000100u
#define NDIS_HASH_TCP_IPV4 0x00000200u
#define NDIS_HASH_IPV6 0x00000400u
#define NDIS_HASH_IPV6_EX 0x00000800u
#define NDIS_HASH_TCP_IPV6 0x00001000u
#define NDIS_HASH_TCP_IPV6_EX 0x00002000u
#define NDIS_HASH_UDP_IPV4 0x00004000u
#define NDIS_HASH_UDP_IPV6 0x00008000u
#define NDIS_HASH_UDP_IPV6_EX 0x00010000u

/*
 * NDIS_OFFLOAD_PARAMETERS: SET of RNDIS_OID_TCP_OFFLOAD_PARAMETERS,
 * guest->host. Header type NDIS_OBJTYPE_DEFAULT.
 */
struct ndis_offload_params {
	struct ndis_obj_hdr hdr;
	uint8_t ip4csum;   /* NDIS_OFFLOAD_PARAM_* */
	uint8_t tcp4csum;
	uint8_t udp4csum;
	uint8_t tcp6csum;
	uint8_t udp6csum;
	uint8_t lsov1;     /* NDIS_OFFLOAD_LSO_* */
	uint8_t ipsecv1;
	uint8_t lsov2_ip4; /* NDIS_OFFLOAD_LSO_* */
	uint8_t lsov2_ip6;
	uint8_t tcp4conn;  /* 0 */
	uint8_t tcp6conn;  /* 0 */
	uint8_t reserved1;
	uint32_t flags;    /* 0 */
	/* revision >= 2 (NDIS 6.1) */
	uint8_t ipsecv2;
	uint8_t ipsecv2_ip4;
	/* revision >= 3 (NDIS 6.30) */
	uint8_t rsc_ip4;   /* NDIS_OFFLOAD_RSC_* */
	uint8_t rsc_ip6;
	uint8_t encap;
	uint8_t encap_types;
	uint8_t reserved2[2];
};
HV_ASSERT_SIZE(struct ndis_offload_params, 28);
HV_ASSERT_OFFSET(struct ndis_offload_params, flags, 16);
HV_ASSERT_OFFSET(struct ndis_offload_params, rsc_ip4, 22);

#define NDIS_OFFLOAD_PARAMS_REV_1 1u
#define NDIS_OFFLOAD_PARAMS_SIZE_1 20u
#define NDIS_OFFLOAD_PARAMS_REV_2 2u
#define NDIS_OFFLOAD_PARAMS_SIZE_2 22u
#define NDIS_OFFLOAD_PARAMS_REV_3 3u
#define NDIS_OFFLOAD_PARAMS_SIZE_3 28u

/* Checksum fields. */
#define NDIS_OFFLOAD_PARAM_NOCHG 0u
#define NDIS_OFFLOAD_PARAM_OFF 1u
#define NDIS_OFFLOAD_PARAM_TX 2u
#define NDIS_OFFLOAD_PARAM_RX 3u
#define NDIS_OFFLOAD_PARAM_TXRX 4u
/* LSO fields (v1 and v2); hosts refuse to turn LSOv1 on. */
#define NDIS_OFFLOAD_LSO_NOCHG 0u
#define NDIS_OFFLOAD_LSO_OFF 1u
#define NDIS_OFFLOAD_LSO_ON 2u
/* RSC fields. */
#define NDIS_OFFLOAD_RSC_NOCHG 0u
#define NDIS_OFFLOAD_RSC_OFF 1u
#define NDIS_OFFLOAD_RSC_ON 2u

/*
 * NDIS_OFFLOAD: answer to a QUERY of RNDIS_OID_TCP_OFFLOAD_HARDWARE_
 * CAPABILITIES or _CURRENT_CONFIG, host->guest; also the payload of a
 * RNDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG indication.
 */
struct ndis_offload_csum {
	uint32_t ip4_txenc;  /* NDIS_OFFLOAD_ENCAP_* */
	uint32_t ip4_txcsum; /* NDIS_TXCSUM_CAP_IP4_* */
	uint32_t ip4_rxenc;
	uint32_t ip4_rxcsum;
	uint32_t ip6_txenc;
	uint32_t ip6_txcsum; /* NDIS_TXCSUM_CAP_IP6_* */
	uint32_t ip6_rxenc;
	uint32_t ip6_rxcsum;
};
HV_ASSERT_SIZE(struct ndis_offload_csum, 32);

struct ndis_offload_lsov1 {
	uint32_t encap;
	uint32_t maxsize;
	uint32_t minsegs;
	uint32_t opts;
};
HV_ASSERT_SIZE(struct ndis_offload_lsov1, 16);

struct ndis_offload_lsov2 {
	uint32_t ip4_encap;
	uint32_t ip4_maxsz;
	uint32_t ip4_minsg;
	uint32_t ip6_encap;
	uint32_t ip6_maxsz;
	uint32_t ip6_minsg;
	uint32_t ip6_opts; /* NDIS_LSOV2_CAP_IP6_* */
};
HV_ASSERT_SIZE(struct ndis_offload_lsov2, 28);

struct ndis_offload {
	struct ndis_obj_hdr hdr;
	struct ndis_offload_csum csum;
	struct ndis_offload_lsov1 lsov1;
	uint32_t ipsecv1[7];
	struct ndis_offload_lsov2 lsov2;
	uint32_t flags;
	/* revision >= 2 (NDIS 6.1) */
	uint8_t ipsecv2[32];
	/* revision >= 3 (NDIS 6.30) */
	uint8_t rsc_ip4;
	uint8_t rsc_ip6;
	uint8_t reserved[2];
	uint32_t encap_gre_flags;
	uint32_t encap_gre_maxhdr;
};
HV_ASSERT_SIZE(struct ndis_offload, 156);
HV_ASSERT_OFFSET(struct ndis_offload, lsov1, 36);
HV_ASSERT_OFFSET(struct ndis_offload, ipsecv1, 52);
HV_ASSERT_OFFSET(struct ndis_offload, lsov2, 80);
HV_ASSERT_OFFSET(struct ndis_offload, flags, 108);
HV_ASSERT_OFFSET(struct ndis_offload, ipsecv2, 112);
HV_ASSERT_OFFSET(struct ndis_offload, rsc_ip4, 144);
HV_ASSERT_OFFSET(struct ndis_offload, encap_gre_flags, 148);

#define NDIS_OFFLOAD_REV_1 1u
#define NDIS_OFFLOAD_SIZE_1 112u
#define NDIS_OFFLOAD_REV_2 2u
#define NDIS_OFFLOAD_SIZE_2 144u
#define NDIS_OFFLOAD_REV_3 3u
#define NDIS_OFFLOAD_SIZE_3 156u

/* Encapsulations. */
#define NDIS_OFFLOAD_ENCAP_NONE 0x0u
#define NDIS_OFFLOAD_ENCAP_NULL 0x1u
#define NDIS_OFFLOAD_ENCAP_8023 0x2u
#define NDIS_OFFLOAD_ENCAP_8023PQ 0x4u
#define NDIS_OFFLOAD_ENCAP_8023PQ_OOB 0x8u
#define NDIS_OFFLOAD_ENCAP_RFC1483 0x10u

/* IPv4 checksum capabilities (TX and RX). */
#define NDIS_CSUM_CAP_IP4OPT 0x001u
#define NDIS_CSUM_CAP_TCP4OPT 0x004u
#define NDIS_CSUM_CAP_TCP4 0x010u
#define NDIS_CSUM_CAP_UDP4 0x040u
#define NDIS_CSUM_CAP_IP4 0x100u
/* IPv6 checksum capabilities (TX and RX). */
#define NDIS_CSUM_CAP_IP6EXT 0x001u
#define NDIS_CSUM_CAP_TCP6OPT 0x004u
#define NDIS_CSUM_CAP_TCP6 0x010u
#define NDIS_CSUM_CAP_UDP6 0x040u
/* lsov2.ip6_opts. */
#define NDIS_LSOV2_CAP_IP6EXT 0x001u
#define NDIS_LSOV2_CAP_TCP6OPT 0x004u

/*
 * RSS capabilities: answer to a QUERY of RNDIS_OID_GEN_RECEIVE_SCALE_
 * CAPABILITIES, host->guest. Packed on the wire: 18 bytes at revision 2.
 */
struct ndis_rss_caps {
	struct ndis_obj_hdr hdr;
	uint32_t caps;           /* NDIS_RSS_CAP_* | hash function */
	uint32_t num_msi;
	uint32_t num_rx_queues;
	/* revision >= 2 */
	uint16_t num_ind_entries;
} HV_PACKED;
HV_ASSERT_SIZE(struct ndis_rss_caps, 18);

#define NDIS_RSS_CAPS_REV_1 1u
#define NDIS_RSS_CAPS_SIZE_1 16u
#define NDIS_RSS_CAPS_REV_2 2u
#define NDIS_RSS_CAPS_SIZE_2 18u

#define NDIS_RSS_CAP_MSI 0x01000000u
#define NDIS_RSS_CAP_CLASSIFY_ISR 0x02000000u
#define NDIS_RSS_CAP_CLASSIFY_DPC 0x04000000u
#define NDIS_RSS_CAP_MSIX 0x08000000u
#define NDIS_RSS_CAP_HASH_IPV4 0x00000100u
#define NDIS_RSS_CAP_HASH_IPV6 0x00000200u
#define NDIS_RSS_CAP_HASH_IPV6_EX 0x00000400u
#define NDIS_RSS_CAP_HASH_UDP_IPV4 0x00000800u
#define NDIS_RSS_CAP_HASH_UDP_IPV6 0x00001000u
#define NDIS_RSS_CAP_HASH_UDP_IPV6_EX 0x00002000u

/*
 * RSS parameters: SET of RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS,
 * guest->host. The indirection table (u32 channel indices) and the hash
 * key follow at the offsets given, counted from the object start.
 */
struct ndis_rss_params {
	struct ndis_obj_hdr hdr;
	uint16_t flags;          /* NDIS_RSS_FLAG_* */
	uint16_t base_cpu;       /* 0 */
	uint32_t hash_info;      /* function | types */
	uint16_t ind_size;       /* table bytes: 4 x entries */
	uint16_t reserved1;
	uint32_t ind_offset;
	uint16_t key_size;       /* NDIS_RSS_KEY_SIZE */
	uint16_t reserved2;
	uint32_t key_offset;
	uint32_t cpu_masks_offset; /* 0 */
	uint32_t cpu_masks_count;  /* 0 */
	uint32_t cpu_masks_entry_size; /* 0 */
};
HV_ASSERT_SIZE(struct ndis_rss_params, 40);
HV_ASSERT_OFFSET(struct ndis_rss_params, ind_size, 12);
HV_ASSERT_OFFSET(struct ndis_rss_params, ind_offset, 16);
HV_ASSERT_OFFSET(struct ndis_rss_params, key_size, 20);
HV_ASSERT_OFFSET(struct ndis_rss_params, key_offset, 24);

#define NDIS_RSS_PARAMS_REV_2 2u
#define NDIS_RSS_PARAMS_SIZE_2 40u

#define NDIS_RSS_FLAG_BASE_CPU_UNCHANGED 0x0001u
#define NDIS_RSS_FLAG_HASH_INFO_UNCHANGED 0x0002u
#define NDIS_RSS_FLAG_ITABLE_UNCHANGED 0x0004u
#define NDIS_RSS_FLAG_HASH_KEY_UNCHANGED 0x0008u
#define NDIS_RSS_FLAG_DISABLE_RSS 0x0010u

/* Hosts accept exactly this key size (Toeplitz, 320 bits). */
#define NDIS_RSS_KEY_SIZE 40u

#endif /* NDIS_WIRE_H */
