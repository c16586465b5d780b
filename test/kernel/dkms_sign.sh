#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# docs/kernel.md's install and signing recipes, run for real against
# every Debian kernel the kernel suite has (6.1 headers installed, 6.12
# unpacked in the cache; scripts/setup-kernel.sh):
#   1. Debian's dkms: `dkms add` of the tree the document tells users to
#      copy, `dkms build -k <version>`, in a private DKMS tree; dkms signs
#      the module itself (its Secure Boot path) with a throwaway MOK key
#      given through framework.conf.d, as docs/kernel.md's DKMS section;
#   2. by hand: Makefile.kbuild, then the headers' scripts/sign-file with
#      another throwaway key, as docs/kernel.md's manual section;
# each module is checked with modinfo: signer and sig_key are the key's.
# Nothing is installed or loaded: the DKMS tree, keys and modules stay
# under WORKDIR; /etc/dkms is shadowed in a private mount namespace.
#
#   test/kernel/dkms_sign.sh SRCDIR WORKDIR
#
# Exit 77 (skip) with the reason when dkms, openssl, modinfo, unshare
# or the kernels are missing, or without root (unshare -m needs it).

set -euo pipefail

src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
work=${2:-$src/build/kernel-dkms}
cache=${VMBUS_NETVSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmbus-netvsc}/kernel

skip() { echo "SKIP: $*"; exit 77; }

for t in dkms openssl modinfo unshare; do
	command -v $t >/dev/null ||
		skip "$t missing (apt-get install dkms openssl kmod util-linux; scripts/setup-kernel.sh)"
done
[ "$(id -u)" -eq 0 ] || skip "needs root (a private mount namespace shadows /etc/dkms)"

# Shadow /etc/dkms/framework.conf.d (dkms reads signing settings only
# there) with ours, once, in a private mount namespace.
if [ -z "${DKMS_SIGN_PRIVATE:-}" ]; then
	exec env DKMS_SIGN_PRIVATE=1 unshare -m --propagation private "$0" "$src" "$work"
fi

kernels=()
for img in $(ls -d "$cache"/*/boot 2>/dev/null | sort -V); do
	img=${img%/boot}
	v=${img##*/}
	for kdir in "$img/usr/src/linux-headers-$v" "/usr/src/linux-headers-$v"; do
		if [ -f "$kdir/Makefile" ] && [ -x "$kdir/scripts/sign-file" ]; then
			kernels+=("$v:$kdir")
			break
		fi
	done
done
[ ${#kernels[@]} -gt 0 ] ||
	skip "no Debian kernel image + headers with scripts/sign-file (scripts/setup-kernel.sh)"

rm -rf "$work"
mkdir -p "$work/conf.d" "$work/dkms-tree" "$work/source"
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }

# Hex digits without colons and leading zeros, upper case.
hexid() { tr -d ': \n' | tr 'a-f' 'A-F' | sed 's/^0*//'; }

# A throwaway key pair as docs/kernel.md creates it; prints the id
# modinfo shows as sig_key (the PKCS#7 signature names the certificate by
# issuer and serial number).
new_key() {
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -outform DER \
		-keyout "$1.priv" -out "$1.der" -subj "/CN=$2/" 2>/dev/null
	openssl x509 -inform DER -in "$1.der" -noout -serial | cut -d= -f2 | hexid
}

# modinfo's signer and sig_key of module $1 must be $2 and $3.
check_signed() {
	local signer key
	signer=$(modinfo -F signer "$1" 2>/dev/null || true)
	key=$(modinfo -F sig_key "$1" 2>/dev/null | hexid || true)
	if [ "$signer" = "$2" ] && [ "$key" = "$3" ]; then
		ok "$4: modinfo signer \"$signer\", sig_key $key"
	else
		notok "$4: modinfo signer \"$signer\" sig_key \"$key\" (want \"$2\" $3)"
	fi
}

# The tree docs/kernel.md tells users to copy to /usr/src/uio_hv_vmbus-<ver>.
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$src/dkms.conf")
tree=$work/source/uio_hv_vmbus-$ver
mkdir -p "$tree/drivers/common/hv"
cp -r "$src/dkms.conf" "$src/Makefile.kbuild" "$src/kernel" "$tree/"
cp "$src/drivers/common/hv/hv_uio_abi.h" "$tree/drivers/common/hv/"
dkms_kid=$(new_key "$work/dkms-mok" "uio_hv_vmbus dkms test key")
hand_kid=$(new_key "$work/hand-mok" "uio_hv_vmbus hand test key")
if [ -d /etc/dkms/framework.conf.d ]; then
	mount --bind "$work/conf.d" /etc/dkms/framework.conf.d
else
	skip "/etc/dkms/framework.conf.d missing (dkms package incomplete)"
fi
dkms=(dkms --dkmstree "$work/dkms-tree" --sourcetree "$work/source")
if "${dkms[@]}" add -m uio_hv_vmbus -v "$ver" >"$work/add.log" 2>&1; then
	ok "dkms add uio_hv_vmbus/$ver"
else
	notok "dkms add uio_hv_vmbus/$ver: $(tail -3 "$work/add.log")"
fi

for k in "${kernels[@]}"; do
	kver=${k%%:*}
	kdir=${k#*:}
	mods=$cache/$kver/lib/modules/$kver/kernel
	# Makefile.kbuild reads the layout from the image (not installed here).
	export BTF_VMLINUX=$cache/$kver/boot/vmlinuz-$kver
	export BTF_HV_VMBUS
	BTF_HV_VMBUS=$(ls "$mods"/drivers/hv/hv_vmbus.ko* 2>/dev/null | head -1)
	cat >"$work/conf.d/test.conf" <<-EOF
		sign_file=$kdir/scripts/sign-file
		mok_signing_key=$work/dkms-mok.priv
		mok_certificate=$work/dkms-mok.der
	EOF

	log=$work/dkms-build-$kver.log
	if "${dkms[@]}" build -m uio_hv_vmbus -v "$ver" -k "$kver" \
		--kernelsourcedir "$kdir" >"$log" 2>&1; then
		ok "$kver: dkms build"
	else
		notok "$kver: dkms build: $(tail -5 "$log")"
		continue
	fi
	ko=$(ls "$work/dkms-tree/uio_hv_vmbus/$ver/$kver"/*/module/uio_hv_vmbus.ko* 2>/dev/null | head -1)
	[ -n "$ko" ] || { notok "$kver: dkms built no module"; continue; }
	case $ko in
	*.xz) xz -dc "$ko" >"$work/dkms-$kver.ko"; ko=$work/dkms-$kver.ko ;;
	*.zst) zstd -qdc "$ko" >"$work/dkms-$kver.ko"; ko=$work/dkms-$kver.ko ;;
	esac
	grep -q "Signing module" "$log" || notok "$kver: dkms did not sign (see $log)"
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ] &&
		ok "$kver: dkms module's vermagic is $kver" ||
		notok "$kver: dkms module's vermagic $(modinfo -F vermagic "$ko")"
	check_signed "$ko" "uio_hv_vmbus dkms test key" "$dkms_kid" "$kver: dkms-signed"

	# By hand, as docs/kernel.md's Makefile.kbuild + sign-file recipe.
	out=$work/hand-$kver
	if make -s -C "$src" -f Makefile.kbuild KDIR="$kdir" OUT="$out" \
		>"$work/hand-build-$kver.log" 2>&1; then
		"$kdir/scripts/sign-file" sha256 "$work/hand-mok.priv" "$work/hand-mok.der" \
			"$out/uio_hv_vmbus.ko"
		check_signed "$out/uio_hv_vmbus.ko" "uio_hv_vmbus hand test key" \
			"$hand_kid" "$kver: sign-file"
		[ "$(modinfo -F sig_hashalgo "$out/uio_hv_vmbus.ko")" = sha256 ] &&
			ok "$kver: sign-file hash sha256" ||
			notok "$kver: sign-file hash $(modinfo -F sig_hashalgo "$out/uio_hv_vmbus.ko")"
	else
		notok "$kver: Makefile.kbuild: $(tail -5 "$work/hand-build-$kver.log")"
	fi
done
"${dkms[@]}" remove -m uio_hv_vmbus -v "$ver" --all >/dev/null 2>&1 || true
[ ${#kernels[@]} -gt 1 ] ||
	echo "note: only ${kernels[0]%%:*} available (no bookworm-backports kernel)"
[ $fail -eq 0 ] && echo "dkms_sign: all passed" || echo "dkms_sign: FAILED"
exit $fail
