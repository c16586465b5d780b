/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: being written. Exit 77 = skipped. */
int main(void) { return 77; }
