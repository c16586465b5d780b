/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0 */
/*
 * The userspace ABI of uio_hv_generic: which UIO map holds what.
 *
 * Shared verbatim by kernel/ (the UIO glue module), the vmbus bus driver
 * and the host emulator, so the map indices exist exactly once. No
 * includes on purpose: this file must compile in a kernel build.
 */
#ifndef HV_UIO_ABI_H
#define HV_UIO_ABI_H

/* UIO map index; mmap offset of map N is N * system page size. */
enum hv_uio_map {
	HV_UIO_MAP_TXRX_RING = 0,   /* primary channel: TX ring then RX ring */
	HV_UIO_MAP_INT_PAGE = 1,    /* interrupt page; guest->host half at +2048 */
	HV_UIO_MAP_MONITOR_PAGE = 2,/* guest->host monitor page */
	HV_UIO_MAP_RECV_BUF = 3,    /* netvsc receive buffer, name "recv:<gpadl>" */
	HV_UIO_MAP_SEND_BUF = 4,    /* netvsc send buffer, name "send:<gpadl>" */
	HV_UIO_MAP_COUNT = 5,
};

/* Text of maps/mapN/name; the buffer maps carry ":<decimal gpadl>" after it. */
#define HV_UIO_MAP_NAME_TXRX_RING "txrx_rings"
#define HV_UIO_MAP_NAME_INT_PAGE "int_page"
#define HV_UIO_MAP_NAME_MONITOR_PAGE "monitor_page"
#define HV_UIO_MAP_NAME_RECV_BUF "recv:"
#define HV_UIO_MAP_NAME_SEND_BUF "send:"

/*
 * A 4-byte write to /dev/uioN: 1 enables interrupts (clears the inbound
 * interrupt_mask), 0 disables them. Newer kernels also treat a write of 1
 * as a doorbell for channels without a monitor page.
 */
#define HV_UIO_IRQ_DISABLE 0
#define HV_UIO_IRQ_ENABLE 1

/* Kernel defaults, for the emulator only: drivers read sizes from sysfs. */
#define HV_UIO_DEFAULT_RING_SIZE (2u * 1024 * 1024)      /* per direction */
#define HV_UIO_DEFAULT_RECV_BUF_SIZE (31u * 1024 * 1024)
#define HV_UIO_DEFAULT_SEND_BUF_SIZE (16u * 1024 * 1024)

#endif /* HV_UIO_ABI_H */
