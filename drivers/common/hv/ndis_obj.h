/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Codecs for the NDIS objects and records carried in RNDIS info buffers,
 * both halves: offload parameters (guest builds, host validates), offload
 * capabilities and RSS capabilities (host builds, guest validates), RSS
 * parameters (guest builds, host validates), the RNDIS config parameter
 * (guest builds, host validates), and the Toeplitz RSS hash.
 *
 * Builders return the object length or -EINVAL / -ENOBUFS / -EMSGSIZE.
 * Parsers return 0, -EPROTO (wrong object type), -EINVAL (malformed),
 * -ERANGE (a value out of range), -ENOBUFS (caller array too small) or
 * -ENOTSUP (well formed but refused, e.g. LSOv1 on). A host maps -ENOTSUP
 * to RNDIS_STATUS_NOT_SUPPORTED and the rest to RNDIS_STATUS_INVALID_DATA.
 */
#ifndef NDIS_OBJ_H
#define NDIS_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndis_wire.h"
#include "rndis_wire.h"

/* ind_size is a u16 byte count. */
#define NDIS_RSS_TABLE_MAX_ENTRIES (0xFFFFu / 4u)

/* Config parameter name/value as ASCII, NUL-terminated. */
#define RNDIS_CONFIG_PARAM_MAX_CHARS (RNDIS_CONFIG_PARAM_MAX_LEN / 2u)

struct ndis_rss_caps_info {
	uint8_t revision;
	uint32_t caps;            /* NDIS_RSS_CAP_* | hash function */
	uint32_t num_msi;
	uint32_t num_rx_queues;   /* != 0 once parsed */
	uint16_t num_ind_entries; /* 0 if the object is revision 1 */
};

/* What a guest asks for in a SET of RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS. */
struct ndis_rss_cfg {
	uint16_t flags;        /* NDIS_RSS_FLAG_* */
	uint32_t hash_info;    /* NDIS_HASH_FUNCTION_TOEPLITZ | NDIS_HASH_* */
	const uint8_t *key;    /* NDIS_RSS_KEY_SIZE bytes */
	const uint32_t *table; /* channel index per entry */
	uint32_t table_entries;
};

/* What a host accepted; the table goes to a caller array. */
struct ndis_rss_params_info {
	uint16_t flags;
	uint32_t hash_info;
	bool enabled;          /* false: DISABLE flag or hash function 0 */
	uint8_t key[NDIS_RSS_KEY_SIZE];
	uint32_t table_entries;
};

struct rndis_config_param_info {
	uint32_t type; /* RNDIS_CONFIG_PARAM_* */
	char name[RNDIS_CONFIG_PARAM_MAX_CHARS + 1];
	char value[RNDIS_CONFIG_PARAM_MAX_CHARS + 1];
};

/* The bare object header a guest passes as QUERY input (caps queries). */
int
ndis_obj_hdr_build(void *buf, size_t len, uint8_t type, uint8_t revision,
		   uint16_t size);

/* Guest: hdr of *in is ignored and set from revision (1, 2 or 3). */
int
ndis_offload_params_build(void *buf, size_t len,
			  const struct ndis_offload_params *in,
			  uint8_t revision);
/* Host: fields beyond the sender's revision read as 0 (no change). */
int
ndis_offload_params_parse(const void *buf, size_t len,
			  struct ndis_offload_params *out);

/* Host: hdr of *in is ignored and set from revision (1, 2 or 3). */
int
ndis_offload_build(void *buf, size_t len, const struct ndis_offload *in,
		   uint8_t revision);
/* Guest: fields beyond the sender's revision or size read as 0. */
int
ndis_offload_parse(const void *buf, size_t len, struct ndis_offload *out);

/* Host: revision 1 (16 bytes) or 2 (18 bytes). */
int
ndis_rss_caps_build(void *buf, size_t len, const struct ndis_rss_caps_info *in);
/* Guest. Bounding num_ind_entries to local limits is the caller's job. */
int
ndis_rss_caps_parse(const void *buf, size_t len,
		    struct ndis_rss_caps_info *out);

/* Bytes of an RSS parameters object with this many table entries. */
size_t
ndis_rss_params_len(uint32_t table_entries);
/* Guest: object, then the table, then the key (the Linux layout). */
int
ndis_rss_params_build(void *buf, size_t len, const struct ndis_rss_cfg *cfg);
/*
 * Host: as a host does, the object header is not checked. Every table
 * entry must be < max_queues; up to table_cap entries go to table.
 */
int
ndis_rss_params_parse(const void *buf, size_t len, uint32_t max_queues,
		      uint32_t *table, uint32_t table_cap,
		      struct ndis_rss_params_info *out);

/* Guest: ASCII name and value, sent as UTF-16LE. */
int
rndis_config_param_build(void *buf, size_t len, const char *name,
			 uint32_t type, const char *value);
/* Host: only ASCII text is understood (-ENOTSUP otherwise). */
int
rndis_config_param_parse(const void *buf, size_t len,
			 struct rndis_config_param_info *out);

/*
 * Toeplitz hash of data under key. Key bits past key_len count as zero,
 * so any lengths are safe; RSS uses a 40-byte key and up to 36 bytes of
 * input (IPv6 addresses and ports).
 */
uint32_t
ndis_toeplitz_hash(const uint8_t *key, size_t key_len, const uint8_t *data,
		   size_t data_len);

#endif /* NDIS_OBJ_H */
