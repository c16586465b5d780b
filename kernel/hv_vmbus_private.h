/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The three fields of hv_vmbus's private struct vmbus_connection the UIO
 * glue needs (the interrupt page, the guest-to-host monitor page, and
 * the mutex that guards every channel's sub-channel list).
 *
 * Distribution header packages do not ship drivers/hv/hyperv_vmbus.h, so
 * the offsets come from hv_vmbus_layout.h, generated at build time from
 * the target kernel's BTF by btf_layout.py. Only the exported symbol is
 * used; its type stays incomplete here on purpose.
 */
#ifndef HV_VMBUS_PRIVATE_H
#define HV_VMBUS_PRIVATE_H

#include <linux/build_bug.h>
#include <linux/mutex.h>

#include "hv_vmbus_layout.h"

struct hv_device;
struct vmbus_connection;
extern struct vmbus_connection vmbus_connection;

/* Exported by hv_vmbus, declared only in its private header. */
void vmbus_device_unregister(struct hv_device *device_obj);

static inline void *hvl_field(unsigned int offset)
{
	return (char *)&vmbus_connection + offset;
}

/* Guest/host interrupt page; the guest-to-host half is at +2048. */
static inline void *hvl_int_page(void)
{
	return *(void **)hvl_field(HVL_CONNECTION_INT_PAGE);
}

/* monitor_pages[1]: the page the guest sets trigger bits in. */
static inline void *hvl_monitor_page_out(void)
{
	return ((void **)hvl_field(HVL_CONNECTION_MONITOR_PAGES))[1];
}

static inline struct mutex *hvl_channel_mutex(void)
{
	/*
	 * A struct mutex of another size means the BTF and the headers
	 * describe different kernels (e.g. lockdep on in only one).
	 */
	BUILD_BUG_ON(HVL_MUTEX_SIZE != sizeof(struct mutex));
	return hvl_field(HVL_CONNECTION_CHANNEL_MUTEX);
}

#endif /* HV_VMBUS_PRIVATE_H */
