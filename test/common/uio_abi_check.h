/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Walks a VMBus device directory against the file table of
 * docs/uio-abi.md (generated into uio_abi_table.h at build time). Plain
 * libc, so it runs in the QEMU guest's static uio_face and under the
 * emulator's shim alike.
 */
#ifndef UIO_ABI_CHECK_H
#define UIO_ABI_CHECK_H

#include <stdbool.h>
#include <stddef.h>

enum uio_abi_kind { UIO_ABI_DIR, UIO_ABI_TEXT, UIO_ABI_RING };
enum uio_abi_presence {
	UIO_ABI_REQUIRED, UIO_ABI_OPTIONAL, UIO_ABI_ONE, UIO_ABI_ABSENT,
};
enum uio_abi_rule {
	UIO_ABI_RULE_NONE, UIO_ABI_RULE_RING, UIO_ABI_RULE_MAP0,
	UIO_ABI_RULE_HV_PAGE, UIO_ABI_RULE_BUFFER,
};

struct uio_abi_row {
	const char *path;     /* may hold <N>, <id>, <relid> */
	int kind;             /* enum uio_abi_kind */
	int presence;         /* enum uio_abi_presence */
	const char *pattern;  /* ERE for the line of a text file, or NULL */
	int rule;             /* enum uio_abi_rule, on the number or file size */
};

/* Called once per failed check with a one-line reason. */
typedef void uio_abi_fail_fn(void *arg, const char *reason);

/*
 * Check devdir (/sys/bus/vmbus/devices/<guid>) against every row of the
 * table; page_size is the system page size. Returns the number of
 * failed checks (0: the face matches the document), and in *checked
 * how many paths were looked at.
 */
int uio_abi_check(const char *devdir, size_t page_size, uio_abi_fail_fn *fail,
		  void *arg, unsigned int *checked);

#endif /* UIO_ABI_CHECK_H */
