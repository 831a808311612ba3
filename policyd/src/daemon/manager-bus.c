/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The org.cgtier.Policy1.Manager interface: read-only queries for anyone,
 * Reload for root only (checked here as well as in the bus policy). */
#include <systemd/sd-daemon.h>
#include <systemd/sd-id128.h>

#include "cgtier/bus.h"
#include "cgtier/cgtier.h"
#include "escape.h"
#include "log.h"
#include "manager.h"
#include "stats.h"
#include "topology.h"
#include "util.h"


static int cgroup_arg(Manager *m, sd_bus_message *msg, sd_bus_error *error, char **ret)
{
	const char *in;
	int r;

	r = sd_bus_message_read(msg, "s", &in);
	if (r < 0)
		return r;
	r = manager_canonical_cgroup(m, in, ret);
	if (r < 0)
		return sd_bus_error_setf(error, CGTIER_BUS_ERROR_INVALID_PATH,
					 "Invalid cgroup path \"%s\": must be a path below %s "
					 "without \".\" or \"..\" components", in, m->cgroup_root);
	return 0;
}

/* D-Bus strings must be UTF-8, cgroup names need not be (a delegated user
 * picks them): such a name goes out with the offending bytes as \xNN rather
 * than failing the whole reply. *ret is s itself, or a copy to free. */
static int bus_string(const char *s, char **to_free, const char **ret)
{
	if (utf8_is_valid(s)) {
		*ret = s;
		return 0;
	}
	*to_free = text_escape(s, ESCAPE_INVALID_ONLY | ESCAPE_KEEP_NEWLINE);
	if (!*to_free)
		return -ENOMEM;
	*ret = *to_free;
	return 0;
}

static int method_list_cgroups(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *m = userdata;
	const struct reconcile_entry *e;
	const char *cgroup;
	size_t i = 0;
	int r;

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(ssssu)");
	if (r < 0)
		return r;
	while (reconciler_iterate(m->reconciler, &i, &cgroup, &e)) {
		_cleanup_free_ char *escaped = NULL;
		char human[128], max[RATE_STRING_MAX] = "";

		if (promotion_setting_format(&e->setting, human, sizeof(human)) < 0)
			human[0] = 0;
		if (promotion_setting_to_max_string(&e->setting, max, sizeof(max)) < 0)
			max[0] = 0;
		r = bus_string(cgroup, &escaped, &cgroup);
		if (r < 0)
			return r;
		r = sd_bus_message_append(reply, "(ssssu)", cgroup, strempty(e->rule), human, max,
					  e->setting.has_weight ? e->setting.weight : 0);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/* The kernel backend's own counters (the damos backend's per-scheme stats);
 * a backend that cannot read them must not fail the cgroup's other stats. */
static int manager_backend_stats(Manager *m, const char *cgroup, struct cgroup_stats *s)
{
	int r;

	r = kernel_backend_stats(m->kernel_backend, cgroup, s);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		(void)log_cgroup_full_errno(LOG_DEBUG, r, cgroup, NULL,
					    "%s backend statistics of %s unavailable: %m",
					    kernel_backend_kind_to_string(m->backend_active), cgroup);
	return 0;
}

/* One cgroup's statistics, the a{st}bta(ut) of GetCgroupStats. */
static int append_stats(sd_bus_message *reply, const struct cgroup_stats *s)
{
	int r;

	r = sd_bus_message_open_container(reply, 'a', "{st}");
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_promotion; i++) {
		r = sd_bus_message_append(reply, "{st}", s->promotion[i].key, s->promotion[i].value);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "bt", s->has_pgpromote_success, s->pgpromote_success);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(ut)");
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_nodes; i++) {
		r = sd_bus_message_append(reply, "(ut)", s->nodes[i].node, s->nodes[i].bytes);
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(reply);
}

static int method_get_cgroup_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(cgroup_stats_done) struct cgroup_stats s = {};
	_cleanup_free_ char *cgroup = NULL;
	Manager *m = userdata;
	int r;

	r = cgroup_arg(m, msg, error, &cgroup);
	if (r < 0 || !cgroup)
		return r;
	r = stats_read(m->fs, cgroup, &s);
	if (r >= 0)
		r = manager_backend_stats(m, cgroup, &s);
	if (r == -ENOENT || r == -ENOTDIR || r == -ENODEV)
		return sd_bus_error_setf(error, CGTIER_BUS_ERROR_NO_SUCH_CGROUP,
					 "No cgroup %s below %s", cgroup, m->cgroup_root);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot read statistics of %s: %m", cgroup);

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = append_stats(reply, &s);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/* Appends one cgroup's record to a ListCgroupStats reply, or skips it. */
static int append_cgroup_stats(Manager *m, sd_bus_message *reply, const char *cgroup,
			       const struct reconcile_entry *e, struct cgroup_stats *s, int r)
{
	_cleanup_free_ char *escaped = NULL;
	const char *name;

	if (r >= 0)
		r = manager_backend_stats(m, cgroup, s);
	if (r == -ENOMEM)
		return r;
	/* Gone since the last walk, or unreadable: one cgroup must not fail
	 * everybody's scrape. */
	if (r < 0) {
		(void)log_cgroup_full_errno(LOG_DEBUG, r, cgroup, e->rule,
					    "Statistics of %s skipped: %m", cgroup);
		return 0;
	}
	r = bus_string(cgroup, &escaped, &name);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'r', "sa{st}bta(ut)");
	if (r >= 0)
		r = sd_bus_message_append(reply, "s", name);
	if (r >= 0)
		r = append_stats(reply, s);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r;
}

/* Every managed cgroup's statistics in one reply: a scrape of 10,000
 * cgroups was 10,000 round trips through the bus daemon. The files are
 * read a chunk at a time by the stats reader's threads (the reads are
 * nearly all of the cost), and appended here in the reconciler's order. */
static int method_list_cgroup_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const struct reconcile_entry *entries[MANAGER_STATS_CHUNK];
	const char *cgroups[MANAGER_STATS_CHUNK];
	struct cgroup_stats stats[MANAGER_STATS_CHUNK];
	int results[MANAGER_STATS_CHUNK];
	Manager *m = userdata;
	size_t i = 0, n;
	int r;

	if (!m->stats_reader) {
		r = stats_reader_new(m->fs, 0, &m->stats_reader);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(sa{st}bta(ut))");
	if (r < 0)
		return r;
	do {
		/* Nothing runs in between: the names stay the reconciler's. */
		for (n = 0; n < MANAGER_STATS_CHUNK &&
			    reconciler_iterate(m->reconciler, &i, &cgroups[n], &entries[n]);)
			n++;
		stats_reader_read(m->stats_reader, cgroups, n, stats, results);
		r = 0;
		for (size_t k = 0; k < n; k++) {
			if (r >= 0)
				r = append_cgroup_stats(m, reply, cgroups[k], entries[k], &stats[k],
							results[k]);
			cgroup_stats_done(&stats[k]);
		}
		if (r < 0)
			return r;
	} while (n == MANAGER_STATS_CHUNK);
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_get_topology(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_topology_ struct topology *t = NULL;
	Manager *m = userdata;
	int r;

	r = topology_load(m->sysfs_root, &t);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot read NUMA topology below %s: %m",
					       m->sysfs_root);
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(ubbitt)");
	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topology_node *n = &t->nodes[i];

		r = sd_bus_message_append(reply, "(ubbitt)", n->id, n->has_cpu, n->has_memory,
					  n->tier, n->total_bytes, n->free_bytes);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(uau)");
	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n_tiers; i++) {
		r = sd_bus_message_open_container(reply, 'r', "uau");
		if (r < 0)
			return r;
		r = sd_bus_message_append(reply, "u", t->tiers[i].id);
		if (r < 0)
			return r;
		r = sd_bus_message_append_array(reply, 'u', t->tiers[i].nodes,
						t->tiers[i].n_nodes * sizeof(uint32_t));
		if (r < 0)
			return r;
		r = sd_bus_message_close_container(reply);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_explain(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_free_ char *cgroup = NULL, *text = NULL, *escaped = NULL;
	Manager *m = userdata;
	const char *t;
	int r;

	r = cgroup_arg(m, msg, error, &cgroup);
	if (r < 0 || !cgroup)
		return r;
	if (streq(cgroup, "/"))
		return sd_bus_error_setf(error, CGTIER_BUS_ERROR_INVALID_PATH,
					 "The root cgroup carries no promotion knobs");
	if (!m->policy)
		return sd_bus_reply_method_return(msg, "s", "No policy set is loaded.\n");
	r = policy_set_explain(m->policy, cgroup + 1, &text);
	if (r == -EINVAL)
		return sd_bus_error_setf(error, CGTIER_BUS_ERROR_INVALID_PATH,
					 "Invalid cgroup path \"%s\"", cgroup);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot explain %s: %m", cgroup);
	r = bus_string(text, &escaped, &t);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(msg, "s", t);
}

static uint64_t manager_now_usec(Manager *m)
{
	uint64_t t = 0;

	if (m->clock)
		return m->clock();
	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &t);
	return t;
}

/* Anyone may call Validate, and parsing runs on the daemon's only thread:
 * a size cap for all callers, a shared token bucket for all but root. */
static int validate_check_limits(Manager *m, sd_bus_message *msg, size_t len, sd_bus_error *error)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	uint64_t now;
	uid_t uid;
	int r;

	if (len > MANAGER_VALIDATE_SIZE_MAX)
		return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
					 "Validate accepts at most %d bytes of YAML, got %zu: "
					 "check larger files with \"cgtierctl validate FILE\"",
					 MANAGER_VALIDATE_SIZE_MAX, len);

	r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
	if (r >= 0)
		r = sd_bus_creds_get_euid(creds, &uid);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot identify caller: %m");
	if (uid == m->privileged_uid)
		return 0;

	now = manager_now_usec(m);
	if (!token_bucket_take(&m->validate_bucket, now))
		return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
					 "Too many Validate calls from unprivileged callers "
					 "(%d at once, then one per %llu ms): try again in %llu ms",
					 MANAGER_VALIDATE_BURST,
					 (unsigned long long)(MANAGER_VALIDATE_INTERVAL_USEC / 1000),
					 (unsigned long long)((token_bucket_wait_usec(&m->validate_bucket, now) + 999) / 1000));
	return 0;
}

static int method_validate(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_policy_set_free_ struct policy_set *set = NULL;
	struct policy_error err = {};
	char buf[sizeof(err.file) + sizeof(err.message) + 64];
	Manager *m = userdata;
	const char *text;
	size_t len;
	int r;

	r = sd_bus_message_read(msg, "s", &text);
	if (r < 0)
		return r;
	len = strlen(text);
	r = validate_check_limits(m, msg, len, error);
	if (r < 0)
		return r;
	r = policy_set_load_text("<validate>", text, len, &set, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (policy_error_format(&err, buf, sizeof(buf)) < 0)
			(void)snprintf_ok(buf, sizeof(buf), "%s", strerror(-r));
		return sd_bus_reply_method_return(msg, "bs", false, buf);
	}
	(void)snprintf_ok(buf, sizeof(buf), "valid: %zu rules", policy_set_n_rules(set));
	return sd_bus_reply_method_return(msg, "bs", true, buf);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	_cleanup_free_ char *message = NULL;
	Manager *m = userdata;
	uid_t uid;
	int r;

	/* The bus policy already restricts Reload; a direct or misconfigured
	 * bus must not be the only line of defence. */
	r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
	if (r >= 0)
		r = sd_bus_creds_get_euid(creds, &uid);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "Cannot identify caller: %m");
	if (uid != m->privileged_uid)
		return sd_bus_error_setf(error, CGTIER_BUS_ERROR_ACCESS_DENIED,
					 "Only root may reload policies (caller uid %u)", (unsigned)uid);

	r = manager_reload(m, &message);
	if (r == -ENOMEM)
		return r;
	return sd_bus_reply_method_return(msg, "bs", r >= 0, strempty(message));
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface,
				const char *property, sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", CGTIER_VERSION);
}

static int property_get_policy_files(sd_bus *bus, const char *path, const char *interface,
				     const char *property, sd_bus_message *reply, void *userdata,
				     sd_bus_error *error)
{
	Manager *m = userdata;
	size_t n = m->policy ? policy_set_n_files(m->policy) : 0;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(ssu)");
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct policy_file *f = policy_set_file(m->policy, i);
		static const char *const states[] = {
			[POLICY_FILE_LOADED] = "loaded",
			[POLICY_FILE_MASKED] = "masked",
			[POLICY_FILE_OVERRIDDEN] = "overridden",
		};
		const char *st = (unsigned)f->state < ELEMENTSOF(states) ? states[f->state] : "unknown";

		r = sd_bus_message_append(reply, "(ssu)", f->path, st, (uint32_t)f->n_rules);
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(reply);
}

static int property_get_managed(sd_bus *bus, const char *path, const char *interface,
				const char *property, sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "u", (uint32_t)reconciler_n_managed(m->reconciler));
}

static int property_get_rule_count(sd_bus *bus, const char *path, const char *interface,
				   const char *property, sd_bus_message *reply, void *userdata,
				   sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "u",
				     (uint32_t)(m->policy ? policy_set_n_rules(m->policy) : 0));
}

static int property_get_kernel_support(sd_bus *bus, const char *path, const char *interface,
				       const char *property, sd_bus_message *reply,
				       void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "b", m->kernel_support > 0);
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	Manager *m = userdata;
	const char *v = "";

	if (streq(property, "LastError"))
		v = strempty(m->last_error);
	else if (streq(property, "CgroupRoot"))
		v = m->cgroup_root;
	else if (streq(property, "Backend"))
		v = cgfs_backend_to_string(cgfs_get_backend(m->fs));
	else if (streq(property, "KernelBackend"))
		v = kernel_backend_kind_to_string(m->backend_active);
	else if (streq(property, "KernelSupport"))
		/* Until a cgroup with the memory controller exists nobody can
		 * tell; rules are applied meanwhile. */
		v = m->kernel_support > 0 ? "yes" : m->kernel_support == 0 ? "no" : "unknown";
	return sd_bus_message_append(reply, "s", v);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),

	SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("CgroupRoot", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Backend", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("PolicyFiles", "a(ssu)", property_get_policy_files, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
	SD_BUS_PROPERTY("RuleCount", "u", property_get_rule_count, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	/* Changes with every new cgroup: read it, do not expect a signal. */
	SD_BUS_PROPERTY("ManagedCgroups", "u", property_get_managed, 0, 0),
	SD_BUS_PROPERTY("KernelSupportsPromotionKnobs", "b", property_get_kernel_support, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("KernelSupport", "s", property_get_string, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	/* native, damos or none: how rules reach the kernel. */
	SD_BUS_PROPERTY("KernelBackend", "s", property_get_string, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastError", "s", property_get_string, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),

	SD_BUS_METHOD_WITH_NAMES("ListCgroups", NULL, SD_BUS_PARAM(),
				 "a(ssssu)", SD_BUS_PARAM(cgroups),
				 method_list_cgroups, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetCgroupStats", "s", SD_BUS_PARAM(cgroup),
				 "a{st}bta(ut)",
				 SD_BUS_PARAM(promotion) SD_BUS_PARAM(has_pgpromote_success)
				 SD_BUS_PARAM(pgpromote_success) SD_BUS_PARAM(node_bytes),
				 method_get_cgroup_stats, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES(CGTIER_BUS_METHOD_LIST_CGROUP_STATS, NULL, SD_BUS_PARAM(),
				 "a(sa{st}bta(ut))", SD_BUS_PARAM(stats),
				 method_list_cgroup_stats, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetTopology", NULL, SD_BUS_PARAM(),
				 "a(ubbitt)a(uau)", SD_BUS_PARAM(nodes) SD_BUS_PARAM(tiers),
				 method_get_topology, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("Explain", "s", SD_BUS_PARAM(cgroup),
				 "s", SD_BUS_PARAM(explanation),
				 method_explain, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("Validate", "s", SD_BUS_PARAM(yaml),
				 "bs", SD_BUS_PARAM(ok) SD_BUS_PARAM(message),
				 method_validate, SD_BUS_VTABLE_UNPRIVILEGED),
	/* Unprivileged in the sd-bus sense so the handler runs and answers
	 * with a clear AccessDenied; it checks the caller itself. */
	SD_BUS_METHOD_WITH_NAMES("Reload", NULL, SD_BUS_PARAM(),
				 "bs", SD_BUS_PARAM(ok) SD_BUS_PARAM(message),
				 method_reload, SD_BUS_VTABLE_UNPRIVILEGED),

	SD_BUS_SIGNAL_WITH_NAMES("PolicyApplied", "uuu",
				 SD_BUS_PARAM(rules) SD_BUS_PARAM(managed_cgroups)
				 SD_BUS_PARAM(knobs_written), 0),

	SD_BUS_VTABLE_END
};

int manager_bus_attach(Manager *m, sd_bus *bus)
{
	int r;

	r = sd_bus_add_object_vtable(bus, NULL, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
				     manager_vtable, m);
	if (r < 0)
		return r;
	if (!m->bus)
		m->bus = sd_bus_ref(bus);
	return 0;
}

int manager_bus_emit_kernel_support(Manager *m)
{
	if (!m->bus)
		return 0;
	return sd_bus_emit_properties_changed(m->bus, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
					      "KernelSupportsPromotionKnobs", "KernelSupport", NULL);
}

int manager_bus_emit_kernel_backend(Manager *m)
{
	if (!m->bus)
		return 0;
	return sd_bus_emit_properties_changed(m->bus, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
					      "KernelBackend", NULL);
}

int manager_bus_serve_fd(Manager *m, int fd)
{
	/* Only our reference: the manager keeps its own once attached. */
	_cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
	sd_id128_t id;
	int r;

	r = sd_bus_new(&bus);
	if (r < 0)
		return r;
	r = sd_bus_set_fd(bus, fd, fd);
	if (r < 0)
		return r;
	r = sd_id128_randomize(&id);
	if (r < 0)
		return r;
	r = sd_bus_set_server(bus, true, id);
	if (r < 0)
		return r;
	r = sd_bus_set_anonymous(bus, true);
	if (r < 0)
		return r;
	r = sd_bus_start(bus);
	if (r < 0)
		return r;
	r = manager_bus_attach(m, bus);
	if (r < 0)
		return r;
	r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return r;
	/* The peer hanging up ends the loop: that is how tests stop us. */
	return sd_bus_set_exit_on_disconnect(bus, true);
}

int manager_bus_emit_policy_applied(Manager *m)
{
	int r;

	if (!m->bus)
		return 0;
	r = sd_bus_emit_signal(m->bus, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE, "PolicyApplied",
			       "uuu", (uint32_t)(m->policy ? policy_set_n_rules(m->policy) : 0),
			       (uint32_t)reconciler_n_managed(m->reconciler),
			       (uint32_t)m->last_stats.n_written);
	if (r < 0)
		return r;
	return sd_bus_emit_properties_changed(m->bus, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
					      "PolicyFiles", "RuleCount", "LastError", NULL);
}

/* sd-bus delivers this local signal when the connection is gone for good. */
static int match_disconnected(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;

	log_error("Lost the connection to the bus (bus daemon restarted or gone): exiting, "
		  "to be restarted with a new connection");
	(void)sd_notify(false, "STATUS=Lost the bus connection, exiting");
	return sd_event_exit(m->event, CGTIER_EXIT_FAILURE);
}

int manager_connect_bus(Manager *m, const char *address, bool user_bus)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (address) {
		r = sd_bus_new(&bus);
		if (r >= 0)
			r = sd_bus_set_address(bus, address);
		if (r >= 0)
			r = sd_bus_set_bus_client(bus, true);
		if (r >= 0)
			r = sd_bus_start(bus);
	} else if (user_bus)
		r = sd_bus_open_user(&bus);
	else
		r = sd_bus_open_system(&bus);
	if (r < 0)
		return log_error_errno(r, "Cannot connect to the %s bus: %m",
				       address ?: user_bus ? "user" : "system");

	r = sd_bus_add_object_vtable(bus, NULL, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
				     manager_vtable, m);
	if (r < 0)
		return log_error_errno(r, "Cannot add the bus object: %m");
	/* Without the bus nobody can query or reload us, and sd-bus does not
	 * reconnect: exit non-zero so that systemd (Restart=on-failure) or the
	 * kubelet starts us again on the new bus. Local match: no AddMatch call. */
	r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
				"org.freedesktop.DBus.Local", "Disconnected", match_disconnected, m);
	if (r < 0)
		return log_error_errno(r, "Cannot watch the bus connection: %m");
	r = sd_bus_request_name(bus, CGTIER_BUS_NAME, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot own %s on the bus: %m", CGTIER_BUS_NAME);
	r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Cannot attach the bus to the event loop: %m");

	sd_bus_flush_close_unref(m->bus);
	m->bus = TAKE_PTR(bus);
	return 0;
}
