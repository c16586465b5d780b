/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fake_net.h"

static const char *const fake_faults[EMU_FAULT_COUNT] = {
	"drop-completion", "dup-completion", "bad-xfer-range", "bad-rndis-len",
	"bad-ppi", "bad-desc", "unknown-completion",
};

void
fake_nic_init(struct emu_nic *nic)
{
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x10 };

	memset(nic, 0, sizeof(*nic));
	memcpy(nic->mac, mac, 6);
}

static int
record(struct emu_nic *nic, const char *what, long a1, long a2)
{
	snprintf(nic->last, sizeof(nic->last), "%s", what);
	nic->arg1 = a1;
	nic->arg2 = a2;
	return 0;
}

void
emu_nic_set_backend(struct emu_nic *nic, struct emu_backend *be)
{
	if (nic->be != NULL && nic->be != be)
		nic->be->ops->destroy(nic->be);
	nic->be = be;
	if (be != NULL)
		be->nic = nic;
}

int
emu_nic_rx(struct emu_nic *nic, const void *frame, size_t len)
{
	nic->rx_calls++;
	if (!nic->held)
		nic->unheld_frames++;
	if (nic->refuse_from != 0 && nic->rx_calls >= nic->refuse_from)
		return nic->rx_ret;
	if (nic->nframes < FAKE_MAX_FRAMES && len <= FAKE_FRAME_MAX) {
		nic->frames[nic->nframes].len = len;
		memcpy(nic->frames[nic->nframes].data, frame, len);
		nic->nframes++;
	}
	return 0;
}

int
emu_nic_rx_flags(struct emu_nic *nic, const void *frame, size_t len,
		 uint32_t flags)
{
	nic->rx_flags = flags;
	return emu_nic_rx(nic, frame, len);
}

/* Frame by frame through emu_nic_rx, stopping where the real one does. */
int
emu_nic_rx_burst(struct emu_nic *nic, const void *const *frames,
		 const size_t *lens, unsigned int n, uint32_t flags, int *rc)
{
	unsigned int i, p;

	nic->burst_calls++;
	nic->rx_flags = flags;
	/* EMU_RX_PERIOD's promise, checked for every frame it covers. */
	p = flags >> EMU_RX_PERIOD_SHIFT;
	for (i = p; p != 0 && i < n; i++)
		if (lens[i] != lens[i - p] || lens[i] < EMU_RX_PERIOD_BYTES ||
		    memcmp(frames[i], frames[i - p], EMU_RX_PERIOD_BYTES) != 0)
			nic->period_errors++;
	for (i = 0; i < n; i++) {
		rc[i] = emu_nic_rx(nic, frames[i], lens[i]);
		if (rc[i] == -EAGAIN || rc[i] == -ENETDOWN)
			break;
	}
	return (int)i;
}

int
emu_nic_rx_hold(struct emu_nic *nic)
{
	if (nic->held)
		return -EALREADY;
	nic->holds++;
	nic->held = true;
	return 0;
}

void
emu_nic_rx_publish(struct emu_nic *nic)
{
	nic->publishes++;
	nic->held = false;
}

bool
emu_nic_rx_drained(const struct emu_nic *nic)
{
	return nic->drained;
}

uint32_t
emu_nic_rx_bufs_out(const struct emu_nic *nic)
{
	return nic->bufs_out;
}

const uint8_t *
emu_nic_mac(const struct emu_nic *nic)
{
	return nic->mac;
}

int
emu_nic_set_link(struct emu_nic *nic, bool up)
{
	return record(nic, "link", up, 0);
}

int
emu_nic_set_link_speed(struct emu_nic *nic, uint32_t speed_100bps)
{
	return record(nic, "speed", (long)speed_100bps, 0);
}

int
emu_nic_rescind(struct emu_nic *nic)
{
	return record(nic, "rescind", 0, 0);
}

int
emu_nic_reoffer(struct emu_nic *nic)
{
	/* Like the real service: only a rescinded NIC can be offered again. */
	if (strcmp(nic->last, "rescind") != 0)
		return -EPROTO;
	return record(nic, "reoffer", 0, 0);
}

void
emu_nic_set_ctrl_delay(struct emu_nic *nic, unsigned int ms)
{
	record(nic, "delay", (long)ms, 0);
}

void
emu_nic_set_tx_comp_delay(struct emu_nic *nic, uint64_t us)
{
	record(nic, "tx-comp-delay", us == UINT64_MAX ? -1 : (long)us, 0);
}

int
emu_nic_inject_fault(struct emu_nic *nic, enum emu_fault f, unsigned int count)
{
	return record(nic, "fault", (long)f, (long)count);
}

int
emu_nic_mutate(struct emu_nic *nic, const char *kind, const char *field,
	       uint64_t value, unsigned int count)
{
	if (strcmp(kind, "nvsp") != 0 || strcmp(field, "status") != 0)
		return -EINVAL;
	return record(nic, "mutate", (long)value, (long)count);
}

int
emu_nic_reply_delay(struct emu_nic *nic, const char *kind, uint32_t ms,
		    unsigned int count)
{
	if (strcmp(kind, "rndis") != 0)
		return -EINVAL;
	return record(nic, "reply-delay", (long)ms, (long)count);
}

int
emu_nic_reply_drop(struct emu_nic *nic, const char *kind, unsigned int count)
{
	if (strcmp(kind, "nvsp") != 0)
		return -EINVAL;
	return record(nic, "reply-drop", 0, (long)count);
}

const char *
emu_fault_name(enum emu_fault f)
{
	return (unsigned int)f < EMU_FAULT_COUNT ? fake_faults[f] : NULL;
}

int
emu_fault_from_name(const char *name, enum emu_fault *out)
{
	int f;

	for (f = 0; f < EMU_FAULT_COUNT; f++) {
		if (strcmp(name, fake_faults[f]) == 0) {
			*out = (enum emu_fault)f;
			return 0;
		}
	}
	return -EINVAL;
}

int
emu_nic_vf_offer(struct emu_nic *nic, uint32_t serial)
{
	return record(nic, "vf-offer", (long)serial, 0);
}

int
emu_nic_vf_revoke(struct emu_nic *nic)
{
	return record(nic, "vf-revoke", 0, 0);
}

int
emu_nic_vf_revoke_abrupt(struct emu_nic *nic)
{
	return record(nic, "vf-revoke-abrupt", 0, 0);
}

void
emu_vf_config_defaults(struct emu_vf_config *c)
{
	memset(c, 0, sizeof(*c));
}

int
emu_nic_vf_attach(struct emu_nic *nic, const struct emu_vf_config *c)
{
	return record(nic, c->guest_ifname, (long)strlen(c->host_ifname), 0);
}

int
emu_nic_vf_set(struct emu_nic *nic, const char *key, const char *value)
{
	(void)value;
	return record(nic, key, 0, 0);
}

void
emu_nic_set_trace(struct emu_nic *nic, bool on)
{
	record(nic, "trace", on, 0);
}

void
emu_nic_print_stats(const struct emu_nic *nic, FILE *out)
{
	fprintf(out, "fake nic: rx calls %u\n", nic->rx_calls);
	/* Like the real service: the backend's line follows. */
	if (nic->be != NULL && nic->be->ops->print_stats != NULL)
		nic->be->ops->print_stats(nic->be, out);
}
