/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the stand-in VF PMD does not count: net_af_packet's receive rings
 * live in the kernel, which drops a frame when a ring is full (the
 * application was late) and tells only the socket (PACKET_STATISTICS,
 * tp_drops). The stand-in never reads that, so we do: its sockets are in
 * our process, bound to the VF's netdev, and found by that binding.
 * Reading clears the kernel's counters; nobody else reads them.
 * Control path only (vf->lock held).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_packet.h>

#include "hn_vf.h"

/* Remember the packet sockets bound to the VF's netdev: the stand-in's,
 * one per queue pair, opened when it was probed. */
void
hn_vf_kstats_find(struct hn_vf *vf)
{
	struct dirent *e;
	DIR *d;

	vf->nkfd = 0;
	d = opendir("/proc/self/fd");
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && vf->nkfd < RTE_DIM(vf->kfd)) {
		struct sockaddr_ll sll;
		socklen_t len = sizeof(sll);
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end != '\0' || end == e->d_name || fd < 0 || fd == dirfd(d))
			continue;
		memset(&sll, 0, sizeof(sll));
		if (getsockname((int)fd, (struct sockaddr *)&sll, &len) != 0 ||
		    sll.sll_family != AF_PACKET || sll.sll_ifindex != vf->ifindex)
			continue;
		vf->kfd[vf->nkfd++] = (int)fd;
	}
	closedir(d);
}

/* Add the kernel's drops since the last read to vf->kdrops. */
void
hn_vf_kstats_read(struct hn_vf *vf)
{
	struct tpacket_stats st;
	unsigned int i;

	for (i = 0; i < vf->nkfd; i++) {
		socklen_t len = sizeof(st);

		if (getsockopt(vf->kfd[i], SOL_PACKET, PACKET_STATISTICS, &st,
			       &len) == 0)
			vf->kdrops += st.tp_drops;
	}
}

/* The stand-in is closing its sockets. */
void
hn_vf_kstats_forget(struct hn_vf *vf)
{
	hn_vf_kstats_read(vf);
	vf->nkfd = 0;
}
