/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Send completions as a real host gives them (docs/design/protocol.md,
 * "Transmit completion"): a data packet is completed only after the
 * backend took its frames, later and in batches, not in the same breath
 * as the read. Each queue has at most tx_max_pending sends outstanding
 * (read and not yet completed, 1024 by default); at that limit the host
 * stops reading the guest's ring until completions went out, and
 * completions wait for room when the guest's receive ring is full. A
 * guest therefore runs out of send sections and TX descriptors here as
 * it would on Azure, and must cope.
 *
 * The delay is measured from the read to the tick that sends: changing
 * it (emu_nic_set_tx_comp_delay) applies to completions already held.
 * Failed sends and control messages are completed at once, as the host
 * does, unless the ring is full.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "emu_net_priv.h"

void
emu_tx_comp_free(struct emu_net_queue *q)
{
	free(q->comp);
	q->comp = NULL;
	q->comp_cap = 0;
	q->comp_head = 0;
	q->comp_n = 0;
	q->comp_run = 0;
	q->comp_full = false;
}

static int
comp_alloc(struct emu_net_queue *q)
{
	unsigned int cap = q->nic->net->cfg.tx_max_pending;

	if (cap == 0)
		cap = EMU_NET_TX_PENDING_DEFAULT;
	q->comp = calloc(cap, sizeof(*q->comp));
	if (q->comp == NULL)
		return -ENOMEM;
	q->comp_cap = cap;
	return 0;
}

/* Write one completion, with the faults that belong to it. */
static int
comp_send(struct emu_net_queue *q, const struct emu_tx_comp *c)
{
	struct emu_nic *nic = q->nic;
	uint8_t m[NVSP_RESP_SIZE_V61];
	int len = nvsp_host_build_rndis_pkt_complete(m, sizeof(m), nic->version,
						     c->status);
	int rc;

	if (len < 0)
		return 0;
	if (c->data && emu_fault_take(nic, EMU_FAULT_UNKNOWN_COMPLETION)) {
		emu_net_log(nic, "fault unknown-completion: id %llu",
			    (unsigned long long)~c->trans_id);
		(void)emu_net_send_comp(q, ~c->trans_id, m, (size_t)len);
	}
	if (c->data && emu_fault_take(nic, EMU_FAULT_DROP_COMPLETION)) {
		emu_net_log(nic, "fault drop-completion: id %llu",
			    (unsigned long long)c->trans_id);
		return 0;
	}
	rc = emu_net_send_comp(q, c->trans_id, m, (size_t)len);
	if (rc == 0)
		nic->qst[q->id].completions_sent++;
	if (rc == 0 && c->data && emu_fault_take(nic, EMU_FAULT_DUP_COMPLETION)) {
		emu_net_log(nic, "fault dup-completion: id %llu sent twice",
			    (unsigned long long)c->trans_id);
		if (emu_net_send_comp(q, c->trans_id, m, (size_t)len) == 0)
			nic->qst[q->id].completions_sent++;
	}
	return rc;
}

/* The last n held completions in reverse order (tx_comp_reverse). */
static void
comp_reverse(struct emu_net_queue *q, uint32_t n)
{
	uint32_t i, j;

	for (i = q->comp_n - n, j = q->comp_n - 1; i < j; i++, j--) {
		struct emu_tx_comp *a = &q->comp[(q->comp_head + i) % q->comp_cap];
		struct emu_tx_comp *b = &q->comp[(q->comp_head + j) % q->comp_cap];
		struct emu_tx_comp t = *a;

		*a = *b;
		*b = t;
	}
}

static void
comp_push(struct emu_net_queue *q, const struct emu_tx_comp *c)
{
	uint32_t rev = q->nic->net->cfg.tx_comp_reverse;

	q->comp[(q->comp_head + q->comp_n) % q->comp_cap] = *c;
	q->comp_n++;
	q->nic->qst[q->id].tx_pending = q->comp_n;
	if (rev < 2 || c->t_ns == 0)
		return;
	/* Only held ones not yet due: those at the head may be going out. */
	if (++q->comp_run > q->comp_n)
		q->comp_run = q->comp_n;
	if (q->comp_run >= rev) {
		comp_reverse(q, rev);
		q->comp_run = 0;
	}
}

void
emu_tx_comp_post(struct emu_net_queue *q, uint64_t trans_id, uint32_t status,
		 bool data)
{
	struct emu_tx_comp c = { trans_id, 0, status, data };
	bool hold = data && status == NVSP_STATUS_SUCCESS;

	if (hold && q->comp != NULL && q->comp_n < q->comp_cap) {
		c.t_ns = emu_net_tick_now(q->nic->net);
		comp_push(q, &c);
		return;
	}
	/* Sent at once below: no frame of this packet (or an earlier one)
	 * may still be read from the guest's memory then. */
	emu_nic_tx_release(q->nic, false);
	if (q->comp == NULL && comp_alloc(q) != 0) {
		(void)comp_send(q, &c); /* no memory to hold it: at once */
		return;
	}
	/* emu_tx_comp_room keeps comp_n below comp_cap before each read. */
	if (q->comp_n >= q->comp_cap) {
		(void)comp_send(q, &c);
		return;
	}
	if (hold) {
		c.t_ns = emu_net_tick_now(q->nic->net);
		comp_push(q, &c);
		return;
	}
	if (comp_send(q, &c) == -EAGAIN)
		comp_push(q, &c);
}

/* Completions written per pass on the fast path (each is still
 * published on its own: OpenVMM's try_send_tx_packet commits one per
 * write). */
#define COMP_RUN 32u

static bool
comp_due(const struct emu_nic *nic, const struct emu_tx_comp *c, uint64_t now)
{
	return c->t_ns == 0 || now - c->t_ns >= nic->tx_comp_delay_ns ||
	       now < c->t_ns;
}

/* Nothing armed that acts on single completions (comp_send's faults,
 * emu_net_send's mutations and descriptor fault). */
static bool
comp_plain(const struct emu_nic *nic)
{
	return nic->mut_armed == 0 &&
	       nic->faults[EMU_FAULT_UNKNOWN_COMPLETION] == 0 &&
	       nic->faults[EMU_FAULT_DROP_COMPLETION] == 0 &&
	       nic->faults[EMU_FAULT_DUP_COMPLETION] == 0 &&
	       nic->faults[EMU_FAULT_BAD_DESC] == 0;
}

/*
 * The due completions at the head, COMP_RUN at a time: one packet
 * template per status, written into the ring in place with each one's
 * transaction id (emu_net_send_stamped), and as a real host writes
 * them: each published (and signalled when the guest waits on it) as
 * soon as it is in the ring, none held back for the others. Stops at
 * the first that is not due, that does not fit (the caller's comp_send
 * then asks the guest for room), or that cannot be built (comp_send
 * decides).
 */
/* The completion packet for status, built once (q->ct) and again only
 * when the status or the NVSP version differs; NULL if it cannot be
 * built (comp_send decides). */
static const uint8_t *
comp_tmpl(struct emu_net_queue *q, uint32_t status, uint32_t *plen)
{
	uint32_t version = q->nic->version;
	int mlen;

	if (hv_unlikely(!q->ct_ok || q->ct_status != status ||
			q->ct_version != version)) {
		q->ct_ok = false;
		mlen = nvsp_host_build_rndis_pkt_complete(
			q->ct + sizeof(struct vmbus_pkt_desc),
			sizeof(q->ct) - sizeof(struct vmbus_pkt_desc), version, status);
		if (mlen < 0 ||
		    vmbus_pkt_build_comp(q->ct, sizeof(struct vmbus_pkt_desc),
					 (size_t)mlen, 0) !=
			    (int)sizeof(struct vmbus_pkt_desc))
			return NULL;
		q->ct_len = (uint32_t)(sizeof(struct vmbus_pkt_desc) + (size_t)mlen);
		q->ct_status = status;
		q->ct_version = version;
		q->ct_ok = true;
	}
	*plen = q->ct_len;
	return q->ct;
}

static void
comp_flush_runs(struct emu_net_queue *q, uint64_t now)
{
	struct emu_nic *nic = q->nic;
	uint64_t ids[COMP_RUN];
	uint64_t delay = nic->tx_comp_delay_ns;
	const struct emu_tx_comp *c;
	const uint8_t *t;
	uint32_t status, plen;
	unsigned int k, m;
	int n;

	while (q->comp_n != 0) {
		/* A run of one status, not past the FIFO's end. */
		c = &q->comp[q->comp_head];
		m = q->comp_cap - q->comp_head;
		if (m > q->comp_n)
			m = q->comp_n;
		if (m > COMP_RUN)
			m = COMP_RUN;
		status = c->status;
		for (k = 0; k < m; k++, c++) {
			/* comp_due, the delay read once. */
			if (c->t_ns != 0 && now - c->t_ns < delay && now >= c->t_ns)
				break;
			if (c->status != status)
				break;
			ids[k] = c->trans_id;
		}
		if (k == 0)
			return;
		t = comp_tmpl(q, status, &plen);
		if (t == NULL)
			return; /* comp_send decides */
		n = emu_net_send_stamped(q, t, plen,
					 offsetof(struct vmbus_pkt_desc, trans_id), ids, k);
		if (n <= 0)
			return;
		q->comp_head += (unsigned int)n;
		if (q->comp_head == q->comp_cap)
			q->comp_head = 0;
		q->comp_n -= (unsigned int)n;
		nic->qst[q->id].completions_sent += (unsigned int)n;
		if ((unsigned int)n < k)
			return;
	}
}

void
emu_tx_comp_flush(struct emu_net_queue *q)
{
	struct emu_nic *nic = q->nic;
	uint64_t now;
	struct emu_tx_comp *c;

	if (q->comp_n == 0 || q->broken)
		return;
	now = emu_net_tick_now(nic->net);
	if (comp_plain(nic))
		comp_flush_runs(q, now);
	while (q->comp_n != 0) {
		c = &q->comp[q->comp_head];
		if (!comp_due(nic, c, now))
			break;
		if (comp_send(q, c) == -EAGAIN)
			break; /* emu_net_send asked the guest to make room */
		q->comp_head = (q->comp_head + 1) % q->comp_cap;
		q->comp_n--;
	}
	nic->qst[q->id].tx_pending = q->comp_n;
	if (q->comp_n < q->comp_cap)
		q->comp_full = false;
}

bool
emu_tx_comp_full(struct emu_net_queue *q)
{
	if (!q->comp_full) {
		q->comp_full = true;
		q->nic->qst[q->id].tx_pending_full++;
	}
	return false;
}
