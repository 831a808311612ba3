#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# deploy/check.sh: offline checks of the Kubernetes deployment (deploy/,
# docs/FLEET.md). Needs the userspace build (make -C policyd) and libyaml;
# no cluster, no container engine, no network.
#
#  1. cgtier-kcheck (deploy/check/cgtier-kcheck.c, libyaml) checks the
#     manifests as one set: a schema of the fields they use, selector and
#     volume consistency, the privileges of every container, the policy
#     ConfigMap's keys.
#  2. Every policy in the ConfigMap passes `cgtierctl validate`.
#  3. Mutations of the real manifests, each a mistake the checks must catch
#     (a selector mismatch, a missing volume, a typo, an extra capability, a
#     subPath mount, ...): the checker has to fail, and say why. The same
#     for the opt-in DAMON component (components/damon), checked merged
#     into the base DaemonSet.
#  4. The pod, simulated on this machine: the pod's dbus-daemon config,
#     cgtier-policyd on a fake cgroup tree with the ConfigMap laid out the way
#     the kubelet does (..data symlink swaps), cgtierctl through
#     DBUS_SYSTEM_BUS_ADDRESS only (as in `kubectl exec`), policy updates,
#     the metrics loop's textfile, and a kernel without the knobs.
#
# Prints PASS/FAIL/SKIP lines and "N passed, N failed, N skipped"; appends
# "PASS deploy/NAME" (FAIL, SKIP) lines to $CGTIER_RESULTS when set.
# Exit 0 if nothing failed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
K8S=$top/deploy/kubernetes
B=${CGTIER_DEPLOY_BUILD:-$top/build/deploy}
CTL=$top/policyd/build/cgtierctl
DAEMON=$top/policyd/build/cgtier-policyd
KCHECK=$B/cgtier-kcheck
MANIFESTS="$K8S/kustomization.yaml $K8S/namespace.yaml $K8S/serviceaccount.yaml
	$K8S/policies-configmap.yaml $K8S/daemonset.yaml"

passed=0
failed=0
skipped=0

result() {
	echo "$1 $2${3:+: $3}"
	if [ -n "${CGTIER_RESULTS:-}" ]; then
		echo "$1 deploy/$2" >>"$CGTIER_RESULTS"
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

T=$(mktemp -d "${TMPDIR:-/tmp}/cgtier-deploy.XXXXXX") || exit 2
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
# KEEP=1 keeps the temporary directory (checker outputs, logs) for a look.
if [ -n "${KEEP:-}" ]; then
	cleanup() {
		for p in $pids; do
			kill "$p" 2>/dev/null
		done
		echo "kept $T"
	}
fi
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- 1. the checker ----------------------------------------------------------

mkdir -p "$B"
# shellcheck disable=SC2046
if ${CC:-cc} -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 -std=gnu11 -D_GNU_SOURCE \
	-o "$KCHECK" "$top/deploy/check/cgtier-kcheck.c" \
	$(pkg-config --cflags --libs yaml-0.1 2>/dev/null || echo -lyaml) >"$T/cc.log" 2>&1; then
	pass kcheck-build
else
	fail kcheck-build "$(head -n 5 "$T/cc.log")"
	echo "$passed passed, $failed failed, $skipped skipped"
	exit 1
fi

mkdir -p "$T/policies"
# shellcheck disable=SC2086
if "$KCHECK" --extract-policies="$T/policies" $MANIFESTS >"$T/kcheck.out" 2>&1; then
	pass manifests
else
	fail manifests "$(cat "$T/kcheck.out")"
fi

# --- 2. the ConfigMap's policies ---------------------------------------------

if [ ! -x "$CTL" ]; then
	make -s -C "$top/policyd" all >"$T/make.log" 2>&1 || true
fi
n_keys=0
for f in "$T"/policies/*.yaml; do
	[ -e "$f" ] || continue
	n_keys=$((n_keys + 1))
	name=policy/$(basename "$f")
	if [ ! -x "$CTL" ]; then
		fail "$name" "no $CTL (build policyd first)"
	elif out=$("$CTL" validate "$f" 2>&1); then
		pass "$name"
	else
		fail "$name" "$out"
	fi
done
if [ "$n_keys" -gt 0 ]; then
	pass policy-keys-extracted
else
	fail policy-keys-extracted "no *.yaml key in the policy ConfigMap"
fi

# --- 3. mistakes the checks must catch ---------------------------------------

# mutate NAME FILE SED-SCRIPT EXPECTED-TEXT: apply SED-SCRIPT to a copy of
# FILE (one of the manifests), run the checker on the set, expect a failure
# whose output contains EXPECTED-TEXT. A script that no longer changes the
# file fails too, so that the list cannot rot silently.
mutate() {
	name=mutation/$1
	d=$T/m/$1
	mkdir -p "$d"
	for f in $MANIFESTS; do
		cp "$f" "$d/"
	done
	if ! sed -e "$3" "$K8S/$2" >"$d/$2" || cmp -s "$K8S/$2" "$d/$2"; then
		fail "$name" "sed script did not change $2"
		return
	fi
	expect=$4
	if (cd "$d" && "$KCHECK" kustomization.yaml namespace.yaml serviceaccount.yaml \
		policies-configmap.yaml daemonset.yaml) >"$d/out" 2>&1; then
		fail "$name" "accepted"
	elif grep -qF -- "$expect" "$d/out"; then
		pass "$name"
	else
		fail "$name" "rejected, but without \"$expect\": $(head -n 3 "$d/out")"
	fi
}

mutate selector-mismatch daemonset.yaml \
	'/matchLabels:/{n;s/name: cgtier-policyd/name: cgtier-policy/;}' \
	"does not match the pod template's labels"
mutate missing-volume daemonset.yaml \
	's/^        - name: bus$/        - name: dbus-socket/' \
	'volumeMount "bus" names no volume'
mutate unused-volume daemonset.yaml \
	's/^      volumes:$/      volumes:\n        - name: spare\n          emptyDir: {}/' \
	'volume spare is mounted by no container'
mutate unknown-field daemonset.yaml \
	's/readOnlyRootFilesystem: true/readOnlyRootFilesytem: true/' \
	'unknown field "readOnlyRootFilesytem"'
mutate privileged daemonset.yaml \
	's/privileged: false/privileged: true/' \
	'privileged: true is not needed'
mutate extra-capability daemonset.yaml \
	's/add: \["DAC_OVERRIDE"\]/add: ["DAC_OVERRIDE", "SYS_ADMIN"]/' \
	'capability SYS_ADMIN is not needed'
mutate no-drop-all daemonset.yaml \
	'0,/drop: \["ALL"\]/s//drop: ["NET_RAW"]/' \
	'capabilities.drop must be ["ALL"]'
mutate escalation daemonset.yaml \
	's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: true/' \
	'allowPrivilegeEscalation must be false'
mutate no-seccomp daemonset.yaml \
	'/^      securityContext:$/,/type: RuntimeDefault$/d' \
	'needs seccompProfile RuntimeDefault'
mutate host-pid daemonset.yaml \
	's/hostPID: false/hostPID: true/' \
	'hostPID: true is not needed'
mutate host-users daemonset.yaml \
	's/^      hostIPC: false$/      hostIPC: false\n      hostUsers: false/' \
	'hostUsers: false'
mutate cgroup-read-only daemonset.yaml \
	's|^              mountPath: /sys/fs/cgroup$|              mountPath: /sys/fs/cgroup\n              readOnly: true|' \
	'needs the host'"'"'s /sys/fs/cgroup mounted read-write'
mutate cgroup-private daemonset.yaml \
	's|^              mountPath: /sys/fs/cgroup$|              mountPath: /host/sys/fs/cgroup|' \
	'needs the host'"'"'s /sys/fs/cgroup mounted read-write'
mutate policies-subpath daemonset.yaml \
	's|^              mountPath: /etc/cgtier/policies.d$|              mountPath: /etc/cgtier/policies.d\n              subPath: 50-k8s-qos.yaml|' \
	'subPath are never updated'
mutate policies-elsewhere daemonset.yaml \
	's|mountPath: /etc/cgtier/policies.d$|mountPath: /etc/cgtier/policies|' \
	'needs the policy ConfigMap mounted at /etc/cgtier/policies.d'
mutate missing-configmap daemonset.yaml \
	's/name: cgtier-policies$/name: cgtier-policy/' \
	'ConfigMap cgtier-policy is not defined'
mutate hostpath-untyped daemonset.yaml \
	'/^            path: \/sys\/fs\/cgroup$/{n;d;}' \
	'hostPath needs a type'
mutate quoted-integer daemonset.yaml \
	's/runAsUser: 65534/runAsUser: "65534"/' \
	'must be an integer'
mutate no-tolerate-all daemonset.yaml \
	's/- operator: Exists/- {key: dedicated, operator: Exists}/' \
	'needs {operator: Exists}'
mutate priority daemonset.yaml \
	's/priorityClassName: system-node-critical/priorityClassName: high/' \
	'system-node-critical'
mutate no-resources daemonset.yaml \
	'0,/^          resources:$/s//          resourcez:/' \
	'unknown field "resourcez"'
mutate missing-image daemonset.yaml \
	'0,/^          image: cgtier$/{/^          image: cgtier$/d;}' \
	'missing required field "image"'
mutate duplicate-container daemonset.yaml \
	's/^        - name: metrics$/        - name: dbus/' \
	'container name dbus used twice'
mutate sidecar-not-sidecar daemonset.yaml \
	'/^          restartPolicy: Always$/d' \
	'probes need restartPolicy: Always'
mutate yaml-syntax daemonset.yaml \
	's/^  name: cgtier-policyd$/  name: cgtier-policyd\n\tbad: tab/' \
	'YAML:'
mutate configmap-key daemonset.yaml \
	's/defaultMode: 0444/defaultMode: 0444\n            items:\n              - key: 50-k8s-qos.yaml\n                path: 50-k8s-qos.yaml/' \
	'items would hide ConfigMap keys'
mutate configmap-key-name policies-configmap.yaml \
	's/^  60-k8s-qos-class-caps.yaml: |$/  60-k8s-qos-class-caps.yml: |/' \
	'would be ignored by cgtier-policyd'
mutate configmap-immutable policies-configmap.yaml \
	's/^data:$/immutable: true\ndata:/' \
	'an immutable ConfigMap is never updated'
mutate namespace-mismatch serviceaccount.yaml \
	's/namespace: cgtier-system/namespace: kube-system/' \
	'namespace kube-system is not created by these files'
mutate service-account serviceaccount.yaml \
	's/^  name: cgtier-policyd$/  name: cgtier/' \
	'no such ServiceAccount'
mutate unquoted-tag kustomization.yaml \
	's/newTag: "0.1"/newTag: 0.1/' \
	'must be a string: quote "0.1"'
mutate unlisted-resource kustomization.yaml \
	'/^  - serviceaccount.yaml$/d' \
	'is not listed in the resources'
mutate component-unchecked kustomization.yaml \
	's/^resources:$/components:\n  - components\/damon\nresources:/' \
	'component components/damon was not given to this check'
mutate image-override kustomization.yaml \
	's/^  - name: cgtier$/  - name: cgtier-policyd/' \
	'no container uses image "cgtier-policyd"'
mutate bad-label namespace.yaml \
	's/app.kubernetes.io\/part-of: cgtier/app.kubernetes.io\/part-of: -cgtier/' \
	'label value "-cgtier" is not valid'
mutate pss-wrong-kind namespace.yaml \
	's/^kind: Namespace$/kind: Namespac/' \
	'kind Namespac is not known'

# --- 3b. the opt-in DAMON component (components/damon) ----------------------

COMP=$K8S/components/damon
# shellcheck disable=SC2086
if "$KCHECK" $MANIFESTS "$COMP/kustomization.yaml" >"$T/kcheck-damon.out" 2>&1; then
	pass manifests-damon
else
	fail manifests-damon "$(cat "$T/kcheck-damon.out")"
fi
# Without the component, the pod must not need DAMON: a hostPath of
# /sys/kernel/mm/damon would keep it from starting on nodes without it.
if grep -q '/sys/kernel/mm/damon' "$K8S/daemonset.yaml"; then
	fail damon-opt-in "daemonset.yaml mounts DAMON's sysfs: that belongs in components/damon"
else
	pass damon-opt-in
fi

# mutate_damon NAME SED-SCRIPT EXPECTED-TEXT: like mutate, on the
# component's patch, checked with the base manifests.
mutate_damon() {
	name=mutation/damon-$1
	d=$T/m/damon-$1
	mkdir -p "$d/components/damon"
	for f in $MANIFESTS; do
		cp "$f" "$d/"
	done
	cp "$COMP/kustomization.yaml" "$d/components/damon/"
	if ! sed -e "$2" "$COMP/daemonset-damon.yaml" >"$d/components/damon/daemonset-damon.yaml" ||
		cmp -s "$COMP/daemonset-damon.yaml" "$d/components/damon/daemonset-damon.yaml"; then
		fail "$name" "sed script did not change daemonset-damon.yaml"
		return
	fi
	if (cd "$d" && "$KCHECK" kustomization.yaml namespace.yaml serviceaccount.yaml \
		policies-configmap.yaml daemonset.yaml components/damon/kustomization.yaml) >"$d/out" 2>&1; then
		fail "$name" "accepted"
	elif grep -qF -- "$3" "$d/out"; then
		pass "$name"
	else
		fail "$name" "rejected, but without \"$3\": $(head -n 3 "$d/out")"
	fi
}

mutate_damon read-only \
	's|^              mountPath: /sys/kernel/mm/damon$|              mountPath: /sys/kernel/mm/damon\n              readOnly: true|' \
	'mount /sys/kernel/mm/damon read-write'
mutate_damon elsewhere \
	's|mountPath: /sys/kernel/mm/damon$|mountPath: /host/damon|' \
	'looks for DAMON at /sys/kernel/mm/damon'
mutate_damon or-create \
	's/type: Directory$/type: DirectoryOrCreate/' \
	'must be type Directory'
mutate_damon no-node-selector \
	'/^      nodeSelector:$/,/cgtier\/damon: "true"$/d' \
	'select DAMON nodes'
mutate_damon parent-dir \
	's|^            path: /sys/kernel/mm/damon$|            path: /sys/kernel/mm|' \
	'exposes more than DAMON'
mutate_damon metrics-too \
	's|^        - name: cgtier-policyd$|        - name: metrics|' \
	'only cgtier-policyd writes'
mutate_damon wrong-target \
	's|^  name: cgtier-policyd$|  name: cgtier-policy|' \
	'DaemonSet cgtier-policy is not in these files'
mutate_damon unknown-field \
	's|type: Directory$|typ: Directory|' \
	'unknown field "typ"'

# A policy the checker accepts but cgtierctl refuses: the validate step
# above is what catches it, so run it on the mutated ConfigMap.
if [ -x "$CTL" ]; then
	d=$T/m/bad-policy
	mkdir -p "$d/p"
	sed 's|max: 128MiB/s|max: 128Mb/s|' "$K8S/policies-configmap.yaml" >"$d/cm.yaml"
	"$KCHECK" --extract-policies="$d/p" "$d/cm.yaml" "$K8S/daemonset.yaml" >/dev/null 2>&1
	out=$("$CTL" validate "$d"/p/*.yaml 2>&1)
	rc=$?
	if [ "$rc" -eq 3 ] && printf '%s\n' "$out" | grep -q 'did you mean'; then
		pass mutation/bad-policy
	else
		fail mutation/bad-policy "cgtierctl validate exit $rc: $out"
	fi
fi

# --- 4. the pod, simulated ---------------------------------------------------

# What the image installs where, as the DaemonSet expects it.
cf=$top/deploy/container/Containerfile
if grep -q '^COPY deploy/container/cgtier-pod-bus.conf /usr/share/cgtier/pod-bus.conf$' "$cf" &&
	grep -q -- '--config-file=/usr/share/cgtier/pod-bus.conf' "$K8S/daemonset.yaml" &&
	grep -q '^COPY deploy/container/cgtier-prom-textfile /usr/bin/cgtier-prom-textfile$' "$cf" &&
	grep -q 'command: \["cgtier-prom-textfile"\]' "$K8S/daemonset.yaml" &&
	grep -q 'unix:path=/run/dbus/system_bus_socket' "$cf" &&
	grep -q 'listen>unix:path=/run/dbus/system_bus_socket<' "$top/deploy/container/cgtier-pod-bus.conf" &&
	[ -x "$top/deploy/container/cgtier-prom-textfile" ]; then
	pass container-paths
else
	fail container-paths "Containerfile, pod-bus.conf and daemonset.yaml disagree on paths"
fi

# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# A cgroup of the fake tree: with the knobs (cgtier kernel) or without.
mkcg() {
	mkdir -p "$1"
	echo 4096 >"$1/memory.current"
	printf 'anon 4096\nfile 0\npgpromote_success 42\n' >"$1/memory.stat"
	printf 'anon N0=4096 N1=8192\nfile N0=0 N1=0\n' >"$1/memory.numa_stat"
	if [ "$2" = knobs ]; then
		echo 'max 1000000' >"$1/memory.promotion.max"
		echo 100 >"$1/memory.promotion.weight"
		printf 'candidates 9\npromoted 7\nthrottled 1\ndropped 0\nbatches 2\n' >"$1/memory.promotion.stat"
	fi
}

mktree() {
	for c in kubepods.slice \
		kubepods.slice/kubepods-poduid1.slice \
		kubepods.slice/kubepods-poduid1.slice/cri-containerd-c1.scope \
		kubepods.slice/kubepods-burstable.slice \
		kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poduid2.slice \
		kubepods.slice/kubepods-besteffort.slice \
		kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-poduid3.slice \
		kubepods kubepods/besteffort kubepods/besteffort/poduid4 \
		system.slice system.slice/kubelet.service; do
		mkcg "$1/$c" "$2"
	done
}

# The kubelet's atomic writer: a new hidden timestamped directory, a
# ..data_tmp symlink renamed over ..data, then the user-visible symlinks of
# new keys created and those of removed keys deleted, the old directory last.
cm_generation=0
cm_publish() { # DIR SRCDIR
	cm_generation=$((cm_generation + 1))
	ts=..2026_01_01_00_00_00.$cm_generation
	old=$(readlink "$1/..data" 2>/dev/null)
	mkdir "$1/$ts"
	cp "$2"/* "$1/$ts/"
	ln -s "$ts" "$1/..data_tmp"
	mv -T "$1/..data_tmp" "$1/..data"
	for f in "$2"/*; do
		k=$(basename "$f")
		[ -L "$1/$k" ] || ln -s "..data/$k" "$1/$k"
	done
	for l in "$1"/*; do
		[ -L "$l" ] && [ ! -e "$l" ] && rm -f "$l"
	done
	if [ -n "$old" ]; then
		rm -rf "${1:?}/$old"
	fi
}

knob_is() { # FILE VALUE
	[ "$(cat "$1" 2>/dev/null)" = "$2" ]
}

nondefault_knobs() {
	find "$1" \( -name memory.promotion.max -o -name memory.promotion.weight \) \
		-exec grep -Lx -e 'max 1000000' -e 100 {} +
}

status_has() {
	"$CTL" status 2>/dev/null | grep -q -- "$1"
}

pod_test() {
	C=$T/pod/cgroup
	R=$T/pod/root
	P=$R/etc/cgtier/policies.d
	TF=$T/pod/textfile
	mkdir -p "$P" "$TF" "$T/pod/src"
	mktree "$C" knobs
	cp "$T"/policies/*.yaml "$T/pod/src/"
	cm_publish "$P" "$T/pod/src"

	# The pod's bus, from the image's config with this test's paths. As
	# root, run it the way the dbus container does: uid 65534, no
	# capabilities, the socket in a world-writable directory (the emptyDir).
	mkdir -p "$T/pod/run"
	# Not root: the policies' "root" becomes this user, so that the daemon
	# may own its name (Reload still wants uid 0, see below).
	me=root
	[ "$(id -u)" -eq 0 ] || me=$(id -un)
	sed -e "s|<policy user=\"root\">|<policy user=\"$me\">|" \
		"$top/systemd/org.cgtier.Policy1.conf" >"$T/pod/org.cgtier.Policy1.conf"
	sed -e "s|/run/dbus/system_bus_socket|$T/pod/run/system_bus_socket|" \
		-e "s|/usr/share/dbus-1/system.d/org.cgtier.Policy1.conf|$T/pod/org.cgtier.Policy1.conf|" \
		-e "s|<policy user=\"root\">|<policy user=\"$me\">|" \
		"$top/deploy/container/cgtier-pod-bus.conf" >"$T/pod/bus.conf"
	as_nobody=
	if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
		chmod 0755 "$T" "$T/pod"
		chmod 0644 "$T/pod/bus.conf" "$T/pod/org.cgtier.Policy1.conf"
		chmod 1777 "$T/pod/run"
		as_nobody="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
	fi
	$as_nobody dbus-daemon --config-file="$T/pod/bus.conf" --nofork --nopidfile --nosyslog \
		>"$T/pod/dbus.log" 2>&1 &
	pids="$pids $!"
	if wait_for 5 test -S "$T/pod/run/system_bus_socket"; then
		pass pod/bus-config
	else
		fail pod/bus-config "$(cat "$T/pod/dbus.log")"
		return
	fi

	# As in the containers: the bus comes from DBUS_SYSTEM_BUS_ADDRESS only.
	DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/pod/run/system_bus_socket
	export DBUS_SYSTEM_BUS_ADDRESS
	"$DAEMON" --cgroup-root="$C" --root="$R" --sysfs-root="$T/pod/nosys" >"$T/pod/daemon.log" 2>&1 &
	daemon_pid=$!
	pids="$pids $daemon_pid"
	if wait_for 10 status_has '^Rules: 7$'; then
		pass pod/cgtierctl-status
	else
		fail pod/cgtierctl-status "$("$CTL" status 2>&1 | head -n 3) / $(tail -n 3 "$T/pod/daemon.log")"
		return
	fi
	if status_has '^Kernel support: yes' && ! status_has 'Last reload failed'; then
		pass pod/kernel-support-reported
	else
		fail pod/kernel-support-reported "$("$CTL" status 2>&1)"
	fi

	# The QoS policies on both cgroup driver layouts.
	bad=
	knob_is "$C/kubepods.slice/kubepods-besteffort.slice/memory.promotion.max" "6710886 100000" || bad="$bad besteffort-class"
	knob_is "$C/kubepods/besteffort/memory.promotion.max" "6710886 100000" || bad="$bad besteffort-class-cgroupfs"
	knob_is "$C/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-poduid3.slice/memory.promotion.max" "1677722 100000" || bad="$bad besteffort-pod"
	knob_is "$C/kubepods/besteffort/poduid4/memory.promotion.max" "1677722 100000" || bad="$bad besteffort-pod-cgroupfs"
	knob_is "$C/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poduid2.slice/memory.promotion.max" "134217728 1000000" || bad="$bad burstable-pod"
	knob_is "$C/kubepods.slice/kubepods-burstable.slice/memory.promotion.max" "536870912 1000000" || bad="$bad burstable-class"
	knob_is "$C/kubepods.slice/kubepods-poduid1.slice/memory.promotion.weight" "1000" || bad="$bad guaranteed-weight"
	knob_is "$C/kubepods.slice/kubepods-poduid1.slice/cri-containerd-c1.scope/memory.promotion.weight" "1000" || bad="$bad guaranteed-container"
	knob_is "$C/kubepods.slice/memory.promotion.max" "max 1000000" || bad="$bad kubepods-untouched"
	knob_is "$C/system.slice/kubelet.service/memory.promotion.weight" "100" || bad="$bad kubelet-untouched"
	if [ -z "$bad" ]; then
		pass pod/qos-policies-applied
	else
		fail pod/qos-policies-applied "wrong knobs:$bad"
	fi

	# `kubectl exec` runs cgtierctl as root: reload works; anyone else may
	# read but not reload.
	if [ "$(id -u)" -ne 0 ]; then
		skip pod/reload-as-root "not running as root"
	elif out=$("$CTL" reload 2>&1); then
		pass pod/reload-as-root
	else
		fail pod/reload-as-root "$out"
	fi
	if [ -n "$as_nobody" ]; then
		if $as_nobody "$CTL" status >/dev/null 2>&1 && ! $as_nobody "$CTL" reload >/dev/null 2>&1; then
			pass pod/reload-refused-to-others
		else
			fail pod/reload-refused-to-others
		fi
	fi

	# A ConfigMap edit: best-effort pods down to 8 MiB/s.
	sed 's|max: 16MiB/s|max: 8MiB/s|' "$T/policies/50-k8s-qos.yaml" >"$T/pod/src/50-k8s-qos.yaml"
	cm_publish "$P" "$T/pod/src"
	f=$C/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-poduid3.slice/memory.promotion.max
	if wait_for 5 knob_is "$f" "838861 100000"; then
		pass pod/configmap-update-reloads
	else
		fail pod/configmap-update-reloads "$f: $(cat "$f")"
	fi

	# A key removed from the ConfigMap: its rules go, its knobs go back to
	# the kernel defaults.
	rm "$T/pod/src/60-k8s-qos-class-caps.yaml"
	cm_publish "$P" "$T/pod/src"
	f=$C/kubepods.slice/kubepods-besteffort.slice/memory.promotion.max
	if wait_for 5 status_has '^Rules: 3$' && wait_for 2 knob_is "$f" "838861 100000" &&
		! status_has 'Last reload failed'; then
		pass pod/configmap-key-removed
	else
		fail pod/configmap-key-removed "$("$CTL" status 2>&1 | head -n 5); $f: $(cat "$f")"
	fi

	# An invalid ConfigMap: refused as a whole, the rules in force stay.
	printf 'version: 1\nrules:\n  - name: typo\n    priority: 1\n    match:\n      qos: burstable\n    promotion:\n      maxx: 1GiB/s\n' \
		>"$T/pod/src/70-typo.yaml"
	cm_publish "$P" "$T/pod/src"
	if wait_for 5 status_has 'Last reload failed: .*70-typo.yaml:8:7: unknown key "maxx"' &&
		status_has '^Rules: 3$'; then
		pass pod/bad-configmap-keeps-rules
	else
		fail pod/bad-configmap-keeps-rules "$("$CTL" status 2>&1 | head -n 6)"
	fi
	rm "$T/pod/src/70-typo.yaml"
	cm_publish "$P" "$T/pod/src"
	wait_for 5 sh -c "! \"$CTL\" status 2>/dev/null | grep -q 'Last reload failed'"

	# The loop as the metrics container runs it: writes at once, removes
	# its file when the pod stops.
	CGTIERCTL=$CTL "$top/deploy/container/cgtier-prom-textfile" --interval=1 "$TF/loop.prom" \
		2>"$T/pod/loop.err" &
	loop_pid=$!
	pids="$pids $loop_pid"
	if wait_for 5 grep -qsx 'cgtier_daemon_up 1' "$TF/loop.prom"; then
		kill "$loop_pid"
		wait "$loop_pid" 2>/dev/null
		if [ ! -e "$TF/loop.prom" ]; then
			pass textfile/loop
		else
			fail textfile/loop "$TF/loop.prom left after SIGTERM"
		fi
	else
		fail textfile/loop "$(cat "$T/pod/loop.err")"
	fi

	# The metrics container's loop, once.
	if CGTIERCTL=$CTL "$top/deploy/container/cgtier-prom-textfile" --once "$TF/cgtier.prom" \
		2>"$T/pod/textfile.err"; then
		check_textfile "$TF/cgtier.prom" textfile
	else
		fail textfile/written "$(cat "$T/pod/textfile.err")"
	fi
	if grep -qx 'cgtier_kernel_supports_promotion_knobs 1' "$TF/cgtier.prom" &&
		grep -qx 'cgtier_daemon_up 1' "$TF/cgtier.prom" &&
		grep -qx 'cgtier_policy_rules 3' "$TF/cgtier.prom" &&
		grep -qx 'cgtier_policy_last_reload_failed 0' "$TF/cgtier.prom" &&
		grep -qx 'cgtier_managed_cgroups [1-9][0-9]*' "$TF/cgtier.prom" &&
		grep -q '^cgtier_promotion_promoted_pages_total{cgroup="/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-poduid3.slice"} 7$' "$TF/cgtier.prom" &&
		grep -q '^cgtier_memory_node_bytes{cgroup="/kubepods/besteffort/poduid4",node="1"} 8192$' "$TF/cgtier.prom"; then
		pass textfile/content
	else
		fail textfile/content "$(head -n 20 "$TF/cgtier.prom")"
	fi
	# The daemon gauges come from cgtierctl itself, not from its status text.
	if "$CTL" stats --prometheus | grep -qx 'cgtier_policy_rules 3' &&
		! grep -q 'status' "$top/deploy/container/cgtier-prom-textfile"; then
		pass textfile/gauges-from-cgtierctl
	else
		fail textfile/gauges-from-cgtierctl "$("$CTL" stats --prometheus 2>&1 | head -n 12)"
	fi
	if [ -z "$(find "$TF" -name '.*' ! -name . -print)" ]; then
		pass textfile/no-temporary-left
	else
		fail textfile/no-temporary-left "$(ls -a "$TF")"
	fi

	# Uninstalling (docs/FLEET.md): empty policies first put every knob the
	# daemon set back to the kernel default.
	for f in "$T"/pod/src/*.yaml; do
		: >"$f"
	done
	cm_publish "$P" "$T/pod/src"
	if wait_for 5 status_has '^Rules: 0$' &&
		wait_for 2 knob_is "$C/kubepods.slice/kubepods-besteffort.slice/memory.promotion.max" "max 1000000" &&
		! nondefault_knobs "$C" | grep -q .; then
		pass pod/empty-policies-reset-knobs
	else
		fail pod/empty-policies-reset-knobs "$(nondefault_knobs "$C" | head -n 3)"
	fi

	# The daemon gone: the file says so and keeps no stale numbers.
	kill "$daemon_pid"
	wait "$daemon_pid" 2>/dev/null
	CGTIERCTL=$CTL "$top/deploy/container/cgtier-prom-textfile" --once "$TF/cgtier.prom" 2>/dev/null
	if grep -qx 'cgtier_daemon_up 0' "$TF/cgtier.prom" && ! grep -q '^cgtier_promotion' "$TF/cgtier.prom"; then
		pass textfile/daemon-down
	else
		fail textfile/daemon-down "$(cat "$TF/cgtier.prom")"
	fi

	# A node whose kernel lacks the series: reported, nothing written.
	C2=$T/pod/cgroup-stock
	mktree "$C2" stock
	"$DAEMON" --cgroup-root="$C2" --root="$R" --sysfs-root="$T/pod/nosys" >"$T/pod/daemon2.log" 2>&1 &
	daemon_pid=$!
	pids="$pids $daemon_pid"
	if wait_for 10 status_has '^Kernel support: no' &&
		grep -q 'kernel lacks memory.promotion.max and DAMOS cannot stand in: promotion rules inactive (need the cgtier kernel series' \
			"$T/pod/daemon2.log" &&
		[ -z "$(find "$C2" -name 'memory.promotion.*' -print)" ]; then
		pass pod/kernel-without-knobs-reported
	else
		fail pod/kernel-without-knobs-reported "$("$CTL" status 2>&1 | head -n 3); $(cat "$T/pod/daemon2.log")"
	fi
	CGTIERCTL=$CTL "$top/deploy/container/cgtier-prom-textfile" --once "$TF/cgtier.prom" 2>/dev/null
	if grep -qx 'cgtier_kernel_supports_promotion_knobs 0' "$TF/cgtier.prom"; then
		pass textfile/kernel-without-knobs
	else
		fail textfile/kernel-without-knobs "$(head -n 12 "$TF/cgtier.prom")"
	fi
	kill "$daemon_pid"
	wait "$daemon_pid" 2>/dev/null
}

# Prometheus text format, as node_exporter's textfile collector parses it,
# and the naming conventions: snake_case cgtier_ names, a TYPE line before a
# family's samples, counters ending in _total, per-cgroup series labelled
# cgroup, and label node only as a NUMA node number.
check_textfile() {
	if out=$(awk '
	/^# HELP / { next }
	/^# TYPE / {
		if ($4 != "counter" && $4 != "gauge") { print NR ": type " $4; bad = 1 }
		if (seen[$3]++) { print NR ": family " $3 " declared twice"; bad = 1 }
		type[$3] = $4; next
	}
	/^#/ || /^$/ { next }
	{
		line = $0
		if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { print NR ": bad name: " line; bad = 1; next }
		name = substr(line, 1, RLENGTH); rest = substr(line, RLENGTH + 1)
		if (name !~ /^cgtier_[a-z0-9_]+$/) { print NR ": not a snake_case cgtier_ name: " name; bad = 1 }
		if (!(name in type)) { print NR ": no TYPE before " name; bad = 1 }
		if (type[name] == "counter" && name !~ /_total$/) { print NR ": counter without _total: " name; bad = 1 }
		if (type[name] == "gauge" && name ~ /_total$/) { print NR ": gauge named _total: " name; bad = 1 }
		labels = ""
		if (substr(rest, 1, 1) == "{") {
			end = index(rest, "} ")
			if (!end) { print NR ": unterminated labels"; bad = 1; next }
			labels = substr(rest, 2, end - 2); rest = substr(rest, end + 1)
			if (labels !~ /^[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*$/) { print NR ": bad labels: " labels; bad = 1 }
			if (labels ~ /(^|,)node="/ && labels !~ /(^|,)node="[0-9]+"/) { print NR ": node is not a NUMA node number"; bad = 1 }
		}
		if (name ~ /^cgtier_(promotion|memory)_/ && labels !~ /^cgroup="\//) { print NR ": per-cgroup series without cgroup label: " name; bad = 1 }
		if (rest !~ /^ -?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) { print NR ": bad value: " rest; bad = 1 }
		samples++
	}
	END { if (!samples) { print "no samples"; bad = 1 } exit bad }' "$1" 2>&1); then
		pass "$2/format"
	else
		fail "$2/format" "$out"
	fi
}

if ! command -v dbus-daemon >/dev/null 2>&1; then
	skip pod "no dbus-daemon (Debian package dbus-daemon)"
elif [ ! -x "$DAEMON" ] || [ ! -x "$CTL" ]; then
	fail pod "no $DAEMON or $CTL (build policyd first)"
else
	pod_test
fi

# --- scripts ------------------------------------------------------------------

if sh -n "$top/deploy/container/cgtier-prom-textfile" && sh -n "$0"; then
	pass scripts-syntax
else
	fail scripts-syntax
fi

echo "deploy: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
