/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the host refuses of a transmit offload request, checked before any
 * frame of the packet leaves. Strict by design: an offload the guest
 * turned off with OID_TCP_OFFLOAD_PARAMETERS (or the host never offered),
 * an LSO frame as large as the advertised maximum or larger, and an MSS
 * that is 0 or makes segments longer than the MTU all fail the send.
 * Azure's host computes what it is asked and only counts an oversized
 * LSO (OpenVMM lib.rs, tx_invalid_lso_packets); a guest that passes here
 * passes there.
 */
#include <errno.h>

#include "emu_net_priv.h"
#include "emu_offload.h"

static int
csum_check(const struct ndis_offload *o, uint32_t c)
{
	bool v4 = c & RNDIS_TXCSUM_IPV4, v6 = c & RNDIS_TXCSUM_IPV6;
	uint32_t need4 = 0, need6 = 0;

	if (v4 && (c & RNDIS_TXCSUM_IP))
		need4 |= NDIS_CSUM_CAP_IP4;
	if (c & RNDIS_TXCSUM_TCP) {
		need4 |= v4 ? NDIS_CSUM_CAP_TCP4 : 0;
		need6 |= v6 ? NDIS_CSUM_CAP_TCP6 : 0;
	} else if (c & RNDIS_TXCSUM_UDP) {
		need4 |= v4 ? NDIS_CSUM_CAP_UDP4 : 0;
		need6 |= v6 ? NDIS_CSUM_CAP_UDP6 : 0;
	}
	if ((o->csum.ip4_txcsum & need4) != need4 ||
	    (o->csum.ip6_txcsum & need6) != need6)
		return -EPERM;
	return 0;
}

static int
lso_check(const struct emu_nic *nic, const struct ndis_offload *o,
	  const struct rndis_pkt_meta *m, const uint8_t *f, size_t len)
{
	uint32_t encap = m->lso_ipv6 ? o->lsov2.ip6_encap : o->lsov2.ip4_encap;
	uint32_t maxsz = m->lso_ipv6 ? o->lsov2.ip6_maxsz : o->lsov2.ip4_maxsz;
	size_t doff = (size_t)m->lso_tcp_off + 12u;
	size_t hdrs;

	if (!(encap & NDIS_OFFLOAD_ENCAP_8023))
		return -EPERM;
	if (len >= maxsz)
		return -E2BIG;
	/* A TCP header past the frame is emu_lso_segment's -EINVAL. */
	if (doff >= len)
		return 0;
	hdrs = (size_t)m->lso_tcp_off + (size_t)(f[doff] >> 4) * 4u;
	if (m->lso_mss == 0 || hdrs + m->lso_mss > nic->mtu)
		return -ERANGE;
	return 0;
}

int
emu_tx_offload_check(const struct emu_nic *nic, const struct rndis_pkt_meta *m,
		     const uint8_t *f, size_t len)
{
	struct ndis_offload o;
	int rc = 0;

	if (!(m->present & (RNDIS_META_LSO | RNDIS_META_CSUM)))
		return 0;
	emu_rndis_offload_in_force(nic, &o);
	if (m->present & RNDIS_META_LSO)
		rc = lso_check(nic, &o, m, f, len);
	if (rc == 0 && (m->present & RNDIS_META_CSUM))
		rc = csum_check(&o, m->csum & 0xFFFFu);
	return rc;
}
