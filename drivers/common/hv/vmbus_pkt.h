/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: being written. */
#ifndef VMBUS_PKT_H
#define VMBUS_PKT_H
#endif
