#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What the kernel suite (test/kernel/run.sh) needs, on Debian 12:
#   - qemu-system-x86, busybox-static, cpio (QEMU guest and initramfs),
#     dwarves (pahole: 6.12's kbuild adds BTF to modules);
#   - linux-headers-amd64 (building uio_hv_vmbus and the fake_vmbus stub);
#   - dkms, openssl (test/kernel/dkms_sign.sh: docs/kernel.md's DKMS
#     build and module signing, with throwaway keys);
#   - the matching linux-image-<version>-amd64-unsigned package, downloaded
#     (not installed: this machine's kernel is left alone) and unpacked
#     into $VMBUS_NETVSC_CACHE/kernel/<version>/ for its vmlinuz, its BTF
#     and its modules (uio.ko, hv_vmbus.ko, uio_hv_generic.ko);
#   - the same pair from bookworm-backports (6.12), headers included, all
#     fetched with a private apt configuration (/etc/apt untouched) and
#     unpacked under $VMBUS_NETVSC_CACHE/kernel/<version>/ (best effort:
#     without it the suite covers 6.1 only and says so).
# Idempotent: a second run does no apt work. Exits 0 without doing
# anything where apt-get is missing (the suite then skips and says why).

set -euo pipefail

cache=${VMBUS_NETVSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmbus-netvsc}/kernel
PACKAGES=(qemu-system-x86 busybox-static cpio kmod dwarves linux-headers-amd64 dkms openssl)
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

# Download packages (apt-get download; extra apt options in "$@" after --).
download() {
	local dir=$1
	shift
	mkdir -p "$dir"
	# _apt cannot write to a root-owned cache, which only costs a warning.
	(cd "$dir" && apt-get "${QUIET_APT[@]}" "$@" 2>&1 |
		grep -v '^W: Download is performed unsandboxed' || true)
}

# Unpack the debs of $2 into $1 keeping what the suite uses (about 10 of
# the image's 400 MB; headers whole), then drop the debs.
unpack() {
	local dest=$1 debs=$2 kver=$3 d
	rm -rf "$dest.tmp" "$dest.new"
	for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$dest.tmp"; done
	mkdir -p "$dest.new/boot" "$dest.new/lib/modules/$kver/kernel/drivers"
	cp "$dest.tmp/boot/vmlinuz-$kver" "$dest.tmp/boot/config-$kver" "$dest.new/boot/"
	cp -r "$dest.tmp/lib/modules/$kver/kernel/drivers/uio" \
		"$dest.tmp/lib/modules/$kver/kernel/drivers/hv" \
		"$dest.new/lib/modules/$kver/kernel/drivers/"
	if [ -d "$dest.tmp/usr/src" ]; then
		mv "$dest.tmp/usr" "$dest.new/usr"
		# The headers' Makefile includes the common part by absolute path.
		sed -i "s|^include /usr/src/|include $dest/usr/src/|" \
			"$dest.new/usr/src/linux-headers-$kver/Makefile"
	fi
	rm -rf "$dest.tmp" "$dest" "$debs"
	mv "$dest.new" "$dest"
	say "kernel $kver ready in $dest"
}

# 1. bookworm: headers installed above, image unpacked.
kver=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	sed -n 's/.*linux-headers-\([0-9][^ ,]*-amd64\).*/\1/p')
[ -n "$kver" ] || { say "cannot tell the kernel version of linux-headers-amd64"; exit 1; }
if [ -f "$cache/$kver/boot/vmlinuz-$kver" ]; then
	say "kernel $kver ready in $cache/$kver"
else
	say "downloading linux-image-$kver-unsigned"
	download "$cache/deb" download "linux-image-$kver-unsigned"
	ls "$cache/deb"/*.deb >/dev/null 2>&1 || { say "download of linux-image-$kver-unsigned failed"; exit 1; }
	unpack "$cache/$kver" "$cache/deb" "$kver"
fi

# 2. bookworm-backports: headers + image, nothing installed.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ "$codename" = bookworm ] || { say "not bookworm: no backports kernel"; exit 0; }
if ls -d "$cache"/6.12*/usr/src >/dev/null 2>&1; then
	say "backports kernel ready in $(ls -d "$cache"/6.12* | head -1)"
	exit 0
fi
apt=$cache/apt
mkdir -p "$apt/etc/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
: >"$apt/etc/sources.list"
cat >"$apt/etc/sources.list.d/backports.sources" <<EOS
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
opts=(-o "Dir::Etc::SourceList=$apt/etc/sources.list"
	-o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
say "private apt-get update (bookworm-backports; /etc/apt untouched)"
apt-get -q "${opts[@]}" update >/dev/null 2>&1 || { say "backports unreachable: 6.1 only"; exit 0; }
bkver=$(apt-cache "${opts[@]}" show linux-headers-amd64 2>/dev/null |
	sed -n 's/^Depends:.*linux-headers-\(6\.12[^ ,]*-amd64\).*/\1/p' | head -1)
[ -n "$bkver" ] || { say "no 6.12 headers in bookworm-backports: 6.1 only"; exit 0; }
common=${bkver%-amd64}
say "downloading linux-headers/kbuild/image $bkver (bookworm-backports)"
download "$cache/deb-bpo" "${opts[@]}" download "linux-headers-$bkver" \
	"linux-headers-$common-common" "linux-kbuild-$common" "linux-image-$bkver-unsigned"
[ "$(ls "$cache/deb-bpo"/*.deb 2>/dev/null | wc -l)" -eq 4 ] ||
	{ say "backports download incomplete: 6.1 only"; rm -rf "$cache/deb-bpo"; exit 0; }
unpack "$cache/$bkver" "$cache/deb-bpo" "$bkver"
