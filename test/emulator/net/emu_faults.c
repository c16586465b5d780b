/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection: armed per NIC with a count, consumed one occurrence at
 * a time by the path the fault belongs to (TX completions, RX packets,
 * any outgoing packet). Used to harden guest drivers against a host that
 * sends nonsense.
 */
#include <errno.h>
#include <string.h>

#include "emu_net_priv.h"

static const char *const fault_names[EMU_FAULT_COUNT] = {
	[EMU_FAULT_DROP_COMPLETION] = "drop-completion",
	[EMU_FAULT_DUP_COMPLETION] = "dup-completion",
	[EMU_FAULT_BAD_XFER_RANGE] = "bad-xfer-range",
	[EMU_FAULT_BAD_RNDIS_LEN] = "bad-rndis-len",
	[EMU_FAULT_BAD_PPI] = "bad-ppi",
	[EMU_FAULT_BAD_DESC] = "bad-desc",
	[EMU_FAULT_UNKNOWN_COMPLETION] = "unknown-completion",
};

const char *
emu_fault_name(enum emu_fault f)
{
	return (unsigned int)f < EMU_FAULT_COUNT ? fault_names[f] : NULL;
}

int
emu_fault_from_name(const char *name, enum emu_fault *out)
{
	unsigned int i;

	if (name == NULL)
		return -EINVAL;
	for (i = 0; i < EMU_FAULT_COUNT; i++) {
		if (strcmp(name, fault_names[i]) == 0) {
			*out = (enum emu_fault)i;
			return 0;
		}
	}
	return -EINVAL;
}

int
emu_nic_inject_fault(struct emu_nic *nic, enum emu_fault f, unsigned int count)
{
	if (nic == NULL || (unsigned int)f >= EMU_FAULT_COUNT)
		return -EINVAL;
	nic->faults[f] = count;
	if (count != 0)
		emu_net_log(nic, "fault %s armed for %u packet(s)", fault_names[f],
			    count);
	return 0;
}

/* ---- Leniencies (emu_net_config.lenient) ---- */

static const char *const lenient_names[EMU_LENIENT_COUNT] = {
	"init-range", "link-at-init", "link-flaps", "reset", "reinit",
	"dup-setup", "revoke", "early-subch", "rx-ack", "rx-exact",
	"tx-msg-align", "tx-inline-vlan",
};

const char *
emu_lenient_name(unsigned int i)
{
	return i < EMU_LENIENT_COUNT ? lenient_names[i] : NULL;
}

int
emu_lenient_parse(const char *list, uint32_t *bits)
{
	const char *p = list;
	uint32_t out = 0;

	if (list == NULL || *list == '\0')
		return -EINVAL;
	if (strcmp(list, "all") == 0) {
		*bits = EMU_LENIENT_ALL;
		return 0;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		unsigned int i;

		for (i = 0; i < EMU_LENIENT_COUNT; i++)
			if (strlen(lenient_names[i]) == n &&
			    strncmp(p, lenient_names[i], n) == 0)
				break;
		if (i == EMU_LENIENT_COUNT)
			return -EINVAL;
		out |= 1u << i;
		p += n;
		if (*p == ',')
			p++;
	}
	*bits = out;
	return 0;
}

bool
emu_net_lenient(const struct emu_nic *nic, uint32_t bit)
{
	return (nic->net->cfg.lenient & bit) != 0;
}
