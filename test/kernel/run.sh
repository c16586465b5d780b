#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The kernel suite: build uio_hv_vmbus (Makefile.kbuild) and the
# fake_vmbus stub against Debian's kernel headers, boot Debian's kernel
# in QEMU (software emulation) with a busybox initramfs, and let
# test/kernel/init.sh + uio_face check the UIO face of our module and of
# Debian's own uio_hv_generic. Prints the guest's checks, then a table of
# where the two faces differ.
#
#   test/kernel/run.sh SRCDIR WORKDIR
#
# Needs what scripts/setup-kernel.sh installs; without it, exits 77
# (skip) and says what is missing. Exit 0 only if every check of our
# module passed and the guest reached its end.

set -euo pipefail

src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
work=${2:-$src/build/kernel-test}
cache=${VMBUS_NETVSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmbus-netvsc}/kernel

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "kernel suite: $*" >&2; exit 1; }

command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 missing (scripts/setup-kernel.sh installs it)"
busybox=/bin/busybox
[ -x "$busybox" ] && ! readelf -l "$busybox" 2>/dev/null | grep -q 'program interpreter' ||
	skip "no static busybox (apt-get install busybox-static; scripts/setup-kernel.sh)"
command -v cpio >/dev/null || skip "cpio missing (scripts/setup-kernel.sh)"

# Every unpacked Debian kernel in the cache, with its headers: unpacked
# next to it (backports) or installed under /usr/src (bookworm).
kernels=()
for img in $(ls -d "$cache"/*/boot 2>/dev/null | sort -V); do
	img=${img%/boot}
	v=${img##*/}
	for kdir in "$img/usr/src/linux-headers-$v" "/usr/src/linux-headers-$v"; do
		if [ -f "$kdir/Makefile" ] && [ -f "$img/boot/vmlinuz-$v" ]; then
			kernels+=("$v:$kdir")
			break
		fi
	done
done
[ ${#kernels[@]} -gt 0 ] ||
	skip "no Debian kernel image + headers pair (scripts/setup-kernel.sh fetches them into $cache)"

# A module file of the image, uncompressed into $2 (busybox insmod may
# not read .ko.xz).
copy_module() {
	local f
	f=$(ls "$1" "$1".xz 2>/dev/null | head -1)
	[ -n "$f" ] || return 1
	case $f in
	*.xz) xz -dc "$f" >"$2/$(basename "${f%.xz}")" ;;
	*) cp "$f" "$2/" ;;
	esac
}

# Build, boot and check one kernel; results in $work/$kver.
run_kernel() {
	local kver=$1 kdir=$2 img=$cache/$1 out=$work/$1 mods hv
	mods=$img/lib/modules/$kver/kernel
	hv=$(ls "$mods"/drivers/hv/hv_vmbus.ko* 2>/dev/null | head -1)
	[ -n "$hv" ] || { echo "not ok - $kver: image lacks hv_vmbus.ko" >"$out.result"; return 1; }
	mkdir -p "$out/root/modules" "$out/root/bin"

	echo "== $kver: building uio_hv_vmbus (Makefile.kbuild KDIR=$kdir)"
	make -s -C "$src" -f Makefile.kbuild KDIR="$kdir" OUT="$out/module" \
		BTF_VMLINUX="$img/boot/vmlinuz-$kver" BTF_HV_VMBUS="$hv" \
		>"$out/build.log" 2>&1 || { cat "$out/build.log"; return 1; }

	echo "== $kver: building fake_vmbus"
	mkdir -p "$out/stub"
	cp "$src"/test/kernel/fake_vmbus/{fake_vmbus.c,Kbuild} \
		"$out/module/hv_vmbus_layout.h" "$out/stub/"
	make -s -C "$kdir" M="$out/stub" modules >>"$out/build.log" 2>&1 ||
		{ cat "$out/build.log"; return 1; }
	python3 "$src/test/kernel/fake_vmbus/patch_crc.py" "$out/stub/fake_vmbus.ko" \
		"$kdir/Module.symvers" || return 1

	cp "$out/module/uio_hv_vmbus.ko" "$out/stub/fake_vmbus.ko" "$out/root/modules/"
	copy_module "$mods/drivers/uio/uio.ko" "$out/root/modules" || return 1
	copy_module "$mods/drivers/uio/uio_hv_generic.ko" "$out/root/modules" || true
	cp "$work/uio_face" "$out/root/bin/uio_face"
	cp "$busybox" "$out/root/bin/busybox"
	cp "$src/test/kernel/init.sh" "$out/root/init"
	chmod +x "$out/root/init"
	(cd "$out/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.gz"

	echo "== $kver: booting in QEMU (TCG)"
	# The timeout is a hang guard for a wedged guest, not a measurement.
	# Two NUMA nodes, one CPU and 256 MiB each (init.sh's NUMA checks).
	timeout 300 qemu-system-x86_64 -accel tcg -m 512 -smp 2 -nographic \
		-object memory-backend-ram,id=mem0,size=256M \
		-object memory-backend-ram,id=mem1,size=256M \
		-numa node,nodeid=0,cpus=0,memdev=mem0 \
		-numa node,nodeid=1,cpus=1,memdev=mem1 \
		-no-reboot -kernel "$img/boot/vmlinuz-$kver" -initrd "$out/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1 oops=panic" \
		</dev/null >"$out/console.log" 2>&1 || true
	tr -d '\r' <"$out/console.log" >"$out/guest.log"

	grep -E '^(ok|not ok|differs|==|    )' "$out/guest.log" || true
	python3 "$src/test/kernel/face_table.py" "$out/guest.log"
	grep -q '^== done' "$out/guest.log" ||
		{ tail -40 "$out/guest.log"; echo "kernel suite: $kver: the guest did not reach its end"; return 1; }
	local pass fail
	pass=$(grep -c '^ok - ours' "$out/guest.log" || true)
	fail=$(grep -c '^not ok' "$out/guest.log" || true)
	echo "kernel suite: $kver: $pass checks of uio_hv_vmbus passed, $fail failed"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
}

rm -rf "$work"
mkdir -p "$work"
# The parser needs parts of the DPDK-free core (drivers/common/hv).
# The face table of docs/uio-abi.md, checked against hv_uio_abi.h.
echo "== building uio_face (static, with the bus's sysfs parser and docs/uio-abi.md's table)"
python3 "$src/test/common/uio_abi_table.py" "$src/docs/uio-abi.md" \
	"$src/drivers/common/hv/hv_uio_abi.h" "$work/uio_abi_table.h"
${CC:-gcc} -static -O2 -Wall -Wextra -Werror \
	-I"$work" -I"$src/test/common" \
	-I"$src/drivers/common/hv" -I"$src/drivers/bus/vmbus/linux" \
	"$src/test/kernel/uio_face.c" "$src/test/common/uio_abi_check.c" \
	"$src/drivers/bus/vmbus/linux/vmbus_sysfs.c" \
	"$src"/drivers/common/hv/*.c -o "$work/uio_face"

rc=0
for k in "${kernels[@]}"; do
	if ! run_kernel "${k%%:*}" "${k#*:}"; then
		echo "kernel suite: FAILED on ${k%%:*}"
		rc=1
	fi
done
[ ${#kernels[@]} -gt 1 ] ||
	echo "kernel suite: note: only ${kernels[0]%%:*} available (no bookworm-backports kernel)"
exit $rc
