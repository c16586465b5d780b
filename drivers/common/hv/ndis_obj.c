/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NDIS object codecs and the Toeplitz hash. See ndis_obj.h.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ndis_obj.h"

int
ndis_obj_hdr_build(void *buf, size_t len, uint8_t type, uint8_t revision,
		   uint16_t size)
{
	struct ndis_obj_hdr h = { .type = type, .revision = revision,
				  .size = size };

	if (buf == NULL)
		return -EINVAL;
	if (len < sizeof(h))
		return -ENOBUFS;
	memcpy(buf, &h, sizeof(h));
	return (int)sizeof(h);
}

/* Copy the first size bytes of obj to buf with the header replaced. */
static int
ndis_obj_put(void *buf, size_t len, const void *obj, uint8_t type,
	     uint8_t revision, uint16_t size)
{
	struct ndis_obj_hdr h = { .type = type, .revision = revision,
				  .size = size };

	if (buf == NULL)
		return -EINVAL;
	if (len < size)
		return -ENOBUFS;
	memcpy(buf, obj, size);
	memcpy(buf, &h, sizeof(h));
	return size;
}

/*
 * Read an object header of the expected type whose size covers min_size
 * and fits in len.
 */
static int
ndis_obj_get_hdr(const void *buf, size_t len, uint8_t type, uint16_t min_size,
		 struct ndis_obj_hdr *h)
{
	if (len < sizeof(*h))
		return -EINVAL;
	memcpy(h, buf, sizeof(*h));
	if (h->type != type)
		return -EPROTO;
	if (h->revision == 0 || h->size < min_size || h->size > len)
		return -EINVAL;
	return 0;
}

static uint16_t
ndis_offload_params_size(uint8_t revision)
{
	switch (revision) {
	case NDIS_OFFLOAD_PARAMS_REV_1:
		return NDIS_OFFLOAD_PARAMS_SIZE_1;
	case NDIS_OFFLOAD_PARAMS_REV_2:
		return NDIS_OFFLOAD_PARAMS_SIZE_2;
	case NDIS_OFFLOAD_PARAMS_REV_3:
		return NDIS_OFFLOAD_PARAMS_SIZE_3;
	default:
		return 0;
	}
}

int
ndis_offload_params_build(void *buf, size_t len,
			  const struct ndis_offload_params *in,
			  uint8_t revision)
{
	uint16_t size = ndis_offload_params_size(revision);

	if (size == 0)
		return -EINVAL;
	return ndis_obj_put(buf, len, in, NDIS_OBJTYPE_DEFAULT, revision, size);
}

static bool
ndis_offload_params_values_ok(const struct ndis_offload_params *p)
{
	const uint8_t csum[] = { p->ip4csum, p->tcp4csum, p->udp4csum,
				 p->tcp6csum, p->udp6csum };
	const uint8_t onoff[] = { p->lsov1, p->lsov2_ip4, p->lsov2_ip6,
				  p->rsc_ip4, p->rsc_ip6 };

	for (size_t i = 0; i < HV_ARRAY_SIZE(csum); i++)
		if (csum[i] > NDIS_OFFLOAD_PARAM_TXRX)
			return false;
	for (size_t i = 0; i < HV_ARRAY_SIZE(onoff); i++)
		if (onoff[i] > NDIS_OFFLOAD_LSO_ON)
			return false;
	return true;
}

int
ndis_offload_params_parse(const void *buf, size_t len,
			  struct ndis_offload_params *out)
{
	struct ndis_obj_hdr h;
	uint16_t known;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ndis_obj_get_hdr(buf, len, NDIS_OBJTYPE_DEFAULT,
			      NDIS_OFFLOAD_PARAMS_SIZE_1, &h);
	if (rc != 0)
		return rc;
	known = ndis_offload_params_size(h.revision);
	if (known == 0 || h.size < known)
		return -EINVAL;
	/* Later-revision fields stay 0 = "no change". */
	memcpy(out, buf, known);
	memcpy(&out->hdr, &h, sizeof(h));
	if (!ndis_offload_params_values_ok(out))
		return -EINVAL;
	if (out->lsov1 == NDIS_OFFLOAD_LSO_ON)
		return -ENOTSUP;
	return 0;
}

/* Bytes of NDIS_OFFLOAD a given revision defines; later ones: all. */
static uint16_t
ndis_offload_size(uint8_t revision)
{
	switch (revision) {
	case 0:
		return 0;
	case NDIS_OFFLOAD_REV_1:
		return NDIS_OFFLOAD_SIZE_1;
	case NDIS_OFFLOAD_REV_2:
		return NDIS_OFFLOAD_SIZE_2;
	default:
		return NDIS_OFFLOAD_SIZE_3;
	}
}

int
ndis_offload_build(void *buf, size_t len, const struct ndis_offload *in,
		   uint8_t revision)
{
	if (revision == 0 || revision > NDIS_OFFLOAD_REV_3)
		return -EINVAL;
	return ndis_obj_put(buf, len, in, NDIS_OBJTYPE_OFFLOAD, revision,
			    ndis_offload_size(revision));
}

int
ndis_offload_parse(const void *buf, size_t len, struct ndis_offload *out)
{
	struct ndis_obj_hdr h;
	uint16_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ndis_obj_get_hdr(buf, len, NDIS_OBJTYPE_OFFLOAD,
			      NDIS_OFFLOAD_SIZE_1, &h);
	if (rc != 0)
		return rc;
	/* Read what both the revision defines and the size covers. */
	n = ndis_offload_size(h.revision);
	if (n > h.size)
		n = h.size;
	memcpy(out, buf, n);
	memcpy(&out->hdr, &h, sizeof(h));
	return 0;
}

int
ndis_rss_caps_build(void *buf, size_t len, const struct ndis_rss_caps_info *in)
{
	struct ndis_rss_caps c = {
		.caps = in->caps,
		.num_msi = in->num_msi,
		.num_rx_queues = in->num_rx_queues,
		.num_ind_entries = in->num_ind_entries,
	};

	switch (in->revision) {
	case NDIS_RSS_CAPS_REV_1:
		return ndis_obj_put(buf, len, &c, NDIS_OBJTYPE_RSS_CAPS,
				    in->revision, NDIS_RSS_CAPS_SIZE_1);
	case NDIS_RSS_CAPS_REV_2:
		return ndis_obj_put(buf, len, &c, NDIS_OBJTYPE_RSS_CAPS,
				    in->revision, NDIS_RSS_CAPS_SIZE_2);
	default:
		return -EINVAL;
	}
}

int
ndis_rss_caps_parse(const void *buf, size_t len,
		    struct ndis_rss_caps_info *out)
{
	struct ndis_rss_caps c;
	struct ndis_obj_hdr h;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ndis_obj_get_hdr(buf, len, NDIS_OBJTYPE_RSS_CAPS,
			      NDIS_RSS_CAPS_SIZE_1, &h);
	if (rc != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	memcpy(&c, buf, h.size < sizeof(c) ? h.size : sizeof(c));
	out->revision = h.revision;
	out->caps = c.caps;
	out->num_msi = c.num_msi;
	out->num_rx_queues = c.num_rx_queues;
	if (h.revision >= NDIS_RSS_CAPS_REV_2 && h.size >= NDIS_RSS_CAPS_SIZE_2)
		out->num_ind_entries = c.num_ind_entries;
	return out->num_rx_queues == 0 ? -EINVAL : 0;
}

size_t
ndis_rss_params_len(uint32_t table_entries)
{
	return sizeof(struct ndis_rss_params) +
	       (size_t)table_entries * sizeof(uint32_t) + NDIS_RSS_KEY_SIZE;
}

int
ndis_rss_params_build(void *buf, size_t len, const struct ndis_rss_cfg *cfg)
{
	uint32_t n = cfg->table_entries;
	struct ndis_rss_params p = {
		.hdr = { NDIS_OBJTYPE_RSS_PARAMS, NDIS_RSS_PARAMS_REV_2,
			 NDIS_RSS_PARAMS_SIZE_2 },
		.flags = cfg->flags,
		.hash_info = cfg->hash_info,
		.ind_size = (uint16_t)(n * sizeof(uint32_t)),
		.ind_offset = (uint32_t)sizeof(p),
		.key_size = NDIS_RSS_KEY_SIZE,
		.key_offset = (uint32_t)(sizeof(p) + n * sizeof(uint32_t)),
	};
	size_t total;

	if (buf == NULL || cfg->key == NULL || cfg->table == NULL || n == 0 ||
	    n > NDIS_RSS_TABLE_MAX_ENTRIES)
		return -EINVAL;
	total = ndis_rss_params_len(n);
	if (len < total)
		return -ENOBUFS;
	memcpy(buf, &p, sizeof(p));
	memcpy((uint8_t *)buf + p.ind_offset, cfg->table, p.ind_size);
	memcpy((uint8_t *)buf + p.key_offset, cfg->key, NDIS_RSS_KEY_SIZE);
	return (int)total;
}

/* Is [off, off + n) inside len bytes? */
static bool
ndis_in_bounds(uint32_t off, uint32_t n, size_t len)
{
	return (uint64_t)off + n <= len;
}

static int
ndis_rss_table_get(const uint8_t *tab, uint32_t n, uint32_t max_queues,
		   uint32_t *table)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t q;

		memcpy(&q, tab + (size_t)i * sizeof(q), sizeof(q));
		if (q >= max_queues)
			return -ERANGE;
		table[i] = q;
	}
	return 0;
}

int
ndis_rss_params_parse(const void *buf, size_t len, uint32_t max_queues,
		      uint32_t *table, uint32_t table_cap,
		      struct ndis_rss_params_info *out)
{
	struct ndis_rss_params p;
	uint32_t n;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(p))
		return -EINVAL;
	memcpy(&p, buf, sizeof(p));
	out->flags = p.flags;
	out->hash_info = p.hash_info;
	/* Disabling needs neither key nor table. */
	if ((p.flags & NDIS_RSS_FLAG_DISABLE_RSS) ||
	    (p.hash_info & NDIS_HASH_FUNCTION_MASK) == 0)
		return 0;
	if ((p.hash_info & NDIS_HASH_FUNCTION_MASK) !=
	    NDIS_HASH_FUNCTION_TOEPLITZ)
		return -ENOTSUP;
	if (p.key_size != NDIS_RSS_KEY_SIZE ||
	    !ndis_in_bounds(p.key_offset, p.key_size, len))
		return -EINVAL;
	if (p.ind_size == 0 || p.ind_size % sizeof(uint32_t) != 0 ||
	    !ndis_in_bounds(p.ind_offset, p.ind_size, len))
		return -EINVAL;
	n = p.ind_size / sizeof(uint32_t);
	if (n > table_cap)
		return -ENOBUFS;
	if (ndis_rss_table_get((const uint8_t *)buf + p.ind_offset, n,
			       max_queues, table) != 0)
		return -ERANGE;
	memcpy(out->key, (const uint8_t *)buf + p.key_offset, sizeof(out->key));
	out->table_entries = n;
	out->enabled = true;
	return 0;
}

/* UTF-16LE length in bytes of an ASCII string, or -errno. */
static int
ndis_utf16_len(const char *s)
{
	size_t n;

	if (s == NULL)
		return -EINVAL;
	n = strlen(s);
	if (n > RNDIS_CONFIG_PARAM_MAX_CHARS)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return -EINVAL;
	return (int)(n * 2);
}

static void
ndis_utf16_put(uint8_t *dst, const char *s, size_t bytes)
{
	for (size_t i = 0; i < bytes / 2; i++) {
		dst[2 * i] = (uint8_t)s[i];
		dst[2 * i + 1] = 0;
	}
}

int
rndis_config_param_build(void *buf, size_t len, const char *name,
			 uint32_t type, const char *value)
{
	struct rndis_config_param r = { .type = type };
	int nl = ndis_utf16_len(name);
	int vl = ndis_utf16_len(value);
	size_t total;

	if (buf == NULL || nl == -EINVAL || vl == -EINVAL || nl == 0)
		return -EINVAL;
	if (nl < 0 || vl < 0)
		return -EMSGSIZE;
	r.name_offset = (uint32_t)sizeof(r);
	r.name_len = (uint32_t)nl;
	r.value_offset = r.name_offset + r.name_len;
	r.value_len = (uint32_t)vl;
	total = sizeof(r) + (size_t)nl + (size_t)vl;
	if (len < total)
		return -ENOBUFS;
	memcpy(buf, &r, sizeof(r));
	ndis_utf16_put((uint8_t *)buf + r.name_offset, name, r.name_len);
	ndis_utf16_put((uint8_t *)buf + r.value_offset, value, r.value_len);
	return (int)total;
}

/* UTF-16LE text of n bytes at src to a NUL-terminated ASCII dst. */
static int
ndis_utf16_get(char *dst, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n / 2; i++) {
		uint16_t u = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);

		if (u == 0)
			return -EINVAL;
		if (u >= 0x80)
			return -ENOTSUP;
		dst[i] = (char)u;
	}
	dst[n / 2] = '\0';
	return 0;
}

int
rndis_config_param_parse(const void *buf, size_t len,
			 struct rndis_config_param_info *out)
{
	const uint8_t *p = buf;
	struct rndis_config_param r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(r))
		return -EINVAL;
	memcpy(&r, buf, sizeof(r));
	if (r.name_len > RNDIS_CONFIG_PARAM_MAX_LEN ||
	    r.value_len > RNDIS_CONFIG_PARAM_MAX_LEN)
		return -EMSGSIZE;
	/* UTF-16 comes in whole code units. */
	if (r.name_len == 0 || r.name_len % 2 != 0 || r.value_len % 2 != 0)
		return -EINVAL;
	if (!ndis_in_bounds(r.name_offset, r.name_len, len) ||
	    !ndis_in_bounds(r.value_offset, r.value_len, len))
		return -EINVAL;
	out->type = r.type;
	rc = ndis_utf16_get(out->name, p + r.name_offset, r.name_len);
	if (rc != 0)
		return rc;
	return ndis_utf16_get(out->value, p + r.value_offset, r.value_len);
}

uint32_t
ndis_toeplitz_hash(const uint8_t *key, size_t key_len, const uint8_t *data,
		   size_t data_len)
{
	uint32_t window = 0;
	uint32_t hash = 0;

	/* The window holds the 32 key bits aligned with the current bit. */
	for (size_t i = 0; i < 4; i++)
		window = window << 8 | (i < key_len ? key[i] : 0u);
	for (size_t i = 0; i < data_len; i++) {
		uint8_t next = i + 4 < key_len ? key[i + 4] : 0;

		for (int bit = 7; bit >= 0; bit--) {
			if (data[i] & (1u << bit))
				hash ^= window;
			window = window << 1 | ((next >> bit) & 1u);
		}
	}
	return hash;
}
