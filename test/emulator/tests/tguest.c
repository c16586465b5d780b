/* SPDX-License-Identifier: BSD-3-Clause */
/* The test guest of tguest.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv_sg.h"
#include "nvsp_msg.h"
#include "tguest.h"

int
tg_send(struct tg_chan *c, const void *hdr, size_t hlen, const void *msg,
	size_t mlen)
{
	struct hv_sg sg[2] = { { hdr, (uint32_t)hlen }, { msg, (uint32_t)mlen } };
	bool sig = false;
	int rc = vmbus_ring_write(c->tx, sg, mlen != 0 ? 2 : 1, &sig);

	if (rc != 0 || !sig)
		return rc;
	if (c->mute || c->doorbell == NULL) {
		c->unsignalled++;
		return 0;
	}
	c->doorbell(c->doorbell_arg);
	c->doorbells++;
	return 0;
}

int
tg_send_inband(struct tg_chan *c, const void *msg, size_t len, uint64_t id,
	       bool rc)
{
	uint8_t hdr[16];
	int hl = vmbus_pkt_build_inband(hdr, sizeof(hdr), len, id,
					rc ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0);

	return hl < 0 ? hl : tg_send(c, hdr, (size_t)hl, msg, len);
}

int
tg_send_gpa(struct tg_chan *c, const void *msg, size_t len, uint64_t gpa,
	    uint32_t range_len, uint64_t id)
{
	struct vmbus_pkt_page pg = {
		.pfn = gpa / HV_PAGE_SIZE,
		.byte_offset = (uint32_t)(gpa % HV_PAGE_SIZE),
		.byte_count = range_len,
	};
	uint8_t hdr[64];
	int hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), &pg, 1, len, id,
					   VMBUS_PKT_FLAG_COMPLETION_REQUESTED);

	return hl < 0 ? hl : tg_send(c, hdr, (size_t)hl, msg, len);
}

int
tg_ack(struct tg_chan *c, uint64_t id)
{
	uint8_t hdr[16], m[NVSP_REQ_SIZE];
	int ml = nvsp_build_rndis_pkt_complete(m, sizeof(m), NVSP_STATUS_SUCCESS);
	int hl;

	if (ml < 0)
		return ml;
	hl = vmbus_pkt_build_comp(hdr, sizeof(hdr), (size_t)ml, id);
	return hl < 0 ? hl : tg_send(c, hdr, (size_t)hl, m, (size_t)ml);
}

int
tg_recv(struct tg_chan *c, struct vmbus_pkt_info *pi)
{
	uint32_t len;
	bool sig;
	int rc = vmbus_ring_read(c->rx, c->pkt, c->pkt_size, &len);

	if (rc != 0)
		return rc;
	rc = vmbus_ring_commit(c->rx, &sig);
	if (rc != 0)
		return rc;
	return vmbus_pkt_parse(c->pkt, len, pi);
}

static int why(struct tg_session *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
why(struct tg_session *s, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(s->why))
		snprintf(s->why + n, sizeof(s->why) - (size_t)n, ": %s (%d)",
			 strerror(-rc), rc);
	return rc;
}

static int
send_out(struct tg_session *s)
{
	const struct hv_bu_out *o = &s->out;
	int rc;

	if (o->send_kind == HV_BU_SEND_INBAND)
		rc = tg_send_inband(s->chan, o->msg, o->msg_len, o->trans_id,
				    o->completion_requested);
	else if (o->send_kind == HV_BU_SEND_RNDIS)
		rc = tg_send_gpa(s->chan, o->msg, o->msg_len, o->rndis_gpa,
				 o->rndis_len, o->trans_id);
	else
		rc = -EINVAL;
	return rc != 0 ? why(s, rc, "sending in state %s",
			     hv_bringup_state_name(s->b.state)) : 0;
}

/* Step with one input; a refusal fails the run. Sends what it asks. */
static int
step(struct tg_session *s, const struct hv_bu_in *in, const char *what)
{
	int rc = hv_bringup_step(&s->b, in, &s->out);

	if (rc != 0)
		return why(s, rc, "the session refused the host's %s in state %s",
			   what, hv_bringup_state_name(s->b.state));
	if (s->out.action == HV_BU_SEND) {
		rc = send_out(s);
		if (rc == 0)
			rc = step(s, NULL, "nothing");
	}
	return rc;
}

/* Every RNDIS message of a transfer-page packet, validated, then ACKed. */
static int
feed_xfer(struct tg_session *s, const struct vmbus_pkt_info *pi)
{
	struct hv_bu_in in = { .type = HV_BU_IN_RNDIS, .buf = s->msg };
	struct vmbus_xfer_page_range r;
	uint32_t i;
	int rc;

	for (i = 0; i < pi->range_count; i++) {
		rc = vmbus_pkt_xfer_range(pi, i, &r);
		if (rc == 0)
			rc = vmbus_pkt_xfer_range_check(&r, s->recv_size);
		if (rc == 0 && r.byte_count > sizeof(s->msg))
			rc = -EMSGSIZE;
		if (rc != 0)
			return why(s, rc, "transfer-page range %u of %u", i,
				   pi->range_count);
		memcpy(s->msg, s->recvbuf + r.byte_offset, r.byte_count);
		in.len = r.byte_count;
		rc = step(s, &in, "RNDIS message");
		if (rc != 0)
			return rc;
	}
	rc = tg_ack(s->chan, pi->trans_id);
	return rc != 0 ? why(s, rc, "receive ACK") : 0;
}

int
tg_session_run(struct tg_session *s)
{
	struct vmbus_pkt_info pi;
	struct hv_bu_in in;
	unsigned int idle = 0;
	int rc;

	s->why[0] = '\0';
	rc = step(s, NULL, "nothing");
	while (rc == 0 && s->out.action == HV_BU_WAIT) {
		rc = tg_recv(s->chan, &pi);
		if (rc == -EAGAIN) {
			if (!s->wait(s->wait_arg, ++idle)) {
				rc = 0;
				continue;
			}
			idle = 0;
			in = (struct hv_bu_in){ .type = HV_BU_IN_TIMEOUT };
			rc = step(s, &in, "timeout");
			continue;
		}
		if (rc != 0)
			return why(s, rc, "reading the host->guest ring");
		idle = 0;
		if (pi.type == VMBUS_PKT_DATA_XFER_PAGES) {
			rc = feed_xfer(s, &pi);
			continue;
		}
		in = (struct hv_bu_in){
			.type = HV_BU_IN_NVSP,
			.completion = pi.type == VMBUS_PKT_COMPLETION,
			.trans_id = pi.trans_id,
			.buf = pi.payload,
			.len = pi.payload_len,
		};
		rc = step(s, &in, "NVSP message");
	}
	if (rc != 0)
		return rc;
	if (s->out.action == HV_BU_ERROR) {
		snprintf(s->why, sizeof(s->why), "%s in state %s (%d)",
			 hv_bringup_error_name(s->out.error),
			 hv_bringup_state_name(s->out.state), s->out.err);
		return -EIO;
	}
	return 0;
}

int
tg_bring_up(struct tg_session *s, const struct hv_bringup_cfg *cfg)
{
	int rc = hv_bringup_start(&s->b, cfg);

	if (rc != 0)
		return why(s, rc, "hv_bringup_start");
	return tg_session_run(s);
}
