/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: being written. */
#ifndef HV_GUID_H
#define HV_GUID_H
#endif
