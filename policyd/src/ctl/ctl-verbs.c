/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "cgtier/bus.h"
#include "cgtier/cgtier.h"
#include "ctl.h"
#include "escape.h"
#include "log.h"
#include "policy.h"
#include "rate.h"
#include "util.h"

static int get_property(sd_bus *bus, const char *name, const char *type, sd_bus_error *error,
			sd_bus_message **reply)
{
	return sd_bus_get_property(bus, CGTIER_BUS_NAME_OR_NULL(bus), CGTIER_BUS_PATH,
				   CGTIER_BUS_INTERFACE, name, error, reply, type);
}

int verb_status(sd_bus *bus, const CtlOptions *o, FILE *out)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *files = NULL;
	_cleanup_(ctl_daemon_state_done) struct ctl_daemon_state st = {};
	const char *path, *state;
	uint32_t n_rules;
	int r;

	r = ctl_get_daemon_state(bus, &st, &error);
	if (r >= 0)
		r = get_property(bus, "PolicyFiles", "a(ssu)", &error, &files);
	if (r >= 0)
		r = sd_bus_message_enter_container(files, 'a', "(ssu)");
	if (r < 0)
		return ctl_bus_error_exit("Cannot query cgtier-policyd", r, &error);

	if (o->json) {
		fputs("{\"version\":", out);
		json_string(out, st.version);
		fputs(",\"backend\":", out);
		json_string(out, st.backend);
		fputs(",\"cgroup_root\":", out);
		json_string(out, st.cgroup_root);
		fputs(",\"kernel_support\":", out);
		json_string(out, st.kernel_support);
		fputs(",\"kernel_backend\":", out);
		json_string(out, st.kernel_backend);
		fprintf(out, ",\"kernel_supports_promotion_knobs\":%s,\"rules\":%" PRIu32
			",\"managed_cgroups\":%" PRIu32 ",\"last_error\":",
			st.kernel_supports_knobs ? "true" : "false", st.rules, st.managed_cgroups);
		json_string(out, st.last_error);
		fputs(",\"policy_files\":[", out);
		for (int i = 0; sd_bus_message_read(files, "(ssu)", &path, &state, &n_rules) > 0; i++) {
			fputs(i ? ",{\"path\":" : "{\"path\":", out);
			json_string(out, path);
			fputs(",\"state\":", out);
			json_string(out, state);
			fprintf(out, ",\"rules\":%" PRIu32 "}", n_rules);
		}
		fputs("]}\n", out);
		return CGTIER_EXIT_OK;
	}

	{
		_cleanup_free_ char *v = text_escape(st.version, 0), *b = text_escape(st.backend, 0),
				    *root = text_escape(st.cgroup_root, 0);

		fprintf(out, "cgtier-policyd %s (%s backend, cgroup root %s)\n", strna(v), strna(b),
			strna(root));
	}
	fprintf(out, "Kernel support: %s\n",
		st.kernel_supports_knobs ? "yes" :
		streq(st.kernel_support, "unknown") ? "unknown (no cgroup with the memory controller yet)" :
		streq(st.kernel_backend, "damos") ? "no promotion knobs: rules enforced through DAMOS" :
		"no: promotion rules inactive (need the cgtier kernel series)");
	fprintf(out, "Kernel backend: %s\n",
		streq(st.kernel_backend, "native") ? "native (memory.promotion.max, .weight)" :
		streq(st.kernel_backend, "damos") ? "damos (DAMON migrate_hot schemes with memcg filters and quotas)" :
		streq(st.kernel_backend, "none") ? "none (statistics only)" : strna(st.kernel_backend));
	fprintf(out, "Rules: %" PRIu32 "\nManaged cgroups: %" PRIu32 "\n", st.rules,
		st.managed_cgroups);
	if (!isempty(st.last_error)) {
		fputs("Last reload failed: ", out);
		fputs_escaped(st.last_error, out);
		fputc('\n', out);
	}
	fputs("Policy files:\n", out);
	while (sd_bus_message_read(files, "(ssu)", &path, &state, &n_rules) > 0) {
		_cleanup_free_ char *p = text_escape(path, 0), *s = text_escape(state, 0);

		fprintf(out, "  %-50s %-10s %" PRIu32 " rules\n", strna(p), strna(s), n_rules);
	}
	return CGTIER_EXIT_OK;
}

int verb_list(sd_bus *bus, const CtlOptions *o, FILE *out)
{
	_cleanup_(ctl_cgroup_list_done) struct ctl_cgroup_list l = {};
	int r;

	r = ctl_list_cgroups(bus, &l);
	if (r < 0)
		return ctl_bus_error_exit("Cannot list cgroups", r, NULL);

	if (o->json) {
		fputc('[', out);
		for (size_t i = 0; i < l.n; i++) {
			fputs(i ? ",{\"cgroup\":" : "{\"cgroup\":", out);
			json_string(out, l.items[i].cgroup);
			fputs(",\"rule\":", out);
			json_string(out, l.items[i].rule);
			fputs(",\"setting\":", out);
			json_string(out, l.items[i].setting);
			fputs(",\"promotion_max\":", out);
			json_string(out, l.items[i].max);
			if (l.items[i].weight)
				fprintf(out, ",\"promotion_weight\":%" PRIu32, l.items[i].weight);
			fputc('}', out);
		}
		fputs("]\n", out);
		return CGTIER_EXIT_OK;
	}
	if (!o->no_legend)
		fprintf(out, "%-50s %-20s %s\n", "CGROUP", "RULE", "SETTING");
	for (size_t i = 0; i < l.n; i++) {
		_cleanup_free_ char *cg = text_escape(l.items[i].cgroup, 0),
				    *rule = text_escape(l.items[i].rule, 0),
				    *setting = text_escape(l.items[i].setting, 0);

		fprintf(out, "%-50s %-20s %s\n", strna(cg), strna(rule), strna(setting));
	}
	return CGTIER_EXIT_OK;
}

int verb_stats(sd_bus *bus, const CtlOptions *o, char **cgroups, size_t n, FILE *out)
{
	_cleanup_(ctl_daemon_state_done) struct ctl_daemon_state st = {};
	_cleanup_(ctl_cgroup_list_done) struct ctl_cgroup_list l = {};
	_cleanup_(ctl_stats_list_done) struct ctl_stats_list all = {};
	_cleanup_free_ struct cgroup_stats *stats = NULL;
	_cleanup_free_ const char **names = NULL;
	_cleanup_free_ char **resolved = NULL; /* holes where resolving failed */
	size_t k = 0;
	int r, ret = CGTIER_EXIT_OK;

	/* The daemon's gauges come first and are read first: a scrape that
	 * cannot reach the daemon fails as a whole. */
	if (o->prometheus) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

		r = ctl_get_daemon_state(bus, &st, &error);
		if (r < 0)
			return ctl_bus_error_exit("Cannot query cgtier-policyd", r, &error);
		/* The limits that --prometheus exports. */
		r = ctl_list_cgroups(bus, &l);
		if (r < 0)
			return ctl_bus_error_exit("Cannot list cgroups", r, NULL);
	}

	/* No path: every managed cgroup (what a metrics scrape wants), all
	 * in one call. */
	if (n == 0) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

		r = ctl_list_cgroup_stats(bus, &all, &error);
		if (r < 0)
			return ctl_bus_error_exit("Cannot read statistics", r, &error);
		n = all.n;
	}
	stats = calloc(MAX(n, (size_t)1), sizeof(*stats));
	names = calloc(MAX(n, (size_t)1), sizeof(*names));
	resolved = calloc(MAX(n, (size_t)1), sizeof(*resolved));
	if (!stats || !names || !resolved)
		return log_error_errno(-ENOMEM, "Out of memory"), CGTIER_EXIT_FAILURE;

	for (size_t i = 0; i < n; i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

		if (!cgroups) {
			/* Borrowed from the list, which frees them. */
			stats[k] = all.items[i].stats;
			names[k++] = all.items[i].cgroup;
			continue;
		}
		/* A PID or a unit stands for its cgroup. */
		r = ctl_resolve_cgroup(o, cgroups[i], &resolved[i]);
		if (r < 0) {
			ret = ctl_resolve_exit(r);
			continue;
		}
		r = ctl_get_stats(bus, resolved[i], &stats[k], &error);
		if (r < 0) {
			ret = ctl_bus_error_exit(cgroups[i], r, &error);
			continue;
		}
		names[k++] = resolved[i];
	}

	if (o->prometheus) {
		prometheus_write_daemon(out, &st);
		prometheus_write(out, names, stats, k);
		prometheus_write_limits(out, names, k, &l);
	}
	else if (o->json) {
		fputc('[', out);
		for (size_t i = 0; i < k; i++) {
			fputs(i ? "," : "", out);
			stats_write_json(out, names[i], &stats[i]);
		}
		fputs("]\n", out);
	} else
		for (size_t i = 0; i < k; i++)
			stats_write_text(out, names[i], &stats[i]);

	if (cgroups)
		for (size_t i = 0; i < k; i++)
			cgroup_stats_done(&stats[i]);
	for (size_t i = 0; cgroups && i < n; i++)
		free(resolved[i]);
	return ret;
}

int verb_explain(sd_bus *bus, const CtlOptions *o, const char *arg, FILE *out)
{
	const char *cgroup;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *resolved = NULL;
	const char *text;
	int r;

	r = ctl_resolve_cgroup(o, arg, &resolved);
	if (r < 0)
		return ctl_resolve_exit(r);
	cgroup = resolved;
	r = sd_bus_call_method(bus, CGTIER_BUS_NAME_OR_NULL(bus), CGTIER_BUS_PATH,
			       CGTIER_BUS_INTERFACE, "Explain", &error, &reply, "s", cgroup);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &text);
	if (r < 0)
		return ctl_bus_error_exit(cgroup, r, &error);
	if (o->json) {
		fputs("{\"cgroup\":", out);
		json_string(out, cgroup);
		fputs(",\"explanation\":", out);
		json_string(out, text);
		fputs("}\n", out);
	} else
		fputs_escaped(text, out);
	return CGTIER_EXIT_OK;
}

int verb_reload(sd_bus *bus, const CtlOptions *o, FILE *out)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *message;
	int ok, r;

	r = sd_bus_call_method(bus, CGTIER_BUS_NAME_OR_NULL(bus), CGTIER_BUS_PATH,
			       CGTIER_BUS_INTERFACE, "Reload", &error, &reply, NULL);
	if (r >= 0)
		r = sd_bus_message_read(reply, "bs", &ok, &message);
	if (r < 0)
		return ctl_bus_error_exit("Reload failed", r, &error);
	if (!ok) {
		log_error("Reload rejected, previous rules stay in force: %s", message);
		return CGTIER_EXIT_INVALID;
	}
	fprintf(out, "Reloaded: %s\n", message);
	return CGTIER_EXIT_OK;
}

/* The loaded file of a set that came from path, NULL if none. */
static const struct policy_file *set_find_file(const struct policy_set *set, const char *path)
{
	for (size_t i = 0; set && i < policy_set_n_files(set); i++)
		if (streq(policy_set_file(set, i)->path, path))
			return policy_set_file(set, i);
	return NULL;
}

/* The files as one set, as the daemon would load them: a rule name defined
 * in two files fails here too, not only in the daemon. */
int verb_validate(const CtlOptions *o, char **files, size_t n, FILE *out)
{
	_cleanup_policy_set_free_ struct policy_set *set = NULL;
	struct policy_error err = {};
	char error[sizeof(err.file) + sizeof(err.message) + 64];
	int r;

	r = policy_set_load_files(files, n, &set, &err);
	if (r < 0 && policy_error_format(&err, error, sizeof(error)) < 0)
		(void)snprintf_ok(error, sizeof(error), "%s", strerror(-r));

	if (o->json)
		fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		const struct policy_file *f = set_find_file(set, files[i]);
		char msg[sizeof(error) + PATH_MAX + 64];

		if (f)
			(void)snprintf_ok(msg, sizeof(msg), "%s: ok, %zu rules", files[i], f->n_rules);
		else if (streq(err.file, files[i]))
			(void)snprintf_ok(msg, sizeof(msg), "%s", error);
		else
			(void)snprintf_ok(msg, sizeof(msg), "%s: not loaded: the set is invalid", files[i]);
		if (o->json) {
			fputs(i ? ",{\"file\":" : "{\"file\":", out);
			json_string(out, files[i]);
			fprintf(out, ",\"ok\":%s,\"message\":", f ? "true" : "false");
			json_string(out, msg);
			fputc('}', out);
		} else if (f)
			fprintf(out, "%s\n", msg);
	}
	if (o->json)
		fputs("]\n", out);
	else if (r < 0)
		log_error("%s", error);

	if (r >= 0)
		return CGTIER_EXIT_OK;
	/* Content errors (range errors too) are the policy's fault; a file that cannot be read is not. */
	return policy_load_error_is_invalid(r) ? CGTIER_EXIT_INVALID : CGTIER_EXIT_FAILURE;
}
