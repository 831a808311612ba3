#!/bin/bash
# Build every prefix of the kernel series with the test configuration and
# report each patch after which the tree does not build (or builds with
# compiler warnings): the upstream rule that every patch builds on its own.
#
#   scripts/bisect-check.sh            all prefixes of both series
#   FROM=K scripts/bisect-check.sh     resume at the K-th patch
#   TO=K                               stop after the K-th patch
#   KEEP="K ..."                       keep the bzImage of those prefixes as
#                                      build/bisect/bzImage-K (a kernel
#                                      without the later patches, for a
#                                      test that must fail before a patch)
#
# The series are those scripts/kernel-build.sh applies (SERIES, default
# kernel/patches/series then kernel/longterm-pin/series), so the first
# series alone is one of the prefixes. Builds go to build/bisect (its own
# patched tree and objects; the extracted source in build/kernel/pristine
# is shared) through kernel-build.sh, one after another, with ccache;
# prefixes whose patches touch widely included headers rebuild much of
# the tree, so expect hours on two cores. Not part of `make check`.
# Writes build/bisect/report (one line per prefix) and a log per prefix.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bisect
SERIES=${SERIES:-kernel/patches/series kernel/longterm-pin/series}
FROM=${FROM:-1}
KEEP=${KEEP:-}
export SERIES

patches=()
for s in $SERIES; do
	while read -r p _; do
		case "$p" in ''|'#'*) continue ;; esac
		patches+=("$(dirname "$s")/$p")
	done <"$top/$s"
done
total=${#patches[@]}
[ "$total" -gt 0 ] || { echo "bisect-check: no patches in $SERIES" >&2; exit 2; }
TO=${TO:-$total}
[ "$FROM" -ge 1 ] && [ "$TO" -le "$total" ] && [ "$FROM" -le "$TO" ] ||
	{ echo "bisect-check: need 1 <= FROM ($FROM) <= TO ($TO) <= $total" >&2; exit 2; }

mkdir -p "$out/log"
[ "$FROM" = 1 ] && : >"$out/report"
bad=0
start=$(date +%s)
for ((k = FROM; k <= TO; k++)); do
	p=${patches[k - 1]}
	log=$out/log/$(printf %02d "$k").log
	# A prefix may add Kconfig symbols the last one lacked: configure anew
	# (kbuild then rebuilds only what the changed symbols touch).
	rm -f "$out/obj/.cgtier-config"
	t0=$(date +%s)
	if KB=$out SRC=$out/src PATCHES=$k MISSING_OPTIONS_OK=1 \
			"$top/scripts/kernel-build.sh" >"$log" 2>&1; then
		warn=$(grep -c ': warning: ' "$log")
		if [ "$warn" -gt 0 ]; then
			res="WARN $warn"
			bad=1
		else
			res=ok
		fi
	else
		res=FAIL
		bad=1
	fi
	case " $KEEP " in
	*" $k "*) [ "$res" = FAIL ] || cp -L "$out/bzImage" "$out/bzImage-$k" ;;
	esac
	line="$k/$total $res $(($(date +%s) - t0))s $p"
	echo "$line" | tee -a "$out/report"
done
echo "bisect-check: $((TO - FROM + 1)) prefix(es) in $(($(date +%s) - start)) s; report in $out/report"
[ "$bad" = 0 ] || { grep -v ' ok ' "$out/report" | sed 's/^/  /'; exit 1; }
