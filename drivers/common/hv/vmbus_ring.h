/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: being written. */
#ifndef VMBUS_RING_H
#define VMBUS_RING_H
#endif
