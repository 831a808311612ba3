/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What explain and stats accept besides a cgroup path: a PID (its cgroup
 * from /proc/PID/cgroup) or a systemd unit (its ControlGroup property,
 * asked of systemd over D-Bus). */
#include <ctype.h>

#include "cgtier/cgtier.h"
#include "ctl.h"
#include "log.h"
#include "util.h"

#define SYSTEMD_BUS_NAME "org.freedesktop.systemd1"
#define SYSTEMD_BUS_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER_INTERFACE "org.freedesktop.systemd1.Manager"
#define SYSTEMD_ERROR_NO_SUCH_UNIT "org.freedesktop.systemd1.NoSuchUnit"

/* Unit types that have a cgroup, and the interface with ControlGroup. */
static const struct {
	const char *suffix, *interface;
} unit_types[] = {
	{ ".service", "org.freedesktop.systemd1.Service" },
	{ ".scope", "org.freedesktop.systemd1.Scope" },
	{ ".slice", "org.freedesktop.systemd1.Slice" },
	{ ".socket", "org.freedesktop.systemd1.Socket" },
	{ ".mount", "org.freedesktop.systemd1.Mount" },
	{ ".swap", "org.freedesktop.systemd1.Swap" },
};

static bool is_pid(const char *s)
{
	if (!*s || *s == '0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static const char *unit_interface(const char *s)
{
	/* A path names a cgroup, even one called like a unit. */
	if (strchr(s, '/'))
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(unit_types); i++) {
		const char *e = endswith(s, unit_types[i].suffix);

		if (e && e != s)
			return unit_types[i].interface;
	}
	return NULL;
}

enum ctl_arg_kind ctl_arg_kind(const char *arg)
{
	if (is_pid(arg))
		return CTL_ARG_PID;
	if (unit_interface(arg))
		return CTL_ARG_UNIT;
	return CTL_ARG_PATH;
}

int ctl_pid_cgroup(const char *proc_root, const char *pid, char **ret)
{
	_cleanup_free_ char *path = NULL, *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t size = 0;
	int r;

	r = strextendf(&path, "%s/%s/cgroup", proc_root ?: "/proc", pid);
	if (r < 0)
		return r;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &size, f) > 0) {
		/* cgroup v2: "0::/path"; v1 lines have a controller list. */
		const char *p = startswith(line, "0::");
		char *cg;

		if (!p)
			continue;
		cg = strndup(p, strcspn(p, "\n"));
		if (!cg)
			return -ENOMEM;
		*ret = cg;
		return 0;
	}
	return -ENOMEDIUM;
}

int ctl_unit_cgroup(sd_bus *bus, const char *unit, char **ret, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *interface = unit_interface(unit), *object;
	const char *dest = sd_bus_is_bus_client(bus) ? SYSTEMD_BUS_NAME : NULL;
	char *cg = NULL;
	int r;

	if (!interface)
		return -EINVAL;
	/* GetUnit, not LoadUnit: a unit that is not loaded has no cgroup. */
	r = sd_bus_call_method(bus, dest, SYSTEMD_BUS_PATH, SYSTEMD_MANAGER_INTERFACE, "GetUnit",
			       error, &reply, "s", unit);
	if (r < 0)
		return sd_bus_error_has_name(error, SYSTEMD_ERROR_NO_SUCH_UNIT) ? -ENOENT : r;
	r = sd_bus_message_read(reply, "o", &object);
	if (r < 0)
		return r;
	r = sd_bus_get_property_string(bus, dest, object, interface, "ControlGroup", error, &cg);
	if (r < 0)
		return r;
	if (isempty(cg)) {
		free(cg);
		return -ENODATA;
	}
	*ret = cg;
	return 0;
}

static int systemd_bus(const CtlOptions *o, sd_bus **ret)
{
	return o->user_bus ? sd_bus_open_user(ret) : sd_bus_open_system(ret);
}

int ctl_resolve_cgroup(const CtlOptions *o, const char *arg, char **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *owned = NULL;
	sd_bus *bus = o->systemd_bus;
	char *cg;
	int r;

	switch (ctl_arg_kind(arg)) {
	case CTL_ARG_PID:
		r = ctl_pid_cgroup(o->proc_root, arg, ret);
		if (r == -ESRCH)
			log_error("No process with PID %s", arg);
		else if (r == -ENOMEDIUM)
			log_error("Process %s is in no cgroup v2 hierarchy", arg);
		else if (r < 0)
			log_error_errno(r, "Cannot read the cgroup of PID %s: %m", arg);
		return r;
	case CTL_ARG_UNIT:
		if (!bus) {
			r = systemd_bus(o, &owned);
			if (r < 0)
				return log_error_errno(r, "Cannot reach systemd to resolve unit %s: %m",
						       arg);
			bus = owned;
		}
		r = ctl_unit_cgroup(bus, arg, ret, &error);
		if (r == -ENOENT)
			log_error("Unit %s is not loaded", arg);
		else if (r == -ENODATA)
			log_error("Unit %s has no cgroup (not running?)", arg);
		else if (r < 0)
			log_error("Cannot resolve unit %s: %s", arg,
				  sd_bus_error_is_set(&error) ? error.message : strerror(-r));
		return r;
	case CTL_ARG_PATH:
		break;
	}
	cg = strdup(arg);
	if (!cg)
		return -ENOMEM;
	*ret = cg;
	return 0;
}

int ctl_resolve_exit(int r)
{
	return r == -ESRCH || r == -ENOENT || r == -ENODATA || r == -ENOMEDIUM ?
		CGTIER_EXIT_NOT_FOUND : CGTIER_EXIT_FAILURE;
}
