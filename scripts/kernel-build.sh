#!/bin/bash
# Build the cgtier test kernel out of tree; with --bench, the benchmark
# kernel instead: the same tree and configuration with the debug checks off
# (kernel/config/bench/*.config merged last), in build/kernel-bench; with
# --kasan, the test kernel plus KASAN (kernel/config/kasan/*.config), in
# build/kernel-kasan, for races that could corrupt memory (make
# check-kasan; a configuration of its own, so a cold build); with --base,
# the unpatched base kernel (empty series, the test-bed configuration
# without the series' own fragments 40-kmigrated and 50-offload), in
# build/kernel-base with its own source tree, for the damos backend's
# benchmark and `make demo KERNEL=base` (a stock kernel as most users run
# it; not part of make check).
#
#   1. extract /usr/src/linux-source-6.12.tar.xz once into $KS/pristine;
#   2. mirror it into $KS/src (rsync restores only files a previous series
#      touched, so unchanged files keep their mtimes and make stays
#      incremental) and apply the series in $SERIES, in order: by default
#      kernel/patches/series (kmigrated, promotion control, copy offload)
#      and then kernel/longterm-pin/series (the longterm-pin wait);
#   3. configure: x86_64 defconfig + kvm_guest.config + kernel/config/*.config
#      (+ kernel/config/bench/*.config with --bench), then check that every
#      option the fragments ask for (the last value, where two set it) stuck;
#   4. build bzImage (and modules) in $KB/obj with ccache.
#
# With --deb (make kernel-deb), step 4 is the kernel's bindeb-pkg instead:
# linux-image, linux-headers (and linux-libc-dev) packages of the patched
# kernel, release suffix -cgtier, in build/kernel-deb. By default from the
# test-bed configuration above; with KCONFIG=/boot/config-... from that
# configuration plus only the series' own fragments (40-kmigrated,
# 50-offload, without their KUnit suites and the test-only DMA engine),
# with Debian's signing-key paths cleared. Such a distribution
# configuration builds thousands of modules, and with its debug info a
# linux-image-dbg package as well: hours on two cores, gigabytes of disk.
#
# Environment: KB (default build/kernel, build/kernel-bench with --bench:
# obj/, modroot/, bzImage), KS (default build/kernel: pristine/, src/),
# SRC (default $KS/src: the patched tree), JOBS (default nproc),
# KCONFIG (--deb: the configuration to start from),
# SERIES (series files relative to the checkout, space-separated; default
# "kernel/patches/series kernel/longterm-pin/series"), PATCHES=N (apply only
# the first N patches of them all), MISSING_OPTIONS_OK=1 (an option that
# the tree does not define yet is not an error; with PATCHES, for
# scripts/bisect-check.sh),
# KERNEL_TARBALL (default the Debian path), V=1 for verbose kbuild,
# CGTIER_KBUILD_LOCK (default /tmp/cgtier-kbuild.lock, machine-wide).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
variant=test
case "${1:-}" in
'') ;;
--bench) variant=bench ;;
--deb) variant=deb ;;
--kasan) variant=kasan ;;
--base) variant=base ;;
*) echo "usage: $0 [--bench|--deb|--kasan|--base]" >&2; exit 2 ;;
esac
KCONFIG=${KCONFIG:-}
if [ -n "$KCONFIG" ] && [ "$variant" != deb ]; then
	echo "kernel-build: KCONFIG is for --deb only" >&2
	exit 2
fi
if [ "$variant" = bench ]; then
	KB=${KB:-$top/build/kernel-bench}
elif [ "$variant" = deb ]; then
	KB=${KB:-$top/build/kernel-deb}
elif [ "$variant" = kasan ]; then
	KB=${KB:-$top/build/kernel-kasan}
elif [ "$variant" = base ]; then
	KB=${KB:-$top/build/kernel-base}
	# A tree of its own (the patched one stays as it is, so the next test
	# build stays incremental), next to its objects as src/ is next to
	# obj/ in build/kernel: the same relative paths, so ccache serves
	# every file the series does not change.
	SRC=${SRC:-$KB/src}
	SERIES=${SERIES-}
else
	KB=${KB:-$top/build/kernel}
fi
# The extracted and patched tree; the two kernels share it (one series).
KS=${KS:-$top/build/kernel}
# Where the series is applied; scripts/bisect-check.sh keeps its own.
SRC=${SRC:-$KS/src}
JOBS=${JOBS:-$(nproc)}
KERNEL_TARBALL=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
# shellcheck source=../kernel/BASE
. "$top/kernel/BASE"

die() { echo "kernel-build: $*" >&2; exit 1; }
log() { echo "kernel-build: $*"; }

[ -z "$KCONFIG" ] || [ -r "$KCONFIG" ] || die "KCONFIG=$KCONFIG: no such file"
[ -r "$KERNEL_TARBALL" ] ||
	die "$KERNEL_TARBALL missing: install Debian's linux-source-6.12 (scripts/deps.sh does)"

mkdir -p "$KB" "$KS"
# Serialise with any other kernel build on this machine, whatever checkout
# it comes from: two cores only.
exec 9>"${CGTIER_KBUILD_LOCK:-/tmp/cgtier-kbuild.lock}"
flock 9

stamp="$KS/pristine/.cgtier-tarball"
want="$(stat -c '%s %Y' "$KERNEL_TARBALL")"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	log "extracting $KERNEL_TARBALL"
	rm -rf "$KS/pristine" "$KS/pristine.tmp"
	mkdir -p "$KS/pristine.tmp"
	tar -xJf "$KERNEL_TARBALL" -C "$KS/pristine.tmp" --strip-components=1
	echo "$want" >"$KS/pristine.tmp/.cgtier-tarball"
	mv "$KS/pristine.tmp" "$KS/pristine"
fi

ver=$(make -s -C "$KS/pristine" kernelversion 2>/dev/null)
[ -n "$ver" ] || die "cannot read the kernel version of $KS/pristine"

log "base $ver (series written against $KERNEL_BASE_VERSION)"
mkdir -p "$SRC"
rsync -a --delete --exclude=.cgtier-tarball "$KS/pristine/" "$SRC/"

SERIES=${SERIES-kernel/patches/series kernel/longterm-pin/series}
n=0
for series in $SERIES; do
	series=$top/$series
	[ -r "$series" ] || die "no series file $series"
	while read -r p _; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -n "${PATCHES:-}" ] && [ "$n" -ge "$PATCHES" ] && break
		n=$((n + 1))
		if ! patch -d "$SRC" -p1 --batch --forward --no-backup-if-mismatch \
				-r - -s <"$(dirname "$series")/$p" >"$KB/patch.log" 2>&1; then
			cat "$KB/patch.log" >&2
			if [ "$ver" != "$KERNEL_BASE_VERSION" ]; then
				die "patch $p does not apply: the installed source is $ver but the series is written against $KERNEL_BASE_VERSION (kernel/BASE); rebase the series or install linux-source-6.12=$KERNEL_BASE_DEBIAN"
			fi
			die "patch $p does not apply to $ver"
		fi
	done <"$series"
done
log "applied $n patch(es)"

cc="gcc"
command -v ccache >/dev/null && cc="ccache gcc"
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
# Hash paths relative to the checkout, so a fresh clone elsewhere (CI) hits
# the cache that an earlier build filled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$top} CCACHE_NOHASHDIR=true
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Reproducible-ish builds so ccache hits across rebuilds.
export KBUILD_BUILD_TIMESTAMP="2024-11-17" KBUILD_BUILD_USER="cgtier" KBUILD_BUILD_HOST="cgtier"
mk=(make -s -C "$SRC" O="$KB/obj" CC="$cc" HOSTCC=gcc -j"$JOBS")
[ "${V:-0}" = 1 ] && mk=(make -C "$SRC" O="$KB/obj" CC="$cc" HOSTCC=gcc -j"$JOBS" V=1)

if [ -n "$KCONFIG" ]; then
	# The test bed's fragments (debug checks, trimming, 9p root) have no
	# business in a distribution kernel; the series' own options do, less
	# the KUnit suites and the test-only software DMA engine.
	mkdir -p "$KB"
	grep -hv -e '_KUNIT_TEST=' -e 'DMA_SWCOPY_TEST=' "$top"/kernel/config/40-kmigrated.config \
		"$top"/kernel/config/50-offload.config >"$KB/cgtier-deb.config"
	frags=("$KB/cgtier-deb.config")
elif [ "$variant" = base ]; then
	# Options that only exist with the series would not stick.
	frags=()
	for f in "$top"/kernel/config/*.config; do
		case "${f##*/}" in 40-kmigrated.config|50-offload.config) ;; *) frags+=("$f") ;; esac
	done
else
	frags=("$top"/kernel/config/*.config)
fi
[ "$variant" = bench ] && frags+=("$top"/kernel/config/bench/*.config)
[ "$variant" = kasan ] && frags+=("$top"/kernel/config/kasan/*.config)
cfg_sum=$(cat ${KCONFIG:+"$KCONFIG"} "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$KB/obj/.config" ] || [ "$(cat "$KB/obj/.cgtier-config" 2>/dev/null)" != "$cfg_sum" ]; then
	mkdir -p "$KB/obj"
	if [ -n "$KCONFIG" ]; then
		log "configuring: $KCONFIG + ${frags[*]##*/}"
		cp "$KCONFIG" "$KB/obj/.config"
		# Debian's configuration names certificates that only its own
		# build tree has; an empty list builds with a generated key.
		"$SRC/scripts/config" --file "$KB/obj/.config" \
			--set-str SYSTEM_TRUSTED_KEYS '' --set-str SYSTEM_REVOCATION_KEYS ''
	else
		log "configuring: defconfig + kvm_guest.config + ${frags[*]##*/}"
		"${mk[@]}" defconfig >/dev/null
		"${mk[@]}" kvm_guest.config >/dev/null
	fi
	KCONFIG_CONFIG="$KB/obj/.config" "$SRC/scripts/kconfig/merge_config.sh" \
		-m -O "$KB/obj" "$KB/obj/.config" "${frags[@]}" >/dev/null
	"${mk[@]}" olddefconfig >/dev/null
	echo "$cfg_sum" >"$KB/obj/.cgtier-config"
else
	"${mk[@]}" olddefconfig >/dev/null
fi

# Every option a fragment sets must survive olddefconfig: a silently dropped
# dependency would otherwise test a different kernel than we think. Where
# two fragments set an option, the later one is what merge_config.sh kept.
declare -A want=()
order=()
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) opt=${line%%=*}; val=${line#*=} ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; val=n ;;
	*) continue ;;
	esac
	[ -n "${want[$opt]+set}" ] || order+=("$opt")
	want[$opt]=$val
done < <(cat "${frags[@]}")
bad=0
for opt in "${order[@]}"; do
	val=${want[$opt]}
	have=$(grep -E "^$opt=|^# $opt is not set" "$KB/obj/.config" || true)
	case "$have" in
	"$opt=$val") ;;
	"# $opt is not set") [ "$val" = n ] || { echo "  $opt=$val requested, not set" >&2; bad=1; } ;;
	"") [ "$val" = n ] || [ "${MISSING_OPTIONS_OK:-0}" = 1 ] ||
		{ echo "  $opt=$val requested, unavailable" >&2; bad=1; } ;;
	*) echo "  $opt=$val requested, got ${have#*=}" >&2; bad=1 ;;
	esac
done
[ "$bad" = 0 ] || die "config fragment options did not stick (dependencies missing?)"
if grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$KB/obj/.config" && ! command -v pahole >/dev/null; then
	die "the configuration wants BTF (CONFIG_DEBUG_INFO_BTF), which needs pahole: install dwarves (scripts/deps.sh does)"
fi

start=$(date +%s)
if [ "$variant" = deb ]; then
	# bindeb-pkg writes the packages into the parent of the object tree.
	rm -f "$KB"/linux-*.deb "$KB"/linux-*.buildinfo "$KB"/linux-*.changes
	log "building linux-image and linux-headers packages with -j$JOBS"
	# The packages' maintainer, as in debian/control: no invented person.
	DEBFULLNAME="cgtier developers" DEBEMAIL=cgtier@localhost \
		"${mk[@]}" LOCALVERSION=-cgtier KDEB_SOURCENAME=linux-cgtier bindeb-pkg
	end=$(date +%s)
	log "done in $((end - start)) s ($ver, $n patch(es)):"
	ls "$KB"/linux-*.deb
	exit 0
fi
log "building bzImage and modules with -j$JOBS"
"${mk[@]}" bzImage modules
"${mk[@]}" INSTALL_MOD_PATH="$KB/modroot" INSTALL_MOD_STRIP=1 modules_install >/dev/null
end=$(date +%s)
ln -sf obj/arch/x86/boot/bzImage "$KB/bzImage"
echo "$ver" >"$KB/version"
log "done in $((end - start)) s: $KB/bzImage ($ver, $n patch(es), $variant kernel)"
