/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for nvsp_msg: the first input byte picks the negotiated
 * version (one of the six, or none yet), the rest is an NVSP message fed
 * to every validator of both sides. Accepted messages are checked
 * against the promises each validator makes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "nvsp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
pick_version(uint8_t b)
{
	uint32_t i = b % (NVSP_VERSION_COUNT + 1);

	return i < NVSP_VERSION_COUNT ? nvsp_versions[i] : NVSP_VERSION_NONE;
}

static void
guest_buffers(const uint8_t *m, size_t len, uint32_t buf_size)
{
	struct nvsp_recv_buf_info ri;
	struct nvsp_send_buf_info si;

	if (nvsp_parse_recv_buf_complete(m, len, buf_size, &ri) == 0 &&
	    ((uint64_t)ri.sub_alloc_size * ri.num_sub_allocs > buf_size ||
	     ri.num_sections != 1 || ri.sub_alloc_size < 68))
		abort();
	if (nvsp_parse_send_buf_complete(m, len, buf_size, &si) == 0 &&
	    (si.section_size == 0 || si.section_count == 0 ||
	     (uint64_t)si.section_size * si.section_count > buf_size))
		abort();
}

static void
guest_side(const uint8_t *m, size_t len, uint32_t version)
{
	struct nvsp_init_info ii;
	struct nvsp_subchannel_info sc;
	struct nvsp_rndis_pkt_info pi;
	struct nvsp_vf_info vf;
	struct nvsp_indirection_info t;
	uint32_t v;

	(void)nvsp_msg_type(m, len, &v);
	(void)nvsp_parse_init_complete(m, len, &ii);
	guest_buffers(m, len, 0);
	guest_buffers(m, len, 16u << 20);
	guest_buffers(m, len, UINT32_MAX);
	if (nvsp_parse_subchannel_resp(m, len, 4, &sc) == 0 &&
	    sc.num_subchannels > 4)
		abort();
	(void)nvsp_parse_rndis_pkt_complete(m, len, &v);
	(void)nvsp_parse_rndis_pkt(m, len, &pi);
	(void)nvsp_parse_vf_association(m, len, &vf);
	(void)nvsp_parse_switch_data_path(m, len, &v);
	if (nvsp_parse_indirection_table(m, len, version, &t) == 0)
		(void)nvsp_indirection_table_valid(&t, 8);
}

static void
host_side(const uint8_t *m, size_t len, uint32_t version)
{
	struct nvsp_request r;
	uint32_t v;

	if (nvsp_host_parse_request(m, len, version, &r) != 0)
		return;
	if (!nvsp_msg_type_allowed(r.type, version))
		abort();
	if (r.type == NVSP_MSG_TYPE_INIT)
		(void)nvsp_host_negotiate(r.init.min_version,
					  r.init.max_version, &v);
	if (r.type == NVSP_MSG_TYPE_SEND_RNDIS_PKT)
		(void)nvsp_host_section_check(&r.rndis_pkt, 6144, 2730);
	if (r.type == NVSP_MSG_TYPE_SEND_NDIS_CONFIG)
		(void)nvsp_host_mtu(r.ndis_config.mtu);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t version;

	if (size < 1)
		return 0;
	version = pick_version(data[0]);
	guest_side(data + 1, size - 1, version);
	host_side(data + 1, size - 1, version);
	return 0;
}
