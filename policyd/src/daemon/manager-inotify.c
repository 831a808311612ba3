/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inotify for the manager: one watch per cgroup directory, so a new cgroup
 * gets its knobs within milliseconds of mkdir, and watches on the three
 * policy directories, whose changes trigger a reload after a debounce.
 */
#include <limits.h>
#include <sys/inotify.h>

#include "log.h"
#include "manager.h"
#include "util.h"

void manager_watch_cgroup(Manager *m, const char *cgroup)
{
	_cleanup_free_ char *full = NULL, *path = NULL;
	char key[16];
	int wd, r;

	if (m->cgroup_inotify_fd < 0)
		return;
	if (strextendf(&full, "%s%s", m->cgroup_root, streq(cgroup, "/") ? "" : cgroup) < 0)
		return;
	wd = inotify_add_watch(m->cgroup_inotify_fd, full,
			       IN_CREATE | IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW);
	if (wd < 0) {
		if (errno == ENOSPC && !m->watch_limit_warned) {
			m->watch_limit_warned = true;
			log_cgroup_full_errno(LOG_WARNING, 0, cgroup, NULL,
					      "inotify watch limit reached at %s: new cgroups below "
					      "it are configured by the periodic rescan only (raise "
					      "fs.inotify.max_user_watches)", cgroup);
		} else if (errno != ENOENT && errno != ENOTDIR)
			(void)log_cgroup_full_errno(LOG_DEBUG, errno, cgroup, NULL,
						    "%s: cannot watch (%m)", cgroup);
		return;
	}
	(void)snprintf_ok(key, sizeof(key), "%d", wd);
	/* Same inode, same wd: keep the entry unless the cgroup was renamed. */
	if (streq_ptr(strmap_get(m->cgroup_watches, key), cgroup))
		return;
	path = strdup(cgroup);
	if (!path)
		return;
	r = strmap_put(m->cgroup_watches, key, path);
	if (r >= 0)
		TAKE_PTR(path);
}

/* --- inotify on cgroupfs --- */

typedef void (*inotify_handler)(Manager *m, const struct inotify_event *ev, bool *flag);

/* Reads what is queued and hands each event to handle(); *flag is for the
 * handler to raise (overflow, "this matters"). */
static int read_events(Manager *m, int fd, inotify_handler handle, bool *flag)
{
	union {
		struct inotify_event ev;
		char raw[64 * (sizeof(struct inotify_event) + NAME_MAX + 1)];
	} buf;
	ssize_t n;

	n = read(fd, &buf, sizeof(buf));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : log_error_errno(errno, "inotify read: %m");
	for (char *p = buf.raw; p < buf.raw + n;) {
		const struct inotify_event *ev = (const struct inotify_event *)p;

		p += sizeof(*ev) + ev->len;
		handle(m, ev, flag);
	}
	return 0;
}

static void handle_cgroup_event(Manager *m, const struct inotify_event *ev, bool *overflow)
{
	char key[16];
	const char *parent;

	if (ev->mask & IN_Q_OVERFLOW) {
		*overflow = true;
		return;
	}
	(void)snprintf_ok(key, sizeof(key), "%d", ev->wd);
	parent = strmap_get(m->cgroup_watches, key);
	if (!parent)
		return;
	if (ev->mask & IN_IGNORED) {
		/* Removed, unless a new cgroup of that name came already. */
		if (cgfs_cgroup_exists(m->fs, parent) == 0) {
			reconciler_forget(m->reconciler, parent);
			manager_save_owned_knobs(m);
			manager_forget_warnings(m, parent);
		}
		strmap_remove(m->cgroup_watches, key);
		return;
	}
	if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && ev->len > 0) {
		_cleanup_free_ char *child = NULL;

		if (cgfs_path_join(parent, ev->name, &child) >= 0)
			(void)manager_cgroup_added(m, child);
	}
}

static int on_cgroup_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Manager *m = userdata;
	bool overflow = false;
	int r;

	r = read_events(m, fd, handle_cgroup_event, &overflow);
	if (overflow) {
		log_notice("cgroup inotify queue overflowed: rescanning");
		(void)manager_reconcile(m);
	}
	return r;
}

/* --- inotify on the policy directories --- */

static int on_reload_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;

	log_info("Policy directories changed: reloading");
	(void)manager_reload(m, NULL);
	return 0;
}

static int arm_reload_timer(Manager *m)
{
	int r;

	/* Editors and package managers write in bursts; reload once after. */
	if (m->reload_timer) {
		r = sd_event_source_set_time_relative(m->reload_timer, MANAGER_RELOAD_DEBOUNCE_USEC);
		if (r < 0)
			return r;
		return sd_event_source_set_enabled(m->reload_timer, SD_EVENT_ONESHOT);
	}
	return sd_event_add_time_relative(m->event, &m->reload_timer, CLOCK_MONOTONIC,
					  MANAGER_RELOAD_DEBOUNCE_USEC, 10 * 1000, on_reload_timer, m);
}

static bool policy_event_matters(Manager *m, const struct inotify_event *ev)
{
	bool ancestor = false;

	/* Several missing directories may share one watched ancestor. */
	for (size_t i = 0; i < ELEMENTSOF(m->policy_ancestor_watches); i++) {
		if (m->policy_ancestor_watches[i].wd != ev->wd)
			continue;
		if (ev->len > 0 && streq_ptr(m->policy_ancestor_watches[i].child, ev->name))
			return true;
		ancestor = true;
	}
	return !ancestor;
}

static void handle_policy_event(Manager *m, const struct inotify_event *ev, bool *matters)
{
	if ((ev->mask & IN_Q_OVERFLOW) || policy_event_matters(m, ev))
		*matters = true;
}

static int on_policy_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Manager *m = userdata;
	bool matters = false;
	int r;

	/* Any change inside a policy directory counts: the reload decides
	 * what it means. Unrelated files next to a missing one do not. */
	r = read_events(m, fd, handle_policy_event, &matters);
	if (r < 0)
		return r;
	return matters ? arm_reload_timer(m) : 0;
}

/* Watches each policy directory, or while it does not exist, the nearest
 * existing parent so that its creation is noticed. */
int manager_watch_policy_dirs(Manager *m)
{
	static const char *const dirs[] = { POLICY_DIR_ETC, POLICY_DIR_RUN, POLICY_DIR_LIB };
	const uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE |
			      IN_ATTRIB | IN_ONLYDIR;

	if (m->policy_inotify_fd < 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *path = NULL;
		const char *prefix = streq(m->root_prefix, "/") ? "" : m->root_prefix;
		char *child = NULL;
		int wd;

		if (strextendf(&path, "%s%s", prefix, dirs[i]) < 0)
			return -ENOMEM;
		for (;;) {
			char *slash;

			wd = inotify_add_watch(m->policy_inotify_fd, path, mask);
			if (wd >= 0)
				break;
			if (errno != ENOENT && errno != ENOTDIR)
				return log_warning_errno(errno, "Cannot watch %s: %m", path);
			slash = strrchr(path, '/');
			if (!slash || slash == path)
				break;
			child = slash + 1;
			*slash = 0;
		}
		free(m->policy_ancestor_watches[i].child);
		m->policy_ancestor_watches[i].child = NULL;
		m->policy_ancestor_watches[i].wd = -1;
		if (wd >= 0 && child) {
			m->policy_ancestor_watches[i].child = strdup(child);
			if (!m->policy_ancestor_watches[i].child)
				return -ENOMEM;
			m->policy_ancestor_watches[i].wd = wd;
		}
	}
	return 0;
}

int manager_start_inotify(Manager *m)
{
	int r;

	m->policy_inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (m->policy_inotify_fd < 0)
		return log_error_errno(errno, "inotify_init1: %m");
	r = sd_event_add_io(m->event, &m->policy_inotify_source, m->policy_inotify_fd, EPOLLIN,
			    on_policy_inotify, m);
	if (r < 0)
		return r;
	r = manager_watch_policy_dirs(m);
	if (r < 0)
		return r;

	m->cgroup_inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (m->cgroup_inotify_fd < 0)
		return log_error_errno(errno, "inotify_init1: %m");
	r = sd_event_add_io(m->event, &m->cgroup_inotify_source, m->cgroup_inotify_fd, EPOLLIN,
			    on_cgroup_inotify, m);
	if (r < 0)
		return r;
	/* New cgroups come before rescans and reloads. */
	return sd_event_source_set_priority(m->cgroup_inotify_source, SD_EVENT_PRIORITY_IMPORTANT);
}
