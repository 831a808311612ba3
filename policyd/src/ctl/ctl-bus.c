/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "cgtier/bus.h"
#include "cgtier/cgtier.h"
#include "ctl.h"
#include "escape.h"
#include "log.h"
#include "util.h"

void ctl_cgroup_list_done(struct ctl_cgroup_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].cgroup);
		free(l->items[i].rule);
		free(l->items[i].setting);
		free(l->items[i].max);
	}
	free(l->items);
	*l = (struct ctl_cgroup_list){};
}

void ctl_daemon_state_done(struct ctl_daemon_state *s)
{
	free(s->version);
	free(s->backend);
	free(s->cgroup_root);
	free(s->kernel_support);
	free(s->kernel_backend);
	free(s->last_error);
	*s = (struct ctl_daemon_state){};
}

int ctl_get_daemon_state(sd_bus *bus, struct ctl_daemon_state *ret, sd_bus_error *error)
{
	_cleanup_(ctl_daemon_state_done) struct ctl_daemon_state s = {};
	static const struct {
		const char *name;
		size_t offset;
	} strings[] = {
		{ "Version", offsetof(struct ctl_daemon_state, version) },
		{ "Backend", offsetof(struct ctl_daemon_state, backend) },
		{ "CgroupRoot", offsetof(struct ctl_daemon_state, cgroup_root) },
		{ "KernelSupport", offsetof(struct ctl_daemon_state, kernel_support) },
		{ "KernelBackend", offsetof(struct ctl_daemon_state, kernel_backend) },
		{ "LastError", offsetof(struct ctl_daemon_state, last_error) },
	};
	const char *dest = CGTIER_BUS_NAME_OR_NULL(bus);
	int r;

	for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
		r = sd_bus_get_property_string(bus, dest, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
					       strings[i].name, error,
					       (char **)((uint8_t *)&s + strings[i].offset));
		if (r < 0)
			return r;
	}
	r = sd_bus_get_property_trivial(bus, dest, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
					"ManagedCgroups", error, 'u', &s.managed_cgroups);
	if (r >= 0)
		r = sd_bus_get_property_trivial(bus, dest, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
						"RuleCount", error, 'u', &s.rules);
	if (r >= 0)
		r = sd_bus_get_property_trivial(bus, dest, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
						"KernelSupportsPromotionKnobs", error, 'b',
						&s.kernel_supports_knobs);
	if (r < 0)
		return r;
	*ret = s;
	s = (struct ctl_daemon_state){};
	return 0;
}

int ctl_connect(const CtlOptions *o, sd_bus **ret)
{
	sd_bus *bus = NULL;
	int r;

	if (o->bus_address) {
		r = sd_bus_new(&bus);
		if (r >= 0)
			r = sd_bus_set_address(bus, o->bus_address);
		if (r >= 0)
			r = sd_bus_set_bus_client(bus, true);
		if (r >= 0)
			r = sd_bus_start(bus);
		if (r < 0)
			sd_bus_unref(bus);
	} else if (o->user_bus)
		r = sd_bus_open_user(&bus);
	else
		r = sd_bus_open_system(&bus);
	if (r < 0)
		return r;
	*ret = bus;
	return 0;
}

int ctl_bus_error_exit(const char *what, int r, const sd_bus_error *error)
{
	if (error && sd_bus_error_is_set(error)) {
		_cleanup_free_ char *w = text_escape(what, 0),
				    *m = text_escape(error->message ?: error->name, 0);

		log_error("%s: %s", strna(w), strna(m));
		if (sd_bus_error_has_name(error, CGTIER_BUS_ERROR_INVALID_PATH))
			return CGTIER_EXIT_USAGE;
		if (sd_bus_error_has_name(error, CGTIER_BUS_ERROR_NO_SUCH_CGROUP))
			return CGTIER_EXIT_NOT_FOUND;
		return CGTIER_EXIT_FAILURE;
	}
	{
		_cleanup_free_ char *w = text_escape(what, 0);

		log_error_errno(r, "%s: %m", strna(w));
	}
	return CGTIER_EXIT_FAILURE;
}

static int call(sd_bus *bus, const char *member, sd_bus_error *error, sd_bus_message **reply,
		const char *types, const char *arg)
{
	return sd_bus_call_method(bus, CGTIER_BUS_NAME_OR_NULL(bus), CGTIER_BUS_PATH,
				  CGTIER_BUS_INTERFACE, member, error, reply, types, arg);
}

static int cmp_cgroup(const void *a, const void *b)
{
	return strcmp(((const struct ctl_cgroup *)a)->cgroup, ((const struct ctl_cgroup *)b)->cgroup);
}

int ctl_list_cgroups(sd_bus *bus, struct ctl_cgroup_list *ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(ctl_cgroup_list_done) struct ctl_cgroup_list l = {};
	const char *cgroup, *rule, *setting, *max;
	size_t allocated = 0;
	uint32_t weight;
	int r;

	r = call(bus, CGTIER_BUS_METHOD_LIST_CGROUPS, NULL, &reply, NULL, NULL);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "(ssssu)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(ssssu)", &cgroup, &rule, &setting, &max,
					&weight)) > 0) {
		struct ctl_cgroup *c;

		/* Doubling: 10,000 cgroups are 14 reallocations, not 10,000. */
		if (l.n == allocated) {
			struct ctl_cgroup *n;

			allocated = MAX(allocated * 2, (size_t)64);
			n = reallocarray(l.items, allocated, sizeof(*n));
			if (!n)
				return -ENOMEM;
			l.items = n;
		}
		c = &l.items[l.n];
		*c = (struct ctl_cgroup){ .weight = weight };
		c->cgroup = strdup(cgroup);
		c->rule = strdup(rule);
		c->setting = strdup(setting);
		c->max = strdup(max);
		l.n++;
		if (!c->cgroup || !c->rule || !c->setting || !c->max)
			return -ENOMEM;
	}
	if (r < 0)
		return r;
	/* The daemon answers in hash order; people and diffs want a stable one. */
	if (l.n > 1)
		qsort(l.items, l.n, sizeof(*l.items), cmp_cgroup);
	*ret = l;
	l = (struct ctl_cgroup_list){};
	return 0;
}

/* The a{st}bta(ut) of one cgroup's statistics. */
static int read_stats(sd_bus_message *reply, struct cgroup_stats *ret)
{
	_cleanup_(cgroup_stats_done) struct cgroup_stats s = {};
	const char *key;
	uint64_t v;
	uint32_t node;
	int has_pg, r;

	r = sd_bus_message_enter_container(reply, 'a', "{st}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "{st}", &key, &v)) > 0) {
		r = cgroup_stats_add_promotion(&s, key, v);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(reply);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "bt", &has_pg, &s.pgpromote_success);
	if (r < 0)
		return r;
	s.has_pgpromote_success = has_pg;
	r = sd_bus_message_enter_container(reply, 'a', "(ut)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(ut)", &node, &v)) > 0) {
		struct node_usage *n = realloc(s.nodes, (s.n_nodes + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s.nodes = n;
		s.nodes[s.n_nodes++] = (struct node_usage){ .node = node, .bytes = v };
	}
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(reply);
	if (r < 0)
		return r;
	*ret = s;
	s = (struct cgroup_stats){};
	return 0;
}

int ctl_get_stats(sd_bus *bus, const char *cgroup, struct cgroup_stats *ret, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = call(bus, CGTIER_BUS_METHOD_GET_CGROUP_STATS, error, &reply, "s", cgroup);
	if (r < 0)
		return r;
	return read_stats(reply, ret);
}

void ctl_stats_list_done(struct ctl_stats_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].cgroup);
		cgroup_stats_done(&l->items[i].stats);
	}
	free(l->items);
	*l = (struct ctl_stats_list){};
}

static int cmp_stats(const void *a, const void *b)
{
	return strcmp(((const struct ctl_cgroup_stats *)a)->cgroup,
		      ((const struct ctl_cgroup_stats *)b)->cgroup);
}

static int stats_list_grow(struct ctl_stats_list *l, size_t *allocated)
{
	struct ctl_cgroup_stats *n;

	if (l->n < *allocated)
		return 0;
	*allocated = MAX(*allocated * 2, (size_t)64);
	n = reallocarray(l->items, *allocated, sizeof(*n));
	if (!n)
		return -ENOMEM;
	l->items = n;
	return 0;
}

/* A daemon from before ListCgroupStats: ListCgroups, then one call each. */
static int list_stats_one_by_one(sd_bus *bus, struct ctl_stats_list *l, sd_bus_error *error)
{
	_cleanup_(ctl_cgroup_list_done) struct ctl_cgroup_list names = {};
	size_t allocated = 0;
	int r;

	r = ctl_list_cgroups(bus, &names);
	if (r < 0)
		return r;
	for (size_t i = 0; i < names.n; i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

		r = stats_list_grow(l, &allocated);
		if (r < 0)
			return r;
		r = ctl_get_stats(bus, names.items[i].cgroup, &l->items[l->n].stats, &e);
		/* A managed cgroup may vanish between list and read. */
		if (r < 0 && sd_bus_error_has_name(&e, CGTIER_BUS_ERROR_NO_SUCH_CGROUP))
			continue;
		if (r < 0)
			return sd_bus_error_copy(error, &e), r;
		l->items[l->n++].cgroup = TAKE_PTR(names.items[i].cgroup);
	}
	return 0;
}

int ctl_list_cgroup_stats(sd_bus *bus, struct ctl_stats_list *ret, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(ctl_stats_list_done) struct ctl_stats_list l = {};
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	size_t allocated = 0;
	const char *cgroup;
	int r;

	/* An older daemon lacks the method; an older bus policy file denies
	 * it to unprivileged callers: both still answer the old way. */
	r = call(bus, CGTIER_BUS_METHOD_LIST_CGROUP_STATS, &e, &reply, NULL, NULL);
	if (r < 0 && sd_bus_error_has_names(&e, SD_BUS_ERROR_UNKNOWN_METHOD,
					    SD_BUS_ERROR_UNKNOWN_INTERFACE,
					    SD_BUS_ERROR_ACCESS_DENIED))
		r = list_stats_one_by_one(bus, &l, error);
	else if (r < 0)
		return sd_bus_error_copy(error, &e), r;
	else {
		r = sd_bus_message_enter_container(reply, 'a', "(sa{st}bta(ut))");
		while (r >= 0 &&
		       (r = sd_bus_message_enter_container(reply, 'r', "sa{st}bta(ut)")) > 0) {
			r = stats_list_grow(&l, &allocated);
			if (r >= 0)
				r = sd_bus_message_read(reply, "s", &cgroup);
			if (r >= 0)
				r = read_stats(reply, &l.items[l.n].stats);
			if (r < 0)
				break;
			l.items[l.n].cgroup = strdup(cgroup);
			if (!l.items[l.n++].cgroup)
				return -ENOMEM;
			r = sd_bus_message_exit_container(reply);
		}
	}
	if (r < 0)
		return r;
	/* The daemon answers in hash order; people and diffs want a stable one. */
	if (l.n > 1)
		qsort(l.items, l.n, sizeof(*l.items), cmp_stats);
	*ret = l;
	l = (struct ctl_stats_list){};
	return 0;
}
