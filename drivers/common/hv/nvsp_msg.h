/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: being written. */
#ifndef NVSP_MSG_H
#define NVSP_MSG_H
#endif
