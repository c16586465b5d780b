/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames sent into a VF whose netdev just went: Azure takes the VF away
 * before it switches back, and until the control thread sees the netdev
 * go, Tx bursts still go to the stand-in. net_af_packet copies each frame
 * into its socket's transmit ring, frees the mbuf and asks the kernel to
 * send; with the netdev gone the kernel refuses (ENXIO, ENETDOWN) and the
 * frames stay in the ring, marked "send requested", counted as errors.
 * Frames can wait there with the netdev still up, too, counted as sent:
 * a kick that found the socket's send buffer full (EAGAIN, ENOBUFS) stops
 * at the first frame it could not send. Closing the stand-in would drop
 * them all. Once Tx is off the stand-in we kick each ring once more and
 * take back what still waits: map the socket's rings (the kernel lets a
 * process map them again), copy each waiting frame, in ring order, into
 * an mbuf and hand the lot to the data path, which sends them on the
 * synthetic path before its next burst (hn_vf_rxtx.c). hn_vf.c corrects
 * the stand-in's counts (none of these left on the VF); what cannot be
 * taken back (no mbuf) is an error (vf_tx_lost). Control path only
 * (vf->lock held, Tx retired: nobody else kicks these sockets, and only
 * a kick makes the kernel read a waiting frame).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <linux/if_packet.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "hn_vf.h"

/* Where a transmit ring frame's data starts (no PACKET_TX_HAS_OFF). */
#define TX_DATA_OFF (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

static bool
pending(const uint8_t *tx, uint32_t fsz, uint32_t i)
{
	const struct tpacket2_hdr *h = (const void *)(tx + (size_t)i * fsz);

	return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) ==
	       TP_STATUS_SEND_REQUEST;
}

static struct rte_mempool *
pool_of(struct hn_data *hv, uint16_t q)
{
	struct rte_eth_dev_data *d = hn_eth(hv)->data;
	struct hn_rx_queue *rxq;

	if (d->nb_rx_queues == 0)
		return NULL;
	rxq = d->rx_queues[q < d->nb_rx_queues ? q : 0];
	return rxq != NULL ? rxq->mp : NULL;
}

/* Copy the waiting frames of one ring into vq's resend list. */
static void
salvage_ring(struct hn_vf *vf, int fd, uint16_t q, struct hn_vf_salvaged *sv)
{
	struct hn_vf_q *vq = &vf->txq[q];
	struct rte_mempool *mp = pool_of(vf->hv, q);
	const uint32_t nf = vf->ring_frames, fsz = vf->ring_frame_size;
	const size_t ring_bytes = (size_t)nf * fsz;
	uint32_t i, first = 0, n = 0, k;
	uint8_t *map, *tx;

	if (nf == 0 || nf > HN_VF_RING_FRAMES)
		return;
	map = mmap(NULL, 2 * ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		HN_LOG(WARNING, "port %u: VF Tx queue %u: cannot map its ring: %s",
		       vf->hv->port_id, q, strerror(errno));
		return;
	}
	tx = map + ring_bytes;	/* the receive ring comes first */
	/* The waiting frames are one run, oldest first after a free one. */
	for (i = 0; i < nf; i++) {
		if (!pending(tx, fsz, i))
			continue;
		if (n++ == 0 || !pending(tx, fsz, (i + nf - 1) % nf))
			first = i;
	}
	if (n == 0)
		goto out;
	sv->taken += n;
	if (vq->resend == NULL)
		vq->resend = rte_zmalloc("hn_vf_resend",
					 HN_VF_RING_FRAMES * sizeof(vq->resend[0]), 0);
	if (vq->resend_n != 0 || vq->resend == NULL) {
		/* No memory, or the data path has not sent the last batch. */
		sv->lost += n;
		for (i = 0; i < nf; i++)
			if (pending(tx, fsz, i))
				sv->bytes += ((struct tpacket2_hdr *)
					(tx + (size_t)i * fsz))->tp_len;
		goto out;
	}
	for (i = 0, k = 0; i < nf && k < HN_VF_RING_FRAMES; i++) {
		uint32_t j = (first + i) % nf;
		struct tpacket2_hdr *h = (void *)(tx + (size_t)j * fsz);
		uint32_t len = h->tp_len;
		struct rte_mbuf *m;
		char *p;

		if (!pending(tx, fsz, j))
			continue;
		h->tp_status = TP_STATUS_AVAILABLE;
		sv->bytes += len;
		m = mp != NULL ? rte_pktmbuf_alloc(mp) : NULL;
		p = m != NULL && len >= RTE_ETHER_HDR_LEN &&
		    len <= fsz - TX_DATA_OFF ?
			rte_pktmbuf_append(m, (uint16_t)len) : NULL;
		if (p == NULL) {
			rte_pktmbuf_free(m);
			sv->lost++;
			continue;
		}
		memcpy(p, (uint8_t *)h + TX_DATA_OFF, len);
		vq->resend[k++] = m;
	}
	vf->tx_salvaged += k;
	vq->resend_i = 0;
	/* The list before its length: the data path reads them in order. */
	__atomic_store_n(&vq->resend_n, k, __ATOMIC_RELEASE);
out:
	munmap(map, 2 * ring_bytes);
}

/*
 * Tx was just taken off the stand-in. Kick its transmit rings once more
 * (frames whose kick found the socket busy wait for a burst that will not
 * come; with the netdev still there this sends them) and take back what
 * still waits: the kernel refused it (the netdev is gone) or had no room.
 */
void
hn_vf_salvage(struct hn_vf *vf, uint16_t ntxq, struct hn_vf_salvaged *sv)
{
	unsigned int i;

	memset(sv, 0, sizeof(*sv));
	if (ntxq == 0)
		return;
	for (i = 0; i < vf->nkfd; i++) {
		(void)sendto(vf->kfd[i], NULL, 0, MSG_DONTWAIT, NULL, 0);
		/* The stand-in opened one socket per queue pair, in order. */
		salvage_ring(vf, vf->kfd[i], (uint16_t)(i % ntxq), sv);
	}
}

/* The port stops: what the data path did not send is lost. */
uint64_t
hn_vf_salvage_drop(struct hn_vf *vf)
{
	uint64_t lost = 0;
	uint32_t i, n;
	uint16_t q;

	for (q = 0; q < RTE_MAX_QUEUES_PER_PORT; q++) {
		struct hn_vf_q *vq = &vf->txq[q];

		n = __atomic_load_n(&vq->resend_n, __ATOMIC_ACQUIRE);
		for (i = vq->resend_i; i < n; i++)
			rte_pktmbuf_free(vq->resend[i]);
		if (n > vq->resend_i)
			lost += n - vq->resend_i;
		vq->resend_i = 0;
		__atomic_store_n(&vq->resend_n, 0, __ATOMIC_RELEASE);
	}
	return lost;
}
