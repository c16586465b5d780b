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
