/* SPDX-License-Identifier: BSD-3-Clause */
/* Built without libnl-route-3: VFs stay association messages only. */
#include <errno.h>

#include "emu_net_priv.h"

bool
emu_vf_link_available(void)
{
	return false;
}

int
emu_vf_link_create(const char *host, const char *guest, const uint8_t mac[6],
		   const char *alias)
{
	(void)host; (void)guest; (void)mac; (void)alias;
	return -ENOTSUP;
}

int
emu_vf_link_delete(const char *host)
{
	(void)host;
	return -ENOTSUP;
}
