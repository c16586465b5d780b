/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: being written. */
#ifndef RNDIS_PPI_H
#define RNDIS_PPI_H
#endif
