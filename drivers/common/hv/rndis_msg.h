/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: being written. */
#ifndef RNDIS_MSG_H
#define RNDIS_MSG_H
#endif
