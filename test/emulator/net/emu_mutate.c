/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generic faults on host->guest messages, for hardening tests of any
 * guest without changing the emulator:
 *   - mutate: write a value into a field (by name or byte offset) of the
 *     next N messages of a kind, just before they go into the ring;
 *   - reply delay/drop: hold the next N control replies of a kind for a
 *     time of their own (or for ever), or drop them.
 * Applied in emu_net_send (every packet the host writes passes there)
 * and in the control queue. Nothing here runs unless a fault is armed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu_net_priv.h"

struct mut_field {
	const char *name;
	uint32_t off;
	uint8_t width;
};

#define F_END { NULL, 0, 0 }
#define F_TRANS_ID { "trans-id", EMU_MUT_OFF_TRANS_ID, 8 }

/* NVSP messages: offsets in the NVSP payload; "status" is at 12 in
 * INIT_COMPLETE and at 4 in every other completion. */
static const struct mut_field nvsp_fields[] = {
	{ "type", 0, 4 }, { "status", EMU_MUT_OFF_STATUS, 4 }, F_TRANS_ID, F_END,
};
static const struct mut_field rndis_comp_fields[] = {
	{ "type", 0, 4 }, { "msg-len", 4, 4 }, { "rid", 8, 4 },
	{ "status", 12, 4 }, F_END,
};
static const struct mut_field ind_fields[] = {
	{ "type", 0, 4 }, { "msg-len", 4, 4 }, { "status", 8, 4 },
	{ "buf-len", 12, 4 }, { "buf-off", 16, 4 }, F_END,
};
/* Descriptor (16), transfer-page header (8), then the ranges. */
static const struct mut_field xfer_fields[] = {
	{ "type", 0, 2 }, { "offset8", 2, 2 }, { "len8", 4, 2 },
	{ "flags", 6, 2 }, { "trans-id", 8, 8 }, { "pageset", 16, 2 },
	{ "range-count", 20, 4 }, { "range0-len", 24, 4 },
	{ "range0-off", 28, 4 }, F_END,
};
/* PACKET_MSG header (44 bytes), then the first PPI element. */
static const struct mut_field rndis_data_fields[] = {
	{ "type", 0, 4 }, { "msg-len", 4, 4 }, { "data-off", 8, 4 },
	{ "data-len", 12, 4 }, { "ppi-off", 28, 4 }, { "ppi-len", 32, 4 },
	{ "ppi0-size", 44, 4 }, { "ppi0-type", 48, 4 }, { "ppi0-off", 52, 4 },
	F_END,
};
static const struct mut_field ring_fields[] = {
	{ "h2g-write", EMU_MUT_OFF_H2G_WRITE, 4 },
	{ "g2h-read", EMU_MUT_OFF_G2H_READ, 4 }, F_END,
};

static const struct {
	const char *name;
	const struct mut_field *fields;
	bool raw;  /* byte offsets allowed */
} kinds[EMU_MUT_KINDS] = {
	[EMU_MUT_NVSP] = { "nvsp", nvsp_fields, true },
	[EMU_MUT_TX_COMP] = { "tx-comp", nvsp_fields, true },
	[EMU_MUT_RNDIS_COMP] = { "rndis-comp", rndis_comp_fields, true },
	[EMU_MUT_IND] = { "indication", ind_fields, true },
	[EMU_MUT_XFER] = { "xfer", xfer_fields, true },
	[EMU_MUT_RNDIS_DATA] = { "rndis-data", rndis_data_fields, true },
	[EMU_MUT_RING] = { "ring", ring_fields, false },
};

/* "OFF[/WIDTH]": a byte offset below 64 KiB, width 1, 2, 4 or 8. */
static int
parse_raw(const char *s, uint32_t *off, uint8_t *width)
{
	unsigned long v, w = 4;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || s[0] == '-' || v >= EMU_MUT_OFF_TRANS_ID)
		return -EINVAL;
	if (*end == '/') {
		const char *ws = end + 1;

		w = strtoul(ws, &end, 10);
		if (end == ws)
			return -EINVAL;
	}
	if (*end != '\0' || (w != 1 && w != 2 && w != 4 && w != 8))
		return -EINVAL;
	*off = (uint32_t)v;
	*width = (uint8_t)w;
	return 0;
}

int
emu_nic_mutate(struct emu_nic *nic, const char *kind, const char *field,
	       uint64_t value, unsigned int count)
{
	const struct mut_field *f;
	struct emu_mut_slot *s = NULL;
	unsigned int k, i;
	uint32_t off = 0;
	uint8_t width = 0;

	if (nic == NULL || kind == NULL || field == NULL)
		return -EINVAL;
	for (k = 0; k < EMU_MUT_KINDS; k++)
		if (strcmp(kind, kinds[k].name) == 0)
			break;
	if (k == EMU_MUT_KINDS)
		return -EINVAL;
	for (f = kinds[k].fields; f->name != NULL; f++)
		if (strcmp(field, f->name) == 0)
			break;
	if (f->name != NULL) {
		off = f->off;
		width = f->width;
	} else if (!kinds[k].raw || parse_raw(field, &off, &width) != 0) {
		return -EINVAL;
	}
	if (width < 8 && value >> (8u * width) != 0)
		return -ERANGE;
	if (count == 0)
		return 0;
	for (i = 0; i < EMU_MUT_SLOTS && s == NULL; i++)
		if (nic->mut[i].count == 0)
			s = &nic->mut[i];
	if (s == NULL)
		return -ENOSPC;
	*s = (struct emu_mut_slot){ .count = count, .kind = (uint8_t)k,
				    .width = width, .off = off, .value = value };
	nic->mut_armed++;
	emu_net_log(nic, "fault mutate armed: %s %s = 0x%llx for %u message(s)",
		    kind, field, (unsigned long long)value, count);
	return 0;
}

static void
put_le(uint8_t *p, uint64_t v, uint8_t width)
{
	uint8_t i;

	for (i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8u * i));
}

static void
consume(struct emu_nic *nic, struct emu_mut_slot *s)
{
	nic->st.mutated++;
	emu_net_log(nic, "fault mutate: %s byte %u width %u = 0x%llx",
		    kinds[s->kind].name, s->off, s->width,
		    (unsigned long long)s->value);
	if (--s->count == 0)
		nic->mut_armed--;
}

/* Patch [off, off + width) of a buffer of len bytes, if it fits. */
static bool
patch(uint8_t *buf, uint32_t len, const struct emu_mut_slot *s)
{
	if (buf == NULL || s->off > len || len - s->off < s->width)
		return false;
	put_le(buf + s->off, s->value, s->width);
	return true;
}

/* Element i of sg as a private, writable copy (once per packet). */
static uint8_t *
own_copy(struct emu_nic *nic, struct hv_sg *sg, unsigned int nsg,
	 unsigned int i, bool *owned)
{
	if (i >= nsg || i >= 2 || sg[i].len > sizeof(nic->mut_buf[0]))
		return NULL;
	if (!owned[i]) {
		memcpy(nic->mut_buf[i], sg[i].base, sg[i].len);
		sg[i].base = nic->mut_buf[i];
		owned[i] = true;
	}
	return nic->mut_buf[i];
}

/* The RNDIS message of the first range of a transfer-page packet. */
static uint8_t *
first_range_msg(struct emu_nic *nic, const struct hv_sg *sg, uint32_t *len)
{
	struct vmbus_xfer_page_range r;
	uint32_t count;

	if (sg[0].len < sizeof(struct vmbus_xfer_page_hdr) + sizeof(r) ||
	    !nic->rxbuf_on)
		return NULL;
	memcpy(&count, (const uint8_t *)sg[0].base + 20, sizeof(count));
	memcpy(&r, (const uint8_t *)sg[0].base + sizeof(struct vmbus_xfer_page_hdr),
	       sizeof(r));
	if (count == 0 || r.byte_offset > nic->rxbuf_size ||
	    nic->rxbuf_size - r.byte_offset < r.byte_count)
		return NULL;
	*len = r.byte_count;
	return nic->rxbuf + r.byte_offset;
}

/* Kinds this packet belongs to (bit per enum emu_mut_kind). */
static uint32_t
classify(struct emu_nic *nic, const struct hv_sg *sg, unsigned int nsg)
{
	uint16_t type;
	uint32_t w = 0, len = 0;
	const uint8_t *m;

	memcpy(&type, sg[0].base, sizeof(type));
	if (nsg >= 2 && sg[1].len >= 8)
		memcpy(&w, (const uint8_t *)sg[1].base +
		       (type == VMBUS_PKT_DATA_XFER_PAGES ? 4 : 0), sizeof(w));
	switch (type) {
	case VMBUS_PKT_COMPLETION:
		return w == NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE ?
			       1u << EMU_MUT_TX_COMP : 1u << EMU_MUT_NVSP;
	case VMBUS_PKT_DATA_INBAND:
		return 1u << EMU_MUT_NVSP;
	case VMBUS_PKT_DATA_XFER_PAGES:
		if (w == NVSP_CHANNEL_TYPE_DATA)
			return 1u << EMU_MUT_XFER | 1u << EMU_MUT_RNDIS_DATA;
		m = first_range_msg(nic, sg, &len);
		if (m == NULL || len < 4)
			return 0;
		memcpy(&w, m, sizeof(w));
		return w == RNDIS_MSG_INDICATE_STATUS ? 1u << EMU_MUT_IND :
							1u << EMU_MUT_RNDIS_COMP;
	default:
		return 0;
	}
}

static bool
apply_one(struct emu_net_queue *q, struct emu_mut_slot *s, struct hv_sg *sg,
	  unsigned int nsg, bool *owned)
{
	struct emu_nic *nic = q->nic;
	uint32_t len = 0;
	uint8_t *p;

	switch (s->kind) {
	case EMU_MUT_NVSP:
	case EMU_MUT_TX_COMP:
		if (s->off == EMU_MUT_OFF_TRANS_ID) {
			p = own_copy(nic, sg, nsg, 0, owned);
			return p != NULL && sg[0].len >= 16 &&
			       (put_le(p + 8, s->value, 8), true);
		}
		p = own_copy(nic, sg, nsg, 1, owned);
		if (p != NULL && s->off == EMU_MUT_OFF_STATUS) {
			struct emu_mut_slot at = *s;
			uint32_t type;

			memcpy(&type, p, sizeof(type));
			at.off = type == NVSP_MSG_TYPE_INIT_COMPLETE ? 12u : 4u;
			return patch(p, sg[1].len, &at);
		}
		return p != NULL && patch(p, sg[1].len, s);
	case EMU_MUT_XFER:
		p = own_copy(nic, sg, nsg, 0, owned);
		return p != NULL && patch(p, sg[0].len, s);
	case EMU_MUT_RNDIS_DATA:
	case EMU_MUT_RNDIS_COMP:
	case EMU_MUT_IND:
		/* The message is in the receive buffer: patch it there. */
		p = first_range_msg(nic, sg, &len);
		return patch(p, len, s);
	default:
		return false;
	}
}

void
emu_mutate_apply(struct emu_net_queue *q, struct hv_sg *sg, unsigned int nsg)
{
	struct emu_nic *nic = q->nic;
	bool owned[2] = { false, false };
	uint32_t kinds_of;
	unsigned int i;

	if (nsg == 0 || sg[0].len < sizeof(struct vmbus_pkt_desc))
		return;
	kinds_of = classify(nic, sg, nsg);
	/* The receive-buffer kinds read the ranges: before xfer patches. */
	for (i = 0; i < EMU_MUT_SLOTS; i++) {
		struct emu_mut_slot *s = &nic->mut[i];

		if (s->count != 0 && s->kind != EMU_MUT_XFER &&
		    (kinds_of & (1u << s->kind)) && apply_one(q, s, sg, nsg, owned))
			consume(nic, s);
	}
	for (i = 0; i < EMU_MUT_SLOTS; i++) {
		struct emu_mut_slot *s = &nic->mut[i];

		if (s->count != 0 && s->kind == EMU_MUT_XFER &&
		    (kinds_of & (1u << s->kind)) && apply_one(q, s, sg, nsg, owned))
			consume(nic, s);
	}
}

void
emu_mutate_after_write(struct emu_net_queue *q)
{
	struct emu_nic *nic = q->nic;
	unsigned int i;

	for (i = 0; i < EMU_MUT_SLOTS; i++) {
		struct emu_mut_slot *s = &nic->mut[i];
		uint32_t *idx;

		if (s->count == 0 || s->kind != EMU_MUT_RING)
			continue;
		idx = s->off == EMU_MUT_OFF_H2G_WRITE ? &q->out.hdr->write_index :
							&q->in.hdr->read_index;
		__atomic_store_n(idx, (uint32_t)s->value, __ATOMIC_RELEASE);
		consume(nic, s);
	}
}

/* ---- Control replies: delay, never, drop ---- */

static int
reply_kinds(const char *kind, unsigned int *first, unsigned int *last)
{
	static const char *const names[EMU_REPLY_KINDS] = {
		[EMU_REPLY_NVSP] = "nvsp", [EMU_REPLY_RNDIS] = "rndis",
		[EMU_REPLY_IND] = "indication",
	};
	unsigned int k;

	if (kind == NULL)
		return -EINVAL;
	if (strcmp(kind, "any") == 0) {
		*first = 0;
		*last = EMU_REPLY_KINDS - 1;
		return 0;
	}
	for (k = 0; k < EMU_REPLY_KINDS; k++) {
		if (strcmp(kind, names[k]) == 0) {
			*first = *last = k;
			return 0;
		}
	}
	return -EINVAL;
}

int
emu_nic_reply_delay(struct emu_nic *nic, const char *kind, uint32_t ms,
		    unsigned int count)
{
	unsigned int a, b, k;

	if (nic == NULL || reply_kinds(kind, &a, &b) != 0)
		return -EINVAL;
	for (k = a; k <= b; k++) {
		nic->reply_rule[k].delay_count = count;
		nic->reply_rule[k].delay_ms = ms;
	}
	if (count != 0)
		emu_net_log(nic, "fault reply-delay armed: %s replies %s%u%s for %u",
			    kind, ms == EMU_REPLY_NEVER ? "never" : "",
			    ms == EMU_REPLY_NEVER ? 0u : ms,
			    ms == EMU_REPLY_NEVER ? "" : " ms", count);
	return 0;
}

int
emu_nic_reply_drop(struct emu_nic *nic, const char *kind, unsigned int count)
{
	unsigned int a, b, k;

	if (nic == NULL || reply_kinds(kind, &a, &b) != 0)
		return -EINVAL;
	for (k = a; k <= b; k++)
		nic->reply_rule[k].drop_count = count;
	if (count != 0)
		emu_net_log(nic, "fault reply-drop armed: %s replies for %u", kind,
			    count);
	return 0;
}

int
emu_reply_take(struct emu_nic *nic, enum emu_reply_kind kind, uint32_t *ms)
{
	struct emu_reply_rule *r = &nic->reply_rule[kind];

	if (r->drop_count != 0) {
		r->drop_count--;
		return 1;
	}
	if (r->delay_count != 0) {
		r->delay_count--;
		*ms = r->delay_ms;
		return 2;
	}
	return 0;
}
