# The whole cgtier stack in the guest, for the end-to-end test and the demo
# (sourced after common.sh):
#   stack_up      a writable /etc (a copy of the host's, bind-mounted over
#                 the read-only 9p one), cgtier's bus policy in it, the
#                 system D-Bus daemon, /etc/cgtier/policies.d (empty);
#   stack_policyd LOG [OPTION...]
#                 start cgtier-policyd on the system bus, logging to LOG,
#                 and wait until it answers; sets DPID;
#   stack_policyd_stop
#                 SIGTERM it and wait; fails unless it exits 0;
#   stack_down    stop the daemon and the bus, put /etc back.
# cgtierctl and busctl then talk to the daemon as on a real host.
POLICYD_BIN=$CGTIER_TOP/policyd/build
POLICIES=/etc/cgtier/policies.d
DPID=
BUSPID=

ctl() { "$POLICYD_BIN/cgtierctl" "$@"; }
# bus_call METHOD SIGNATURE ARGS...: the daemon's D-Bus API through busctl
bus_call() {
	busctl --system call org.cgtier.Policy1 /org/cgtier/Policy1 \
		org.cgtier.Policy1.Manager "$@"
}
bus_prop() {
	busctl --system get-property org.cgtier.Policy1 /org/cgtier/Policy1 \
		org.cgtier.Policy1.Manager "$1"
}

stack_up() {
	[ -x "$POLICYD_BIN/cgtier-policyd" ] && [ -x "$POLICYD_BIN/cgtierctl" ] ||
		fail "no $POLICYD_BIN/cgtier-policyd (make policyd)"
	command -v dbus-daemon >/dev/null || fail "no dbus-daemon (scripts/deps.sh)"
	command -v busctl >/dev/null || fail "no busctl (scripts/deps.sh)"
	if ! mountpoint -q /etc; then
		mkdir -p /tmp/stack-etc
		cp -a /etc/. /tmp/stack-etc/ || fail "cannot copy /etc"
		mount --bind /tmp/stack-etc /etc || fail "cannot bind-mount a writable /etc"
	fi
	mkdir -p $POLICIES /etc/dbus-1/system.d
	cp "$CGTIER_TOP/systemd/org.cgtier.Policy1.conf" /etc/dbus-1/system.d/
	mkdir -p /run/dbus
	rm -f /run/dbus/pid
	dbus-daemon --system --fork --print-pid=1 >/tmp/stack-bus.pid ||
		fail "the system dbus-daemon did not start"
	BUSPID=$(cat /tmp/stack-bus.pid)
	for i in $(seq 1 50); do
		[ -S /run/dbus/system_bus_socket ] && break
		sleep 0.1
	done
	[ -S /run/dbus/system_bus_socket ] || fail "no system bus socket"
}

stack_policyd() {
	local log=$1
	shift
	"$POLICYD_BIN/cgtier-policyd" --log-level=info "$@" >>"$log" 2>&1 &
	DPID=$!
	for i in $(seq 1 100); do
		ctl status >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$log"
	fail "cgtier-policyd did not come up on the system bus"
}

stack_policyd_stop() {
	local rc=0
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID"
	wait "$DPID" || rc=$?
	DPID=
	[ $rc -eq 0 ] || fail "cgtier-policyd exited $rc after SIGTERM"
}

stack_down() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	DPID=
	[ -n "$BUSPID" ] && kill "$BUSPID" 2>/dev/null
	BUSPID=
	mountpoint -q /etc && umount /etc
	return 0
}
