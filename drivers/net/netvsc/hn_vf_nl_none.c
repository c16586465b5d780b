/* SPDX-License-Identifier: BSD-3-Clause */
/* Built without libnl-3: no VF is ever found (steering is off). */
#include <errno.h>

#include "hn_vf.h"

bool
hn_vf_nl_available(void)
{
	return false;
}

int
hn_vf_nl_open(struct hn_vf *vf)
{
	RTE_SET_USED(vf);
	return -ENOTSUP;
}

void
hn_vf_nl_close(struct hn_vf *vf)
{
	RTE_SET_USED(vf);
}

int
hn_vf_nl_poll(struct hn_vf *vf, int ms)
{
	RTE_SET_USED(vf);
	RTE_SET_USED(ms);
	return -ENOTSUP;
}

int
hn_vf_nl_set_mtu(int ifindex, uint32_t mtu)
{
	RTE_SET_USED(ifindex);
	RTE_SET_USED(mtu);
	return -ENOTSUP;
}
