/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The manager owns every event source of cgtier-policyd: signals, the
 * inotify watches (manager-inotify.c), and a slow rescan that catches
 * whatever inotify missed (queue overflow, watch limit). It holds the
 * policy set in force and swaps it on reload.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "cgtier/cgtier.h"
#include "log.h"
#include "manager.h"
#include "damos-backend.h"
#include "stats.h"
#include "util.h"

/* Warns once per knob until a write to it succeeds again. */
static bool first_warning(Manager *m, const char *cgroup, const char *file, bool failed)
{
	_cleanup_free_ char *key = NULL;

	if (strextendf(&key, "%s %s", cgroup, file) < 0)
		return true;
	if (!failed) {
		strmap_remove(m->write_warnings, key);
		return false;
	}
	if (strmap_get(m->write_warnings, key))
		return false;
	(void)strmap_put(m->write_warnings, key, m);
	return true;
}

void manager_forget_warnings(Manager *m, const char *cgroup)
{
	size_t l = strlen(cgroup), i = 0;
	const char *key;

	while (strmap_size(m->write_warnings) > 0 &&
	       strmap_iterate(m->write_warnings, &i, &key, NULL))
		if (strncmp(key, cgroup, l) == 0 && key[l] == ' ')
			strmap_remove_current(m->write_warnings, i);
}

static void on_reconcile_event(void *userdata, reconcile_event ev, const char *cgroup,
			       const char *file, const char *value, int error)
{
	Manager *m = userdata;
	const char *rule = reconciler_event_rule(m->reconciler);
	int level;

	switch (ev) {
	case RECONCILE_EVENT_WRITTEN:
		if (strmap_size(m->write_warnings) > 0)
			(void)first_warning(m, cgroup, file, false);
		log_cgroup_debug(cgroup, rule, "%s: %s = %s", cgroup, file, value);
		break;
	case RECONCILE_EVENT_VANISHED:
		log_cgroup_debug(cgroup, rule, "%s: removed while being configured, skipped", cgroup);
		break;
	case RECONCILE_EVENT_NO_KNOB:
		log_cgroup_debug(cgroup, rule, "%s: no %s (memory controller not enabled there)",
				 cgroup, file);
		break;
	case RECONCILE_EVENT_READ_ONLY:
		level = first_warning(m, cgroup, file, true) ? LOG_WARNING : LOG_DEBUG;
		log_cgroup_full_errno(level, error, cgroup, rule,
				      "%s: %s is read-only (%m): could not set \"%s\"", cgroup, file,
				      value);
		break;
	case RECONCILE_EVENT_FAILED:
		level = first_warning(m, cgroup, file, true) ? LOG_ERR : LOG_DEBUG;
		log_cgroup_full_errno(level, error, cgroup, rule,
				      "%s: failed to write \"%s\" to %s: %m", cgroup, value, file);
		break;
	}
}

static void on_visit(void *userdata, const char *cgroup)
{
	manager_watch_cgroup(userdata, cgroup);
}

int manager_new(const ManagerConfig *config, sd_event *event, Manager **ret)
{
	_cleanup_manager_ Manager *m = NULL;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->policy_inotify_fd = -EBADF;
	m->cgroup_inotify_fd = -EBADF;
	m->state_dir_fd = -EBADF;
	m->kernel_support = -1;
	m->privileged_uid = 0;
	m->validate_bucket = TOKEN_BUCKET_INIT(MANAGER_VALIDATE_INTERVAL_USEC, MANAGER_VALIDATE_BURST);
	for (size_t i = 0; i < ELEMENTSOF(m->policy_ancestor_watches); i++)
		m->policy_ancestor_watches[i].wd = -1;

	m->cgroup_root = strdup(config->cgroup_root ?: CGTIER_DEFAULT_CGROUP_ROOT);
	m->root_prefix = strdup(config->root_prefix ?: "/");
	m->sysfs_root = strdup(config->sysfs_root ?: CGTIER_DEFAULT_SYSFS_ROOT);
	if (!m->cgroup_root || !m->root_prefix || !m->sysfs_root)
		return -ENOMEM;
	m->backend_choice = config->kernel_backend;
	m->backend_active = KERNEL_BACKEND_NATIVE; /* until decided: apply the rules */
	if (config->damon_admin_root)
		m->damon_admin_root = strdup(config->damon_admin_root);
	else
		(void)strextendf(&m->damon_admin_root, "%s/kernel/mm/damon/admin", m->sysfs_root);
	m->proc_root = strdup(config->proc_root ?: "/proc");
	if (!m->damon_admin_root || !m->proc_root)
		return -ENOMEM;
	m->damon_write_hook = config->damon_write_hook;
	m->damon_write_hook_userdata = config->damon_write_hook_userdata;
	if (config->state_dir) {
		m->state_dir = strdup(config->state_dir);
		if (!m->state_dir)
			return -ENOMEM;
		/* StateDirectory= creates it; by hand the daemon does. Without it
		 * the daemon still runs, it only forgets across restarts. */
		if (mkdir(m->state_dir, 0755) < 0 && errno != EEXIST)
			log_warning_errno(errno, "Cannot create state directory %s (%m): state is not kept "
					  "across restarts", m->state_dir);
		else {
			m->state_dir_fd = open(m->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (m->state_dir_fd < 0)
				log_warning_errno(errno, "Cannot open state directory %s (%m): state is not kept "
						  "across restarts", m->state_dir);
		}
	}

	if (event)
		m->event = sd_event_ref(event);
	else {
		r = sd_event_default(&m->event);
		if (r < 0)
			return r;
	}

	if (config->backend == CGFS_BACKEND_LIBCGROUP) {
		r = cgfs_open_libcgroup(m->cgroup_root, &m->fs);
		if (r < 0)
			log_notice_errno(r, "libcgroup cannot serve %s (%m): using the openat backend",
					 m->cgroup_root);
	}
	if (!m->fs) {
		r = cgfs_open_openat(m->cgroup_root, &m->fs);
		if (r < 0)
			return log_error_errno(r, "Cannot open cgroup root %s: %m", m->cgroup_root);
	}

	r = reconciler_new(m->fs, &m->reconciler);
	if (r < 0)
		return r;
	reconciler_set_event_cb(m->reconciler, on_reconcile_event, m);
	reconciler_set_visit_cb(m->reconciler, on_visit, m);

	r = strmap_new(free, &m->cgroup_watches);
	if (r < 0)
		return r;
	r = strmap_new(NULL, &m->write_warnings);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(m);
	return 0;
}

Manager *manager_free(Manager *m)
{
	if (!m)
		return NULL;
	sd_event_source_disable_unref(m->policy_inotify_source);
	sd_event_source_disable_unref(m->reload_timer);
	sd_event_source_disable_unref(m->cgroup_inotify_source);
	sd_event_source_disable_unref(m->rescan_timer);
	sd_event_source_disable_unref(m->sighup_source);
	sd_event_source_disable_unref(m->sigterm_source);
	sd_event_source_disable_unref(m->sigint_source);
	safe_close(m->policy_inotify_fd);
	for (size_t i = 0; i < ELEMENTSOF(m->policy_ancestor_watches); i++)
		free(m->policy_ancestor_watches[i].child);
	safe_close(m->cgroup_inotify_fd);
	safe_close(m->state_dir_fd);
	sd_bus_flush_close_unref(m->bus);
	strmap_free(m->cgroup_watches);
	strmap_free(m->write_warnings);
	reconciler_free(m->reconciler);
	stats_reader_free(m->stats_reader);
	kernel_backend_free(m->kernel_backend);
	free(m->damon_admin_root);
	free(m->proc_root);
	policy_set_free(m->policy);
	cgfs_free(m->fs);
	sd_event_unref(m->event);
	free(m->last_error);
	free(m->cgroup_root);
	free(m->root_prefix);
	free(m->sysfs_root);
	free(m->state_dir);
	free(m);
	return NULL;
}

static bool path_exists(const char *root, const char *rel)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (strextendf(&p, "%s/%s", root, rel) < 0)
		return false;
	return stat(p, &st) == 0;
}

static kernel_backend_kind manager_start_damos(Manager *m)
{
	char why[512] = "";
	struct damos_backend_config c = {
		.admin_root = m->damon_admin_root,
		.sysfs_root = m->sysfs_root,
		.proc_root = m->proc_root,
		.state_dir_fd = m->state_dir_fd,
		.clock = m->clock,
		.write_hook = m->damon_write_hook,
		.write_hook_userdata = m->damon_write_hook_userdata,
	};
	int r;

	r = kernel_backend_new_damos(m->fs, &c, why, sizeof(why), &m->kernel_backend);
	if (r < 0) {
		log_error_errno(r, "Cannot enforce promotion rules through DAMOS: %s: promotion rules "
				"inactive, statistics only", isempty(why) ? strerror(-r) : why);
		return KERNEL_BACKEND_NONE;
	}
	reconciler_set_backend(m->reconciler, m->kernel_backend);
	log_info("Enforcing promotion rules through DAMOS (damos backend: migrate_hot schemes with "
		 "memcg filters and quotas, see cgtier-policies(5) for the approximations)");
	return KERNEL_BACKEND_DAMOS;
}

/* Decides the kernel backend once: forced by --kernel-backend=, or what
 * the kernel offers (kernel_backend_detect()). Auto waits while nobody can
 * tell whether the knobs exist, applying the rules natively meanwhile. */
static void manager_decide_backend(Manager *m)
{
	kernel_backend_kind want = m->backend_choice;
	bool has_kmigrated;

	if (m->backend_decided)
		return;
	has_kmigrated = path_exists(m->sysfs_root, "kernel/mm/kmigrated");
	if (want == KERNEL_BACKEND_AUTO) {
		if (m->kernel_support < 0 && !has_kmigrated)
			return;
		want = kernel_backend_detect(m->kernel_support < 0 ? -ENODATA : m->kernel_support,
					     has_kmigrated, path_exists(m->damon_admin_root, "."));
	}
	m->backend_decided = true;
	if (want == KERNEL_BACKEND_DAMOS)
		want = manager_start_damos(m);
	if (want == KERNEL_BACKEND_NATIVE && m->kernel_support == 0)
		log_warning("Kernel backend native forced on a kernel without memory.promotion.max: "
			    "writes will fail");
	if (want == KERNEL_BACKEND_NONE && m->kernel_support == 0 && m->backend_choice == KERNEL_BACKEND_AUTO)
		log_warning("kernel lacks memory.promotion.max and DAMOS cannot stand in: promotion rules "
			    "inactive (need the cgtier kernel series, or DAMON with migrate_hot)");
	reconciler_set_apply(m->reconciler, want != KERNEL_BACKEND_NONE);
	m->backend_active = want;
	(void)manager_bus_emit_kernel_backend(m);
}

static void manager_probe_kernel(Manager *m)
{
	int r;

	if (m->kernel_support < 0) {
		r = stats_probe_kernel_support(m->fs);
		if (r == -ENODATA) {
			if (!m->probe_unknown_logged)
				log_info("No cgroup below %s has the memory controller yet: cannot tell "
					 "whether the kernel has memory.promotion.max, will look again",
					 m->cgroup_root);
			m->probe_unknown_logged = true;
		} else if (r < 0)
			log_warning_errno(r, "Cannot probe for memory.promotion.max: %m");
		else {
			m->kernel_support = r;
			(void)manager_bus_emit_kernel_support(m);
			if (r > 0)
				log_info("Kernel supports per-cgroup promotion limits");
		}
	}
	manager_decide_backend(m);
}

void manager_stop(Manager *m)
{
	int r;

	r = kernel_backend_stop(m->kernel_backend);
	if (r < 0)
		log_warning_errno(r, "Cannot stop the %s backend's kernel state: %m",
				  kernel_backend_kind_to_string(m->backend_active));
	else if (m->backend_active == KERNEL_BACKEND_DAMOS)
		log_info("Stopped and removed the DAMON kdamonds");
}

void manager_notify_status(Manager *m)
{
	size_t n_rules = m->policy ? policy_set_n_rules(m->policy) : 0;

	if (m->last_error)
		(void)sd_notifyf(false, "STATUS=Last reload failed, %zu rules in force: %s", n_rules,
				 m->last_error);
	else if (m->backend_active == KERNEL_BACKEND_NONE)
		(void)sd_notifyf(false, "STATUS=%zu rules loaded; no kernel backend (no promotion knobs, "
				 "no DAMOS), rules inactive", n_rules);
	else
		(void)sd_notifyf(false, "STATUS=%zu rules, %zu cgroups managed (%s backend)", n_rules,
				 reconciler_n_managed(m->reconciler),
				 kernel_backend_kind_to_string(m->backend_active));
}

/* The knobs we own, saved whenever that set changed: a restart resets
 * those that no rule asks for any more. */
void manager_save_owned_knobs(Manager *m)
{
	int r;

	if (!reconciler_take_owned_changed(m->reconciler) || m->state_dir_fd < 0)
		return;
	r = reconciler_save_state(m->reconciler, m->state_dir_fd);
	if (r < 0)
		log_warning_errno(r, "Cannot save the knobs written to %s/%s (%m): after a restart, knobs of "
				  "rules removed meanwhile may stay set", m->state_dir, RECONCILE_STATE_FILE);
}

static void manager_save_rules(Manager *m)
{
	int r;

	if (m->state_dir_fd < 0)
		return;
	r = policy_set_save_state(m->policy, m->state_dir_fd);
	if (r < 0)
		log_warning_errno(r, "Cannot save the rule set to %s/%s (%m): a restart with a broken "
				  "policy file would start without rules", m->state_dir, POLICY_STATE_FILE);
}

int manager_reconcile(Manager *m)
{
	struct reconcile_stats st = {};
	int r;

	manager_probe_kernel(m);
	r = reconcile_all(m->reconciler, m->policy, &st);
	manager_save_owned_knobs(m);
	if (r < 0)
		return log_error_errno(r, "Reconciling %s failed: %m", m->cgroup_root);
	m->last_stats = st;
	(void)sd_event_now(m->event, CLOCK_REALTIME, &m->last_applied_usec);
	log_debug("Reconciled %zu cgroups: %zu matched, %zu knobs written, %zu unchanged, "
		  "%zu vanished, %zu read-only, %zu failed",
		  st.n_cgroups, st.n_matched, st.n_written, st.n_unchanged, st.n_vanished,
		  st.n_read_only, st.n_failed);
	return 0;
}

int manager_reload(Manager *m, char **ret_message)
{
	_cleanup_policy_set_free_ struct policy_set *set = NULL;
	_cleanup_free_ char *message = NULL;
	struct policy_error err = {};
	char buf[sizeof(err.file) + sizeof(err.message) + 64];
	int r;

	m->n_reloads++;
	if (m->ready)
		(void)sd_notify(false, "RELOADING=1\nSTATUS=Reloading policies");
	(void)manager_watch_policy_dirs(m);

	r = policy_set_load_dirs(m->root_prefix, &set, &err);
	if (r < 0) {
		if (policy_error_format(&err, buf, sizeof(buf)) < 0 || isempty(buf))
			(void)snprintf_ok(buf, sizeof(buf), "%s", strerror(-r));
		log_error("%s", buf);
		log_notice("Keeping the previous %zu rules in force",
			   m->policy ? policy_set_n_rules(m->policy) : 0);
		free(m->last_error);
		m->last_error = strdup(buf);
		if (m->ready)
			(void)sd_notify(false, "READY=1");
		manager_notify_status(m);
		if (ret_message) {
			*ret_message = strdup(buf);
			if (!*ret_message)
				return -ENOMEM;
		}
		return r;
	}

	/* Everything validated: swap in one step. */
	policy_set_free(m->policy);
	m->policy = TAKE_PTR(set);
	free(m->last_error);
	m->last_error = NULL;
	manager_save_rules(m);

	r = manager_reconcile(m);
	if (strextendf(&message, "loaded %zu rules from %zu files", policy_set_n_rules(m->policy),
		       policy_set_n_files(m->policy)) < 0)
		return -ENOMEM;
	log_info("Policies %s; %zu cgroups managed, %zu knobs written", message,
		 reconciler_n_managed(m->reconciler), m->last_stats.n_written);
	(void)manager_bus_emit_policy_applied(m);
	if (m->ready)
		(void)sd_notify(false, "READY=1");
	manager_notify_status(m);
	if (ret_message)
		*ret_message = TAKE_PTR(message);
	return r < 0 ? r : 0;
}

/* What the previous run left: the knobs it wrote (the first reconcile
 * resets those no rule sets any more). A damaged file is only warned about. */
static void manager_load_owned_knobs(Manager *m)
{
	char why[256] = "";
	int r;

	if (m->state_dir_fd < 0)
		return;
	r = reconciler_load_state(m->reconciler, m->state_dir_fd, why, sizeof(why));
	if (r == -ENOENT)
		return;
	if (r == -EBADMSG)
		log_warning("%s/%s: ignored, %s: knobs written before this start are not reset when no rule "
			    "sets them", m->state_dir, RECONCILE_STATE_FILE, why);
	else if (r < 0)
		log_warning_errno(r, "%s/%s: cannot read (%m), ignored", m->state_dir, RECONCILE_STATE_FILE);
	else
		log_debug("Took over %zu cgroups with knobs written before this start",
			  reconciler_n_managed(m->reconciler));
	/* Saved again only once the first reconcile changed something. */
	(void)reconciler_take_owned_changed(m->reconciler);
}

/* The policy files do not load: use the last set that did, if we have it. */
static void manager_load_saved_rules(Manager *m)
{
	_cleanup_policy_set_free_ struct policy_set *set = NULL;
	struct policy_error err = {};
	char buf[sizeof(err.file) + sizeof(err.message) + 64];
	int r;

	if (m->state_dir_fd < 0)
		return;
	r = policy_set_load_state(m->state_dir_fd, &set, &err);
	if (r == -ENOENT)
		return;
	if (r < 0) {
		if (policy_error_format(&err, buf, sizeof(buf)) < 0)
			(void)snprintf_ok(buf, sizeof(buf), "%s", strerror(-r));
		log_warning("Saved rule set in %s ignored: %s", m->state_dir, buf);
		return;
	}
	log_notice("Using the last rule set that loaded (%zu rules from %zu files, saved in %s/%s) until the "
		   "policy files load again", policy_set_n_rules(set), policy_set_n_files(set), m->state_dir,
		   POLICY_STATE_FILE);
	m->policy = TAKE_PTR(set);
}

int manager_load(Manager *m)
{
	int r;

	manager_probe_kernel(m);
	manager_load_owned_knobs(m);
	r = manager_reload(m, NULL);
	if (r == -ENOMEM)
		return r;
	/* A bad policy at start is not fatal: the daemon runs with the last
	 * set that loaded, or with no rules, and serves stats until a good
	 * set arrives. The error stays in LastError. */
	if (r < 0 && !m->policy) {
		manager_load_saved_rules(m);
		r = manager_reconcile(m);
		manager_notify_status(m);
		return r;
	}
	return 0;
}

int manager_cgroup_added(Manager *m, const char *cgroup)
{
	struct reconcile_stats st = {};
	int r;

	manager_probe_kernel(m);
	r = reconcile_subtree(m->reconciler, m->policy, cgroup, &st);
	manager_save_owned_knobs(m);
	if (r < 0)
		return log_cgroup_warning_errno(r, cgroup, NULL,
						"%s: cannot apply rules to new cgroup: %m", cgroup);
	if (st.n_written > 0)
		log_cgroup_debug(cgroup, NULL, "%s: new cgroup configured (%zu knobs)", cgroup,
				 st.n_written);
	return 0;
}

int manager_canonical_cgroup(const Manager *m, const char *in, char **ret)
{
	const char *rel = in;
	size_t l = strlen(m->cgroup_root);

	if (!in)
		return -EINVAL;
	/* Accept the full filesystem path too, as people copy it from ls. */
	if (strncmp(in, m->cgroup_root, l) == 0 && (in[l] == '/' || in[l] == 0))
		rel = in + l;
	return cgfs_path_normalize(rel, ret);
}

/* --- signals and timers --- */

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	log_info("SIGHUP: reloading policies");
	(void)manager_reload(userdata, NULL);
	return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	Manager *m = userdata;

	(void)sd_notify(false, "STOPPING=1");
	return sd_event_exit(m->event, 0);
}

static int on_rescan(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;
	int r;

	(void)manager_reconcile(m);
	r = sd_event_source_set_time_relative(s, MANAGER_RESCAN_USEC);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int manager_start_watching(Manager *m)
{
	int r;

	r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP, on_sighup, m);
	if (r < 0)
		return log_error_errno(r, "Cannot watch SIGHUP: %m");
	r = sd_event_add_signal(m->event, &m->sigterm_source, SIGTERM, on_exit_signal, m);
	if (r < 0)
		return log_error_errno(r, "Cannot watch SIGTERM: %m");
	r = sd_event_add_signal(m->event, &m->sigint_source, SIGINT, on_exit_signal, m);
	if (r < 0)
		return log_error_errno(r, "Cannot watch SIGINT: %m");

	r = manager_start_inotify(m);
	if (r < 0)
		return r;

	r = sd_event_add_time_relative(m->event, &m->rescan_timer, CLOCK_MONOTONIC,
				       MANAGER_RESCAN_USEC, 5 * 1000 * 1000, on_rescan, m);
	if (r < 0)
		return r;
	return 0;
}
