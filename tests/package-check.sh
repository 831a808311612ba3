#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/package-check.sh: the "package" stage of make check / check-unit.
# Builds the cgtier Debian package (scripts/deb-build.sh, in a copy of the
# tree under build/package), then checks that it installs like a real
# daemon:
#
#  1. lintian finds no error (the placeholder maintainer address aside);
#  2. unpacked into a scratch root (dpkg -x): the examples validate with
#     that root's cgtierctl, no policy is active, /etc/cgtier/policies.d
#     exists, systemd-analyze verify of the unit is clean and every
#     Documentation= page is there, the man pages render without
#     warnings, the maintainer scripts create the user and enable the unit;
#  3. make install DESTDIR=... PREFIX=/usr puts down the same files as the
#     package, and make uninstall removes exactly them;
#  4. the bash completion completes commands, options and cgroups, and
#     offers exactly the commands and options of `cgtierctl --help`.
#
# Each check that could pass for the wrong reason is also run against a
# broken input (a package without its copyright file, a policy with a typo,
# a root without a man page), which it has to refuse.
#
# Prints PASS/FAIL/SKIP lines and a summary; appends "PASS package/NAME"
# (FAIL, SKIP) lines to $CGTIER_RESULTS when set. Exit 0 if nothing failed.
# KEEP=1 keeps the temporary directory.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${CGTIER_PACKAGE_BUILD:-$top/build/package}
# The maintainer is "cgtier developers <cgtier@localhost>" by the project's
# rule (no invented person, no real address); lintian calls that host bogus.
# Every other error fails the check.
LINTIAN_SUPPRESS=bogus-mail-host,bogus-mail-host-in-debian-changelog

passed=0
failed=0
skipped=0
result() {
	echo "$1 $2${3:+: $3}"
	if [ -n "${CGTIER_RESULTS:-}" ]; then
		echo "$1 package/$2" >>"$CGTIER_RESULTS"
	fi
}
pass() {
	passed=$((passed + 1))
	result PASS "$1"
}
fail() {
	failed=$((failed + 1))
	result FAIL "$1" "${2:-}"
}
skip() {
	skipped=$((skipped + 1))
	result SKIP "$1" "${2:-}"
}
finish() {
	echo "package: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

T=$(mktemp -d "${TMPDIR:-/tmp}/cgtier-package.XXXXXX") || exit 2
if [ -n "${KEEP:-}" ]; then
	trap 'echo "kept $T"' EXIT
else
	trap 'rm -rf "$T"' EXIT
fi
trap 'exit 1' INT TERM

status_before=$(git -C "$top" status --porcelain 2>/dev/null)

# --- 1. build and lint -------------------------------------------------------

# The unit stage has run the unit tests already.
if DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" "$top/scripts/deb-build.sh" "$B" \
	>"$T/deb-build.out" 2>&1; then
	pass deb-build
else
	fail deb-build "$(tail -n 15 "$T/deb-build.out")"
	finish
fi
deb=$(find "$B" -maxdepth 1 -name 'cgtier_*_*.deb' | head -n 1)
changes=$(find "$B" -maxdepth 1 -name 'cgtier_*_*.changes' | head -n 1)
if [ -z "$deb" ] || [ -z "$changes" ]; then
	fail deb-build "no cgtier_*.deb and .changes in $B"
	finish
fi

# run_lintian FILE: exit 0 when lintian reports no error.
run_lintian() {
	lintian --fail-on error --suppress-tags "$LINTIAN_SUPPRESS" "$1" 2>&1 |
		grep -v '^running with root privileges'
	return "${PIPESTATUS[0]}"
}
if ! command -v lintian >/dev/null 2>&1; then
	skip lintian "no lintian (Debian package lintian)"
else
	if out=$(run_lintian "$changes"); then
		pass lintian
	else
		fail lintian "$(printf '%s\n' "$out" | grep '^E:' | head -n 10)"
	fi
	# The same call on a package without its copyright file must fail, so
	# that a lintian that checks nothing (or a suppression list that hides
	# too much) is noticed.
	mkdir -p "$T/broken"
	dpkg-deb -R "$deb" "$T/broken/tree" &&
		rm -f "$T/broken/tree/usr/share/doc/cgtier/copyright" &&
		dpkg-deb --root-owner-group -b "$T/broken/tree" "$T/broken/cgtier_0_amd64.deb" >/dev/null 2>&1
	if out=$(run_lintian "$T/broken/cgtier_0_amd64.deb"); then
		fail lintian-catches-errors "accepted a package without copyright file"
	elif printf '%s\n' "$out" | grep -q 'no-copyright-file'; then
		pass lintian-catches-errors
	else
		fail lintian-catches-errors "rejected, but without no-copyright-file: $(head -n 3 <<<"$out")"
	fi
fi

# --- 2. the package, unpacked ------------------------------------------------

R=$T/root
dpkg -x "$deb" "$R"
CTL=$R/usr/bin/cgtierctl
EX=$R/usr/share/doc/cgtier/examples

n_ex=$(find "$EX" -name '*.yaml' 2>/dev/null | wc -l)
n_src=$(find "$top/policies" -name '*.yaml' | wc -l)
if [ "$n_ex" -gt 0 ] && [ "$n_ex" -eq "$n_src" ] &&
	out=$("$CTL" validate "$EX"/*.yaml 2>&1) &&
	[ "$(printf '%s\n' "$out" | grep -c ': ok, [0-9]* rules$')" -eq "$n_ex" ]; then
	pass examples-validate
else
	fail examples-validate "$n_ex of $n_src examples installed; $out"
fi
# The installed cgtierctl must refuse a broken copy of an example.
mkdir -p "$T/bad"
sed 's/^\(\( *\)weight:\)/\2weigth:/' "$EX/50-services.yaml" >"$T/bad/50-services.yaml"
out=$("$CTL" validate "$T/bad/50-services.yaml" 2>&1)
rc=$?
if [ "$rc" -eq 3 ] && printf '%s\n' "$out" | grep -q 'unknown key "weigth"'; then
	pass examples-validate-catches-typo
else
	fail examples-validate-catches-typo "exit $rc: $out"
fi

# Installed, but inactive: no policy where the daemon reads them.
active=$(find "$R/etc/cgtier" "$R/run" "$R/usr/lib/cgtier" -name '*.yaml' 2>/dev/null)
if [ -d "$R/etc/cgtier/policies.d" ] && [ -z "$active" ] && [ ! -e "$R/usr/lib/cgtier/policies.d" ]; then
	pass examples-inactive
else
	fail examples-inactive "policies.d missing or active policies:$active"
fi

unit=$R/lib/systemd/system/cgtier-policyd.service
[ -f "$unit" ] || unit=$R/usr/lib/systemd/system/cgtier-policyd.service
# Documentation=: every man: page the unit names, in the package.
docs_missing=
docs_n=0
for d in $(sed -n 's/^Documentation=//p' "$unit" 2>/dev/null | tr ' ' '\n'); do
	docs_n=$((docs_n + 1))
	case $d in
	man:*\(*\))
		page=${d#man:}
		name=${page%(*}
		sect=${page#*(}
		sect=${sect%)}
		[ -f "$R/usr/share/man/man$sect/$name.$sect.gz" ] || docs_missing="$docs_missing $d"
		;;
	*) docs_missing="$docs_missing $d(not a man page)" ;;
	esac
done
if [ "$docs_n" -gt 0 ] && [ -z "$docs_missing" ]; then
	pass unit-documentation
else
	fail unit-documentation "unit $unit: ${docs_missing:-no Documentation=}"
fi

# systemd-analyze verify checks the unit's syntax, that its commands exist
# and that its man pages open. The commands are looked up in the scratch
# root (ExecStart= rewritten to point there), the pages through MANPATH.
# verify_unit ROOT OUT
verify_unit() {
	local u v
	u=$1/lib/systemd/system/cgtier-policyd.service
	[ -f "$u" ] || u=$1/usr/lib/systemd/system/cgtier-policyd.service
	v=$(mktemp -d "$T/verify.XXXXXX")
	sed "s|^ExecStart=/|ExecStart=$1/|" "$u" >"$v/cgtier-policyd.service"
	MANPATH=$1/usr/share/man systemd-analyze verify "$v/cgtier-policyd.service" >"$2" 2>&1 &&
		! grep -q . "$2"
}
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip unit-verify "no systemd-analyze"
else
	if verify_unit "$R" "$T/verify.out"; then
		pass unit-verify
	else
		fail unit-verify "$(head -n 5 "$T/verify.out")"
	fi
	# A root without one of the pages must fail the same verification.
	cp -a "$R" "$T/root-noman"
	rm -f "$T/root-noman/usr/share/man/man1/cgtierctl.1.gz"
	if verify_unit "$T/root-noman" "$T/verify-noman.out"; then
		fail unit-verify-catches-missing-page "verify passed without cgtierctl(1)"
	elif grep -q 'cgtierctl(1)' "$T/verify-noman.out"; then
		pass unit-verify-catches-missing-page
	else
		fail unit-verify-catches-missing-page "$(head -n 3 "$T/verify-noman.out")"
	fi
fi

# One installed page per docs/*.scd, each rendering without groff warnings.
man_bad=
for scd in "$top"/docs/*.scd; do
	page=$(basename "$scd" .scd)
	f=$R/usr/share/man/man${page##*.}/$page.gz
	if [ ! -f "$f" ]; then
		man_bad="$man_bad $page(missing)"
	elif ! out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$f" 2>&1 >/dev/null) ||
		[ -n "$out" ]; then
		man_bad="$man_bad $page($out)"
	fi
done
if [ -z "$man_bad" ]; then
	pass man-pages
else
	fail man-pages "$man_bad"
fi

# Maintainer scripts: the system user before the unit starts, the unit
# enabled (with its D-Bus alias) and started.
dpkg-deb -e "$deb" "$T/control"
if grep -q 'systemd-sysusers.*cgtier\.conf' "$T/control/postinst" 2>/dev/null &&
	grep -q 'deb-systemd-helper.*enable.*cgtier-policyd\.service' "$T/control/postinst" &&
	grep -q 'deb-systemd-invoke.*cgtier-policyd\.service' "$T/control/postinst" &&
	grep -q 'deb-systemd-helper purge.*cgtier-policyd\.service' "$T/control/postrm" 2>/dev/null; then
	pass maintainer-scripts
else
	fail maintainer-scripts "postinst/postrm lack sysusers or unit handling"
fi

if [ -x "$R/usr/lib/cgtier/cgtier-prom-textfile" ] &&
	"$R/usr/lib/cgtier/cgtier-prom-textfile" --help | grep -q '^usage: cgtier-prom-textfile'; then
	pass prom-textfile
else
	fail prom-textfile "no executable /usr/lib/cgtier/cgtier-prom-textfile"
fi

# --- 3. make install = the package; make uninstall removes it ---------------

# list_tree ROOT: every file, link and directory, as the package would hold
# it: man pages compressed, the package's own changelog and copyright aside.
list_tree() {
	(cd "$1" && find . -mindepth 1 \( -type d -printf '%p/\n' \) -o -printf '%p\n') |
		sed -e 's|^\./|/|' -e 's|^\(/usr/share/man/man[0-9]/[^/]*\)\.gz$|\1|' |
		grep -vx -e /usr/share/doc/cgtier/changelog.gz -e /usr/share/doc/cgtier/copyright |
		LC_ALL=C sort
}
I=$T/install
if make -s -C "$top" install DESTDIR="$I" PREFIX=/usr >"$T/install.out" 2>&1; then
	list_tree "$R" >"$T/package.list"
	list_tree "$I" >"$T/install.list"
	if diff -u "$T/package.list" "$T/install.list" >"$T/list.diff"; then
		pass install-matches-package
	else
		fail install-matches-package "$(grep '^[-+]/' "$T/list.diff" | head -n 10 | tr '\n' ' ')"
	fi
	# An administrator's policy, which uninstall must leave alone.
	echo 'version: 1' >"$I/etc/cgtier/policies.d/99-local.yaml"
	if make -s -C "$top" uninstall DESTDIR="$I" PREFIX=/usr >"$T/uninstall.out" 2>&1; then
		left=$(cd "$I" && find . ! -type d | sed 's|^\./|/|')
		dirs_left=$(cd "$I" && find ./usr/share/doc/cgtier ./usr/lib/cgtier \
			./usr/share/man/man1/cgtierctl.1 2>/dev/null)
		if [ "$left" = /etc/cgtier/policies.d/99-local.yaml ] && [ -z "$dirs_left" ]; then
			pass uninstall
		else
			fail uninstall "left: $left $dirs_left"
		fi
	else
		fail uninstall "$(tail -n 5 "$T/uninstall.out")"
	fi
else
	fail install-matches-package "make install: $(tail -n 5 "$T/install.out")"
fi

# --- 4. bash completion ------------------------------------------------------

COMP=$R/usr/share/bash-completion/completions/cgtierctl
BC=/usr/share/bash-completion/bash_completion
# complete WORDS...: what the completion offers for the last word, sorted.
complete_words() {
	CGTIER_CGROUP_ROOT=$T/cg bash -c '
		source "$1" >/dev/null 2>&1
		source "$2"
		shift 2
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_cgtierctl cgtierctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' _ "$BC" "$COMP" "$@" 2>"$T/complete.err"
}
if [ ! -f "$BC" ]; then
	skip completion "no $BC (Debian package bash-completion)"
elif [ ! -f "$COMP" ]; then
	fail completion "not installed"
else
	mkdir -p "$T/cg/system.slice/nginx.service" "$T/cg/system.slice/batch.service" "$T/cg/user.slice"
	bad=
	[ "$(complete_words cgtierctl st | tr '\n' ' ')" = "stats status " ] || bad="$bad commands"
	[ "$(complete_words cgtierctl --js | tr '\n' ' ')" = "--json " ] || bad="$bad options"
	[ "$(complete_words cgtierctl -i 2 t | tr '\n' ' ')" = "top " ] || bad="$bad option-argument"
	[ "$(complete_words cgtierctl explain system.slice/n | tr '\n' ' ')" = \
		"system.slice/nginx.service/ " ] || bad="$bad cgroups"
	if [ -z "$bad" ]; then
		pass completion
	else
		fail completion "wrong completions:$bad"
	fi

	# The help's commands and options against the completion's: a command
	# or option added to cgtierctl and not to the completion fails here.
	"$CTL" --help >"$T/help" 2>&1
	help_cmds=$(sed -n '/^Commands:/,/^$/p' "$T/help" | awk 'NR > 1 && NF {print $1}' | LC_ALL=C sort)
	help_opts=$(sed -n '/^Options:/,/^$/p' "$T/help" | grep -o -- '--\?[a-z][a-z-]*' |
		grep '^-' | LC_ALL=C sort -u)
	comp_cmds=$(complete_words cgtierctl '')
	comp_opts=$(complete_words cgtierctl - | sed 's/=$//' | LC_ALL=C sort -u)
	if [ -n "$help_cmds" ] && [ "$help_cmds" = "$comp_cmds" ] &&
		[ -n "$help_opts" ] && [ "$help_opts" = "$comp_opts" ]; then
		pass completion-matches-help
	else
		fail completion-matches-help "help: $(tr '\n' ' ' <<<"$help_cmds $help_opts"); completion: $(tr '\n' ' ' <<<"$comp_cmds $comp_opts")"
	fi
fi

# --- the tree ------------------------------------------------------------------

if [ "$(git -C "$top" status --porcelain 2>/dev/null)" = "$status_before" ]; then
	pass tree-untouched
else
	fail tree-untouched "git status changed: $(git -C "$top" status --porcelain | head -n 5 | tr '\n' ' ')"
fi

finish
