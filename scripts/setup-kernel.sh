#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What the kernel suite (test/kernel/run.sh) needs, on Debian:
#   - qemu-system-x86, busybox-static, cpio (QEMU guest and initramfs);
#   - linux-headers-amd64 (building uio_hv_vmbus and the fake_vmbus stub);
#   - the matching linux-image-<version>-amd64-unsigned package, downloaded
#     (not installed: this machine's kernel is left alone) and unpacked
#     into $VMBUS_NETVSC_CACHE/kernel/<version>/ for its vmlinuz, its BTF
#     and its modules (uio.ko, hv_vmbus.ko, uio_hv_generic.ko).
# Idempotent: a second run does no apt work. Exits 0 without doing
# anything where apt-get is missing (the suite then skips and says why).

set -euo pipefail

cache=${VMBUS_NETVSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmbus-netvsc}/kernel
PACKAGES=(qemu-system-x86 busybox-static cpio kmod linux-headers-amd64)
QUIET_APT=(-q -y -o Dpkg::Use-Pty=0)

say() { printf 'setup-kernel: %s\n' "$*"; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else say "need root for: $*"; return 1; fi
}

command -v apt-get >/dev/null || { say "no apt-get: kernel suite will skip"; exit 0; }

missing=()
for p in "${PACKAGES[@]}"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	as_root apt-get "${QUIET_APT[@]}" update >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get "${QUIET_APT[@]}" \
		install --no-install-recommends "${missing[@]}" >/dev/null
fi

# The headers the metapackage points at give the version to boot.
kver=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	sed -n 's/.*linux-headers-\([0-9][^ ,]*-amd64\).*/\1/p')
[ -n "$kver" ] || { say "cannot tell the kernel version of linux-headers-amd64"; exit 1; }
dest=$cache/$kver
if [ -f "$dest/boot/vmlinuz-$kver" ]; then
	say "kernel $kver ready in $dest"
	exit 0
fi
mkdir -p "$cache/deb"
say "downloading linux-image-$kver-unsigned"
# apt-get download writes into the current directory; _apt cannot write
# to a root-owned cache, which only costs a warning.
(cd "$cache/deb" && apt-get "${QUIET_APT[@]}" download "linux-image-$kver-unsigned" 2>&1 |
	grep -v '^W: Download is performed unsandboxed' || true)
deb=$(ls "$cache/deb"/linux-image-"$kver"-unsigned_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { say "download of linux-image-$kver-unsigned failed"; exit 1; }
rm -rf "$dest.tmp" "$dest.new"
dpkg-deb -x "$deb" "$dest.tmp"
# Keep what the suite uses (about 10 of the package's 400 MB).
mkdir -p "$dest.new/boot" "$dest.new/lib/modules/$kver/kernel/drivers"
cp "$dest.tmp/boot/vmlinuz-$kver" "$dest.tmp/boot/config-$kver" "$dest.new/boot/"
cp -r "$dest.tmp/lib/modules/$kver/kernel/drivers/uio" \
	"$dest.tmp/lib/modules/$kver/kernel/drivers/hv" \
	"$dest.new/lib/modules/$kver/kernel/drivers/"
rm -rf "$dest.tmp" "$dest"
mv "$dest.new" "$dest"
rm -f "$deb"
say "kernel $kver ready in $dest"
