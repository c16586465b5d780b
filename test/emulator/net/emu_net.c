/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The network service's frame: one emu_nic per device, one queue per
 * open channel, the busy-poll tick that drains the guest->host rings,
 * and the helpers every module uses to send and to log.
 *
 * Signalling, as Hyper-V's host reader does it (docs/design/protocol.md,
 * "Ring buffer" and "Signalling"): while draining a
 * guest->host ring we keep its interrupt_mask set so the guest need not
 * ring; once the ring is empty we unmask, look once more, and from then
 * on the ring is "armed": it is read again only after the guest's
 * doorbell. That is the monitor-page trigger bit for a channel with a
 * monitor id, or an enabling write to /dev/uioN for one without (the
 * kernel turns it into a signal of every such channel). Bits in the
 * interrupt page alone are counted but wake nothing: a guest cannot make
 * the hypercall that would deliver them. An armed ring found non-empty
 * without a doorbell for EMU_NET_DOORBELL_GRACE_MS counts as a missed
 * doorbell and stays stalled, as it would on Hyper-V. The leniency
 * emu_net_config.doorbell_poll reads it anyway.
 *
 * One commit per batch hands the space back and tells us whether a
 * writer waiting with pending_send_sz must be woken. Writes to the
 * host->guest ring raise the guest's interrupt only when the ring core
 * says the reader wants it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu_net_priv.h"
#include "emu_offload.h"
#include "hv_atomic.h"
#include "hv_chan_geom.h"
#include "vmbus_ring_inline.h"

#define LOG_LINE_MAX 512

uint64_t
emu_net_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
emu_net_tick_now(struct emu_net *net)
{
	if (!net->now_valid) {
		net->now_ns = emu_net_now_ns();
		net->now_valid = true;
	}
	return net->now_ns;
}

static void
log_line(const struct emu_net *net, const char *line)
{
	if (net->log != NULL)
		net->log(net->log_arg, line);
	else
		fprintf(stderr, "%s\n", line);
}

static void
vlog(const struct emu_nic *nic, const struct emu_net_queue *q,
     const char *what, const char *fmt, va_list ap) EMU_NET_PRINTF(4, 0);

static void
vlog(const struct emu_nic *nic, const struct emu_net_queue *q,
     const char *what, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n;

	if (q != NULL && q->ch != NULL)
		n = snprintf(line, sizeof(line), "nic%u relid %u: %s", nic->idx,
			     emu_chan_relid(q->ch), what);
	else
		n = snprintf(line, sizeof(line), "nic%u: %s", nic->idx, what);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	log_line(nic->net, line);
}

void
emu_net_log(const struct emu_nic *nic, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(nic, NULL, "", fmt, ap);
	va_end(ap);
}

void
emu_net_proto_error(struct emu_nic *nic, const struct emu_net_queue *q,
		    const char *fmt, ...)
{
	va_list ap;

	nic->st.protocol_errors++;
	va_start(ap, fmt);
	vlog(nic, q, "protocol error: ", fmt, ap);
	va_end(ap);
}

bool
emu_net_stop(struct emu_nic *nic, const struct emu_net_queue *q,
	     uint32_t lenient_bit, const char *fmt, ...)
{
	bool stop = !emu_net_lenient(nic, lenient_bit);
	unsigned int i;
	va_list ap;

	va_start(ap, fmt);
	if (stop) {
		nic->st.channel_stops++;
		vlog(nic, q, "channel stopped: ", fmt, ap);
	} else {
		/* The caller goes on as a lenient host would. */
		vlog(nic, q, "lenient, channel kept: ", fmt, ap);
	}
	va_end(ap);
	if (!stop)
		return false;
	/* Azure's worker ends: nothing more is read, answered or sent. */
	nic->stopped = true;
	for (i = 0; i < nic->q_end; i++)
		if (nic->q[i] != NULL)
			nic->q[i]->broken = true;
	emu_ctrl_clear(nic);
	return true;
}

void
emu_net_trace(const struct emu_nic *nic, const struct emu_net_queue *q,
	      const char *fmt, ...)
{
	va_list ap;

	if (!nic->trace)
		return;
	va_start(ap, fmt);
	vlog(nic, q, "", fmt, ap);
	va_end(ap);
}

struct emu_net_queue *
emu_nic_queue(const struct emu_nic *nic, unsigned int i)
{
	return i < EMU_NET_MAX_QUEUES ? nic->q[i] : NULL;
}

static void
signal_guest(struct emu_net_queue *q)
{
	if (emu_dev_raise_irq(q->nic->dev, q->ch) == 1)
		q->nic->qst[q->id].irqs_raised++;
}

/*
 * A faulty descriptor for hardening tests: payload beyond the packet.
 * Only the descriptor is copied (into copy) and patched; the rest of
 * the first element follows as an element of its own, so headers of any
 * size (a transfer-page packet with hundreds of ranges) can be faulted.
 * sg has room for one more element than *nsg.
 */
static void
corrupt_desc(struct emu_net_queue *q, struct hv_sg *sg, unsigned int *nsg,
	     uint8_t *copy)
{
	struct vmbus_pkt_desc d;
	unsigned int i;

	if (sg[0].len < sizeof(d))
		return;
	memcpy(&d, sg[0].base, sizeof(d));
	d.offset8 = (uint16_t)(d.len8 + 1);
	memcpy(copy, &d, sizeof(d));
	if (sg[0].len > sizeof(d)) {
		for (i = *nsg; i > 0; i--)
			sg[i] = sg[i - 1];
		sg[1].base = (const uint8_t *)sg[0].base + sizeof(d);
		sg[1].len = sg[0].len - (uint32_t)sizeof(d);
		(*nsg)++;
	}
	sg[0].base = copy;
	sg[0].len = (uint32_t)sizeof(d);
	emu_net_log(q->nic, "fault bad-desc: offset8 %u > len8 %u", d.offset8,
		    d.len8);
}

int
emu_net_send(struct emu_net_queue *q, const struct hv_sg *sg_in,
	     unsigned int nsg)
{
	struct hv_sg sg[5];
	uint8_t hdr[sizeof(struct vmbus_pkt_desc)];
	bool sig = false;
	int rc;

	if (q->broken || nsg == 0 || nsg >= HV_ARRAY_SIZE(sg))
		return -EIO;
	memcpy(sg, sg_in, nsg * sizeof(sg[0]));
	if (hv_unlikely(q->nic->mut_armed != 0))
		emu_mutate_apply(q, sg, nsg);
	if (emu_fault_take(q->nic, EMU_FAULT_BAD_DESC))
		corrupt_desc(q, sg, &nsg, hdr);
	rc = vmbus_ring_write(&q->out, sg, nsg, &sig);
	if (rc == -EAGAIN) {
		uint32_t total = 0;
		unsigned int i;

		for (i = 0; i < nsg; i++)
			total += sg[i].len;
		/* Ask the guest to signal once it made room. */
		if (vmbus_ring_pending_send_set(&q->out, total) == 0)
			rc = vmbus_ring_write(&q->out, sg, nsg, &sig);
		q->out_waiting = rc == -EAGAIN;
	}
	if (rc == 0 && hv_unlikely(q->nic->mut_armed != 0))
		emu_mutate_after_write(q);
	if (rc == 0 && q->out_waiting) {
		vmbus_ring_pending_send_clear(&q->out);
		q->out_waiting = false;
	}
	if (rc == -EIO && !q->broken) {
		q->broken = true;
		emu_net_proto_error(q->nic, q, "host->guest ring indices corrupt, channel stopped");
	}
	if (sig)
		signal_guest(q);
	return rc;
}

/*
 * After one write of a batch: the guest's wait for room is over once
 * anything went in, and a signal goes at once (the guest may be asleep
 * on the packet just published). True: write on.
 */
static bool
send_batch_step(struct emu_net_queue *q, int rc, unsigned int done, bool sig)
{
	if (done != 0 && q->out_waiting) {
		vmbus_ring_pending_send_clear(&q->out);
		q->out_waiting = false;
	}
	if (sig)
		signal_guest(q);
	return rc == 0 && done != 0 && sig;
}

/* A batch's result: packets written, else the error (a corrupt ring
 * stops the channel). */
static int
send_batch_end(struct emu_net_queue *q, int rc, unsigned int total)
{
	if (rc == -EIO) {
		q->broken = true;
		emu_net_proto_error(q->nic, q, "host->guest ring indices corrupt, channel stopped");
	}
	return total != 0 ? (int)total : rc;
}

int
emu_net_send_many(struct emu_net_queue *q, const struct hv_sg *pkt,
		  unsigned int n)
{
	unsigned int done, total = 0;
	bool sig;
	int rc = 0;

	if (q->broken)
		return -EIO;
	while (total < n) {
		rc = vmbus_ring_write_many(&q->out, pkt + total, n - total,
					   &done, &sig);
		total += done;
		if (!send_batch_step(q, rc, done, sig))
			break;
	}
	return send_batch_end(q, rc, total);
}

int
emu_net_send_stamped(struct emu_net_queue *q, const void *tmpl, uint32_t len,
		     uint32_t id_off, const uint64_t *ids, unsigned int n)
{
	unsigned int done, total = 0;
	bool sig;
	int rc = 0;

	if (q->broken)
		return -EIO;
	while (total < n) {
		rc = vmbus_ring_write_stamped(&q->out, tmpl, len, id_off, ids + total,
					      n - total, &done, &sig);
		total += done;
		if (!send_batch_step(q, rc, done, sig))
			break;
	}
	return send_batch_end(q, rc, total);
}

int
emu_nic_rx_hold(struct emu_nic *nic)
{
	unsigned int i, held = 0;

	if (!emu_dev_is_open(nic->dev))
		return -ENETDOWN;
	for (i = 0; i < nic->q_end; i++) {
		struct emu_net_queue *q = nic->q[i];

		if (q == NULL || q->broken || q->held)
			continue;
		if (q->hold == NULL) {
			q->hold = calloc(1, sizeof(*q->hold));
			if (q->hold == NULL) {
				emu_nic_rx_publish(nic);
				return -ENOMEM;
			}
		}
		/* A corrupt index: not held, the next write reports it. */
		if (vmbus_ring_hold(&q->out, q->hold) == 0) {
			q->held = true;
			held++;
		}
	}
	return held != 0 ? 0 : -ENETDOWN;
}

void
emu_nic_rx_publish(struct emu_nic *nic)
{
	unsigned int i;
	bool sig;

	for (i = 0; i < nic->q_end; i++) {
		struct emu_net_queue *q = nic->q[i];

		if (q == NULL || !q->held)
			continue;
		q->held = false;
		if (vmbus_ring_publish(&q->out, q->hold, &sig) == 0 && sig)
			signal_guest(q);
	}
}

bool
emu_nic_rx_drained(const struct emu_nic *nic)
{
	unsigned int i;

	if (!emu_dev_is_open(nic->dev))
		return true;
	for (i = 0; i < nic->q_end; i++) {
		const struct emu_net_queue *q = nic->q[i];

		/* A stopped channel is read by nobody: not waited for. */
		if (q != NULL && !q->broken && !vmbus_ring_write_drained(&q->out))
			return false;
	}
	return true;
}

uint32_t
emu_nic_rx_bufs_out(const struct emu_nic *nic)
{
	return nic->rxbuf_on ? nic->sub_count - nic->sub_nfree : 0;
}

/* A descriptor of hdr_len bytes (or a builder's -errno) plus the message. */
static int
send_desc_msg(struct emu_net_queue *q, const uint8_t *hdr, int hdr_len,
	      const void *msg, size_t msg_len)
{
	struct hv_sg sg[2] = { { hdr, 0 }, { msg, (uint32_t)msg_len } };

	if (hdr_len < 0)
		return hdr_len;
	sg[0].len = (uint32_t)hdr_len;
	return emu_net_send(q, sg, msg_len != 0 ? 2 : 1);
}

int
emu_net_send_comp(struct emu_net_queue *q, uint64_t trans_id, const void *msg,
		  size_t msg_len)
{
	uint8_t hdr[sizeof(struct vmbus_pkt_desc)];

	return send_desc_msg(q, hdr, vmbus_pkt_build_comp(hdr, sizeof(hdr), msg_len,
							  trans_id),
			     msg, msg_len);
}

int
emu_net_send_inband(struct emu_net_queue *q, uint64_t trans_id, uint16_t flags,
		    const void *msg, size_t msg_len)
{
	uint8_t hdr[sizeof(struct vmbus_pkt_desc)];

	return send_desc_msg(q, hdr, vmbus_pkt_build_inband(hdr, sizeof(hdr), msg_len,
							    trans_id, flags),
			     msg, msg_len);
}

/* ---- Draining a guest->host ring ---- */

static void
handle_packet(struct emu_net_queue *q, uint32_t len)
{
	struct emu_nic *nic = q->nic;
	struct vmbus_pkt_info pi;
	uint16_t type;
	int rc;

	/* A page-buffer send takes one pass (emu_txgpa.c) when it can. */
	memcpy(&type, nic->pkt, sizeof(type));
	if (type == VMBUS_PKT_DATA_GPA_DIRECT && emu_tx_gpa_fast(q, len))
		return;
	/* A chimney send likewise (emu_txpath.c). */
	if (type == VMBUS_PKT_DATA_INBAND && emu_tx_inband_fast(q, len))
		return;
	emu_tx_gpa_forget(q);
	rc = vmbus_pkt_parse(nic->pkt, len, &pi);
	/* Anything but a receive completion (which frees receive-buffer
	 * sub-allocations only, never transmit memory) may change what
	 * the backend holds (a revoked buffer, a reset): it lets go of the
	 * guest's frames first. */
	if (rc != 0 || pi.type != VMBUS_PKT_COMPLETION)
		emu_nic_tx_release(nic, false);
	if (rc != 0) {
		emu_net_proto_error(nic, q, "VMBus packet type %u len %u: %s",
				    pi.type, len,
				    rc == -ENOTSUP ? "type not used by netvsc" :
						     "malformed descriptor");
		return;
	}
	switch (pi.type) {
	case VMBUS_PKT_COMPLETION:
		emu_rx_ack(q, &pi);
		break;
	case VMBUS_PKT_DATA_INBAND:
	case VMBUS_PKT_DATA_GPA_DIRECT:
		emu_nvsp_handle(q, &pi);
		break;
	default:
		emu_net_proto_error(nic, q, "VMBus packet type %u not sent by guests",
				    pi.type);
		break;
	}
}

/*
 * Room for a reply in the host->guest ring. *wr (UINT32_MAX: none) is
 * the write index at which the last call of this poll found room:
 * nothing written since, the guest can only have made more (a write
 * checks the indices again whatever this says).
 */
static bool
reply_room(struct emu_net_queue *q, uint32_t *wr)
{
	uint32_t avail = 0, now = hv_load_relaxed_u32(&q->out.hdr->write_index);

	if (now == *wr && now != UINT32_MAX)
		return true;
	*wr = UINT32_MAX;
	if (vmbus_ring_write_avail(&q->out, &avail) != 0)
		return false;
	if (avail >= EMU_NET_REPLY_ROOM) {
		*wr = now;
		return true;
	}
	/* Stop reading until the guest drained its receive ring. */
	if (!q->out_waiting &&
	    vmbus_ring_pending_send_set(&q->out, EMU_NET_REPLY_ROOM) == -EAGAIN)
		q->out_waiting = true;
	return false;
}

/*
 * Fetch-and-clear our own bit: other channels share the word. Every
 * tick looks at every open queue's bit, and the guest writes the same
 * cache line: a plain load first keeps the common "no doorbell" case
 * from taking the line exclusive with a locked RMW (which would also
 * slow the guest's next doorbell). A bit set between the load and the
 * next tick is seen one tick later; the tick is a busy poll, so that
 * is the latency of a host that polls, not a lost doorbell.
 */
static bool
take_bit(uint32_t *word, uint32_t mask)
{
	if ((__atomic_load_n(word, __ATOMIC_RELAXED) & mask) == 0)
		return false;
	return (__atomic_fetch_and(word, ~mask, __ATOMIC_ACQ_REL) & mask) != 0;
}

/*
 * Consume the guest's signals for q; true if one that wakes the host
 * reader came (monitor bit, or a uio write for a channel without a
 * monitor id). Int-page bits are only counted.
 */
static bool
take_doorbell(struct emu_nic *nic, struct emu_net_queue *q)
{
	bool rang = false;

	if (q->mon_word != NULL) {
		if (take_bit(q->mon_word, q->mon_mask)) {
			nic->qst[q->id].doorbells++;
			rang = true;
		}
	} else if (q->uio_doorbell && q->uio_kicks_seen != nic->uio_kicks) {
		q->uio_kicks_seen = nic->uio_kicks;
		rang = true;
	}
	if (q->int_word != NULL && take_bit(q->int_word, q->int_mask))
		nic->qst[q->id].doorbells++;
	return rang;
}

/* Where q's guest signals land (take_doorbell), once per open. */
static void
find_doorbell_words(struct emu_net_queue *q)
{
	struct vmbus_monitor_page *mp = emu_dev_monitor_page(q->nic->dev);
	uint8_t *ip = emu_dev_map(q->nic->dev, HV_UIO_MAP_INT_PAGE, NULL);
	uint32_t id = emu_chan_monitor_id(q->ch);

	q->uio_doorbell = id >= VMBUS_MONITOR_ID_MAX;
	if (id < VMBUS_MONITOR_ID_MAX && mp != NULL)
		q->mon_word = hv_chan_monitor_word(mp, id, &q->mon_mask);
	if (ip != NULL)
		q->int_word = hv_chan_int_page_word(ip, emu_chan_relid(q->ch),
						    &q->int_mask);
}

/* An armed ring without its doorbell stalls; count each stall once.
 * queue_poll answers the common case, an empty ring, itself. */
static __attribute__((noinline)) void
watch_unsignalled(struct emu_net_queue *q)
{
	uint32_t avail = 0;
	uint64_t now;

	if (vmbus_ring_read_avail(&q->in, &avail) != 0 || avail == 0) {
		q->unsignalled_ns = 0;
		return;
	}
	now = emu_net_now_ns();
	if (q->unsignalled_ns == 0) {
		q->unsignalled_ns = now;
		return;
	}
	if (q->missed ||
	    now - q->unsignalled_ns < EMU_NET_DOORBELL_GRACE_MS * 1000000ull)
		return;
	q->missed = true;
	q->nic->qst[q->id].missed_doorbells++;
	emu_net_log(q->nic, "relid %u: missed doorbell: %u bytes left in the guest->host ring without a signal; the ring stalls (--doorbell-mode=poll reads it anyway)",
		    emu_chan_relid(q->ch), avail);
}

/* Out of line: an idle poll (queue_poll) then needs no registers and
 * stack of the read loop. */
static __attribute__((noinline)) void
queue_read(struct emu_net_queue *q)
{
	struct emu_nic *nic = q->nic;
	bool sig = false;
	unsigned int n;
	uint32_t len, room_wr = UINT32_MAX;
	int rc = 0;

	q->armed = false;
	q->unsignalled_ns = 0;
	q->missed = false;
	vmbus_ring_intr_mask(&q->in);
	emu_tx_gpa_forget(q);
	for (n = 0; n < EMU_NET_BATCH && !q->broken && reply_room(q, &room_wr) &&
		    emu_tx_comp_room(q); n++) {
		rc = vmbus_ring_read_inline(&q->in, nic->pkt, VMBUS_PKT_MAX_LEN, &len);
		if (rc != 0)
			break;
		handle_packet(q, len);
	}
	if (rc == -EIO) {
		q->broken = true;
		emu_net_proto_error(nic, q, "guest->host ring corrupt (bad index or descriptor), channel stopped");
		return;
	}
	if (vmbus_ring_commit(&q->in, &sig) == 0 && sig)
		signal_guest(q);
	/* Still reading (batch limit, no room for replies): the mask stays
	 * set, so the guest need not ring. */
	if (rc != -EAGAIN || q->broken)
		return;
	/* Drained. A packet that raced the unmask is read without a
	 * doorbell (the guest saw the mask set); otherwise wait for one. */
	if (!vmbus_ring_intr_unmask(&q->in))
		q->armed = true;
}

static inline void
queue_poll(struct emu_net_queue *q)
{
	if (q->broken)
		return;
	if (!take_doorbell(q->nic, q) && q->armed &&
	    !q->nic->net->cfg.doorbell_poll) {
		/* Empty: what vmbus_ring_read_avail would say, without it. */
		if (hv_load_acquire_u32(&q->in.hdr->write_index) ==
		    q->in.priv_index)
			q->unsignalled_ns = 0;
		else
			watch_unsignalled(q);
		return;
	}
	queue_read(q);
}

static void
nic_tick(struct emu_nic *nic)
{
	unsigned int i;

	if (nic->be != NULL && nic->be->ops->poll != NULL)
		nic->be->ops->poll(nic->be);
	if (nic->vf != NULL)
		emu_vf_tick(nic);
	if (!emu_dev_is_open(nic->dev))
		return;
	/* Every poll: look at the open queues' slots only, not all 64. */
	for (i = 0; i < nic->q_end; i++) {
		if (nic->q[i] == NULL)
			continue;
		queue_poll(nic->q[i]);
		/* Frames the backend holds go back now, before their
		 * completions (the loopback's one copy). */
		emu_nic_tx_release(nic, true);
		if (nic->q[i]->comp_n != 0)
			emu_tx_comp_flush(nic->q[i]);
	}
	/* The two below do nothing unless one of these is set: an idle
	 * poll skips the calls (and emu_ctrl_flush's clock read). */
	if (nic->subch_offer_pending || nic->txtbl_pending)
		emu_nvsp_tick(nic);
	if (nic->ctrl_head != NULL || nic->link_pending != EMU_LINK_NONE ||
	    nic->vf_offered)
		emu_ctrl_flush(nic);
}

static void
net_tick(void *arg)
{
	struct emu_net *net = arg;
	unsigned int i;

	net->now_valid = false;
	for (i = 0; i < net->nnics; i++)
		nic_tick(net->nic[i]);
}

/* ---- Channel life cycle ---- */

static struct emu_nic *
nic_of_chan(const struct emu_chan *ch)
{
	return emu_dev_priv(emu_chan_dev(ch));
}

static void
queue_destroy(struct emu_nic *nic, unsigned int id)
{
	struct emu_net_queue *q = nic->q[id];

	if (q == NULL)
		return;
	emu_chan_set_priv(q->ch, NULL);
	nic->q[id] = NULL;
	emu_tx_comp_free(q);
	free(q->hold);
	free(q);
	while (nic->q_end > 0 && nic->q[nic->q_end - 1] == NULL)
		nic->q_end--;
}

static int
queue_create(struct emu_nic *nic, struct emu_chan *ch)
{
	unsigned int id = emu_chan_subchan_id(ch);
	struct emu_ring in = emu_chan_g2h(ch), out = emu_chan_h2g(ch);
	struct emu_net_queue *q;

	if (id >= EMU_NET_MAX_QUEUES)
		return -ERANGE;
	queue_destroy(nic, id);
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->nic = nic;
	q->ch = ch;
	q->id = id;
	/* A subchannel offered after the host stopped the session. */
	q->broken = id != 0 && nic->stopped;
	/* A fresh ring: empty, unmasked, its first packet must ring. */
	q->armed = true;
	q->uio_kicks_seen = nic->uio_kicks;
	if (vmbus_ring_attach(&q->in, in.hdr, in.data, in.data_size) != 0 ||
	    vmbus_ring_attach(&q->out, out.hdr, out.data, out.data_size) != 0) {
		free(q);
		return -EIO;
	}
	find_doorbell_words(q);
	emu_chan_set_priv(ch, q);
	nic->q[id] = q;
	if (id >= nic->q_end)
		nic->q_end = id + 1;
	return 0;
}

static void
svc_chan_open(void *arg, struct emu_chan *ch)
{
	struct emu_nic *nic = nic_of_chan(ch);

	(void)arg;
	if (nic == NULL)
		return;
	/* A primary open is a new guest session: forget the old one. */
	if (emu_chan_subchan_id(ch) == 0)
		emu_nvsp_session_reset(nic);
	if (queue_create(nic, ch) != 0)
		emu_net_log(nic, "relid %u: cannot attach the rings",
			    emu_chan_relid(ch));
	else
		emu_net_trace(nic, nic->q[emu_chan_subchan_id(ch)], "channel open");
}

static void
svc_chan_close(void *arg, struct emu_chan *ch)
{
	struct emu_nic *nic = nic_of_chan(ch);
	unsigned int id = emu_chan_subchan_id(ch);

	(void)arg;
	if (nic == NULL || id >= EMU_NET_MAX_QUEUES)
		return;
	emu_net_trace(nic, nic->q[id], "channel close");
	queue_destroy(nic, id);
	if (id == 0)
		emu_nvsp_session_reset(nic);
}

static void
svc_doorbell(void *arg, struct emu_dev *dev, uint32_t value)
{
	struct emu_nic *nic = emu_dev_priv(dev);

	(void)arg;
	/* The kernel turns an enabling write into a signal of each channel
	 * without a monitor id. */
	if (nic != NULL && value == HV_UIO_IRQ_ENABLE) {
		nic->qst[0].doorbells++;
		nic->uio_kicks++;
	}
}

static const struct emu_service_ops net_service_ops = {
	.chan_open = svc_chan_open,
	.chan_close = svc_chan_close,
	.doorbell = svc_doorbell,
};

/* ---- Attach / detach ---- */

void
emu_net_config_defaults(struct emu_net_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_nvsp_version = NVSP_VERSION_61;
	cfg->max_queues = 8;
	cfg->link_speed = 100000000u; /* 10 Gb/s */
	cfg->csum_offload = true;
	cfg->lso_offload = true;
	cfg->send_section_size = 6144;
	cfg->rx_max_ranges = EMU_NET_RX_RANGES_DEFAULT;
	cfg->subch_delay_ms = 200;
	cfg->subch_jitter_ms = 200;
	cfg->resp_size_pre61 = NVSP_RESP_SIZE_V61;
	cfg->link_coalesce_ms = 5000;
	cfg->tx_max_pending = EMU_NET_TX_PENDING_DEFAULT;
	cfg->tx_comp_delay_us = EMU_NET_TX_COMP_DELAY_DEFAULT_US;
}

static int
config_check(const struct emu_net_config *c, const struct emu_config *hc)
{
	if (!nvsp_version_supported(c->max_nvsp_version))
		return -EINVAL;
	if (c->max_queues == 0 || c->max_queues > EMU_NET_MAX_QUEUES)
		return -EINVAL;
	/* The packet being assembled has room for this many ranges. */
	if (c->rx_max_ranges > EMU_NET_RX_RANGES_MAX)
		return -EINVAL;
	if ((c->resp_size_pre61 != NVSP_RESP_SIZE_V1 &&
	     c->resp_size_pre61 != NVSP_RESP_SIZE_V61) ||
	    (c->lenient & ~EMU_LENIENT_ALL) != 0 ||
	    c->tx_max_pending > EMU_NET_TX_PENDING_MAX ||
	    c->subch_grant_max >= EMU_NET_MAX_QUEUES)
		return -EINVAL;
	/* Guests want a non-zero multiple of 4 they can aggregate into. */
	if (c->send_section_size < NVSP_MIN_SECTION_SIZE ||
	    c->send_section_size % 4 != 0 ||
	    c->send_section_size > EMU_NET_FRAME_MAX ||
	    c->send_section_size > hc->send_size)
		return -EINVAL;
	return 0;
}

static void
nic_free(struct emu_nic *nic)
{
	unsigned int i;

	if (nic == NULL)
		return;
	for (i = 0; i < EMU_NET_MAX_QUEUES; i++)
		queue_destroy(nic, i);
	emu_ctrl_clear(nic);
	emu_rxbuf_teardown(nic);
	emu_vf_free(nic);
	if (nic->be != NULL && nic->be->ops->destroy != NULL)
		nic->be->ops->destroy(nic->be);
	free(nic->pkt);
	free(nic->gather);
	free(nic->frame);
	free(nic->seg);
	free(nic->tagged);
	emu_rx_batch_free(nic);
	free(nic);
}

static int
nic_create(struct emu_net *net, struct emu_dev *dev, struct emu_nic **out)
{
	struct emu_nic *nic = calloc(1, sizeof(*nic));

	if (nic == NULL)
		return -ENOMEM;
	nic->net = net;
	nic->dev = dev;
	nic->idx = emu_dev_index(dev);
	nic->trace = net->cfg.trace;
	nic->ctrl_delay_ms = net->cfg.ctrl_delay_ms;
	nic->tx_comp_delay_ns = (uint64_t)net->cfg.tx_comp_delay_us * 1000u;
	nic->rx_frame_off = (net->cfg.lenient & EMU_LENIENT_RX_EXACT) ? 0 :
			    EMU_NET_RX_HEADROOM;
	nic->link_up = true;
	nic->link_speed = net->cfg.link_speed;
	nic->pkt = malloc(VMBUS_PKT_MAX_LEN);
	nic->gather = malloc(EMU_NET_GATHER_MAX);
	nic->frame = malloc(EMU_NET_FRAME_MAX);
	nic->seg = malloc(EMU_NET_FRAME_MAX);
	nic->tagged = malloc(EMU_NET_FRAME_MAX + EMU_VLAN_HLEN);
	nic->rxb = calloc(1, sizeof(*nic->rxb));
	nic->rx_max_ranges = net->cfg.rx_max_ranges != 0 ?
				     net->cfg.rx_max_ranges :
				     EMU_NET_RX_RANGES_DEFAULT;
	if (nic->pkt == NULL || nic->gather == NULL || nic->frame == NULL ||
	    nic->seg == NULL || nic->tagged == NULL || nic->rxb == NULL) {
		nic_free(nic);
		return -ENOMEM;
	}
	emu_nvsp_session_reset(nic);
	*out = nic;
	return 0;
}

static void
net_free(struct emu_net *net)
{
	unsigned int i;

	for (i = 0; i < net->nnics; i++) {
		emu_dev_set_priv(net->nic[i]->dev, NULL);
		nic_free(net->nic[i]);
	}
	free(net);
}

static struct emu_net *
net_of_host(struct emu_host *h)
{
	struct emu_dev *dev = emu_host_dev(h, 0);
	struct emu_nic *nic = dev != NULL ? emu_dev_priv(dev) : NULL;

	return nic != NULL ? nic->net : NULL;
}

int
emu_net_attach(struct emu_host *h, const struct emu_net_config *cfg)
{
	struct emu_net *net;
	unsigned int i;
	int rc;

	if (h == NULL || cfg == NULL || net_of_host(h) != NULL)
		return -EINVAL;
	rc = config_check(cfg, emu_host_config(h));
	if (rc != 0)
		return rc;
	net = calloc(1, sizeof(*net));
	if (net == NULL)
		return -ENOMEM;
	net->host = h;
	net->cfg = *cfg;
	for (i = 0; i < emu_host_ndevs(h) && i < EMU_MAX_NICS; i++) {
		rc = nic_create(net, emu_host_dev(h, i), &net->nic[i]);
		if (rc != 0) {
			net_free(net);
			return rc;
		}
		net->nnics++;
		emu_dev_set_priv(emu_host_dev(h, i), net->nic[i]);
	}
	emu_host_set_service(h, &net_service_ops, net);
	emu_loop_set_tick(emu_host_loop(h), 0, net_tick, net);
	return 0;
}

void
emu_net_detach(struct emu_host *h)
{
	struct emu_net *net = h != NULL ? net_of_host(h) : NULL;

	if (net == NULL)
		return;
	emu_loop_set_tick(emu_host_loop(h), -1, NULL, NULL);
	emu_host_set_service(h, NULL, NULL);
	net_free(net);
}

void
emu_net_set_log(struct emu_host *h, emu_net_log_fn fn, void *arg)
{
	struct emu_net *net = net_of_host(h);

	if (net == NULL)
		return;
	net->log = fn;
	net->log_arg = arg;
}

struct emu_nic *
emu_net_nic(struct emu_host *h, unsigned int idx)
{
	struct emu_dev *dev = emu_host_dev(h, idx);

	return dev != NULL ? emu_dev_priv(dev) : NULL;
}

struct emu_dev *
emu_nic_dev(const struct emu_nic *nic)
{
	return nic->dev;
}

const uint8_t *
emu_nic_mac(const struct emu_nic *nic)
{
	return emu_dev_mac(nic->dev);
}

void
emu_nic_tx_release_slow(struct emu_nic *nic, bool deliver)
{
	struct emu_backend *be = nic->be;

	nic->be_held = false;
	if (be != NULL && be->ops->release != NULL)
		be->ops->release(be, deliver);
}

void
emu_nic_set_backend(struct emu_nic *nic, struct emu_backend *be)
{
	emu_nic_tx_release(nic, false);
	if (nic->be != NULL && nic->be != be && nic->be->ops->destroy != NULL)
		nic->be->ops->destroy(nic->be);
	nic->be = be;
	if (be != NULL)
		be->nic = nic;
}

void
emu_nic_set_trace(struct emu_nic *nic, bool on)
{
	nic->trace = on;
}

void
emu_nic_set_ctrl_delay(struct emu_nic *nic, unsigned int ms)
{
	nic->ctrl_delay_ms = ms;
}

void
emu_nic_set_tx_comp_delay(struct emu_nic *nic, uint64_t us)
{
	nic->tx_comp_delay_ns = us > UINT64_MAX / 1000u ? UINT64_MAX : us * 1000u;
}

int
emu_nic_rescind(struct emu_nic *nic)
{
	int rc = emu_dev_rescind(nic->dev);

	/* The channel-close hook already ended the session. */
	if (rc == 0)
		emu_net_log(nic, "rescinded");
	return rc;
}

int
emu_nic_reoffer(struct emu_nic *nic)
{
	unsigned int i;
	int rc = emu_dev_reoffer(nic->dev, nic->net->cfg.reoffer_ring_delay_ms);

	if (rc != 0)
		return rc;
	/* A new device instance: nothing of an old session may leak into
	 * it, whatever the order of close hooks was. */
	for (i = 0; i < EMU_NET_MAX_QUEUES; i++)
		queue_destroy(nic, i);
	emu_nvsp_session_reset(nic);
	emu_net_log(nic, "re-offered");
	return 0;
}
