/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <strings.h>

#include "policy-glob.h"
#include "policy-internal.h"

/* What a cgroup looks like to selectors, derived once per resolution. */
struct cgroup_facts {
	const char *path;
	char *unit;
	enum policy_qos qos;
};

static const char *const qos_table[_POLICY_QOS_MAX] = {
	[POLICY_QOS_GUARANTEED] = "guaranteed",
	[POLICY_QOS_BURSTABLE] = "burstable",
	[POLICY_QOS_BESTEFFORT] = "besteffort",
};

const char *policy_qos_to_string(enum policy_qos q)
{
	if (q <= POLICY_QOS_NONE || q >= _POLICY_QOS_MAX)
		return NULL;
	return qos_table[q];
}

/* Case-insensitive: Kubernetes itself spells them "Guaranteed", "BestEffort". */
int policy_qos_from_string(const char *s, enum policy_qos *ret)
{
	if (!s)
		return -EINVAL;
	for (int q = POLICY_QOS_NONE + 1; q < _POLICY_QOS_MAX; q++)
		if (strcasecmp(s, qos_table[q]) == 0) {
			*ret = (enum policy_qos)q;
			return 0;
		}
	return -EINVAL;
}

const char *policy_selector_to_string(enum policy_selector sel)
{
	switch (sel) {
	case POLICY_SELECTOR_CGROUP:
		return "cgroup";
	case POLICY_SELECTOR_UNIT:
		return "unit";
	case POLICY_SELECTOR_QOS:
		return "qos";
	default:
		return NULL;
	}
}

int cgroup_path_validate(const char *path)
{
	size_t l;

	if (isempty(path) || strlen(path) >= PATH_MAX || path_find_noncanonical_component(path, &l))
		return -EINVAL;
	return 0;
}

static bool component_is_unit(const char *c, size_t l)
{
	for (size_t i = 0; i < ELEMENTSOF(unit_cgroup_suffixes); i++) {
		size_t sl = strlen(unit_cgroup_suffixes[i]);

		if (l > sl && strncmp(c + l - sl, unit_cgroup_suffixes[i], sl) == 0)
			return true;
	}
	return false;
}

int cgroup_path_get_unit(const char *path, char **ret_unit)
{
	const char *best = NULL, *c;
	size_t best_l = 0;
	char *u;

	if (cgroup_path_validate(path) < 0)
		return -EINVAL;

	for (c = path;;) {
		size_t l = strcspn(c, "/");

		if (component_is_unit(c, l)) {
			best = c;
			best_l = l;
		}
		if (!c[l])
			break;
		c += l + 1;
	}
	if (!best)
		return -ENXIO;

	u = strndup(best, best_l);
	if (!u)
		return -ENOMEM;
	*ret_unit = u;
	return 0;
}

static bool component_eq(const char *c, size_t l, const char *s)
{
	return strlen(s) == l && strncmp(c, s, l) == 0;
}

static bool component_startswith(const char *c, size_t l, const char *prefix)
{
	size_t pl = strlen(prefix);

	return l > pl && strncmp(c, prefix, pl) == 0;
}

/* The component after "kubepods.slice" (systemd driver) or "kubepods" (cgroupfs driver). */
static int qos_from_level(const char *c, size_t l, bool systemd, enum policy_qos *ret)
{
	if (systemd) {
		if (component_eq(c, l, "kubepods-burstable.slice"))
			*ret = POLICY_QOS_BURSTABLE;
		else if (component_eq(c, l, "kubepods-besteffort.slice"))
			*ret = POLICY_QOS_BESTEFFORT;
		else if (component_startswith(c, l, "kubepods-pod") && component_is_unit(c, l) &&
			 strncmp(c + l - 6, ".slice", 6) == 0)
			*ret = POLICY_QOS_GUARANTEED;
		else
			return -ENXIO;
	} else {
		if (component_eq(c, l, "burstable"))
			*ret = POLICY_QOS_BURSTABLE;
		else if (component_eq(c, l, "besteffort"))
			*ret = POLICY_QOS_BESTEFFORT;
		else if (component_startswith(c, l, "pod"))
			*ret = POLICY_QOS_GUARANTEED;
		else
			return -ENXIO;
	}
	return 0;
}

int cgroup_path_get_qos(const char *path, enum policy_qos *ret_qos)
{
	const char *c;

	if (cgroup_path_validate(path) < 0)
		return -EINVAL;

	for (c = path;;) {
		size_t l = strcspn(c, "/");
		bool systemd = component_eq(c, l, "kubepods.slice");

		if (systemd || component_eq(c, l, "kubepods")) {
			const char *next = c + l;

			if (!*next)
				return -ENXIO;
			next++;
			return qos_from_level(next, strcspn(next, "/"), systemd, ret_qos);
		}
		if (!c[l])
			return -ENXIO;
		c += l + 1;
	}
}

static void cgroup_facts_done(struct cgroup_facts *f)
{
	free(f->unit);
}

static int cgroup_facts_init(struct cgroup_facts *f, const char *path)
{
	int r;

	*f = (struct cgroup_facts){ .path = path };

	r = cgroup_path_validate(path);
	if (r < 0)
		return r;

	r = cgroup_path_get_unit(path, &f->unit);
	if (r < 0 && r != -ENXIO)
		return r;
	if (cgroup_path_get_qos(path, &f->qos) < 0)
		f->qos = POLICY_QOS_NONE;
	return 0;
}

static bool rule_match_facts(const struct policy_rule *r, const struct cgroup_facts *f, enum policy_selector *ret_failed)
{
	enum policy_selector failed = POLICY_SELECTOR_NONE;

	if (r->match.cgroup && !glob_match(r->match.cgroup, f->path))
		failed = POLICY_SELECTOR_CGROUP;
	else if (r->match.unit && (!f->unit || !glob_match(r->match.unit, f->unit)))
		failed = POLICY_SELECTOR_UNIT;
	else if (r->match.qos != POLICY_QOS_NONE && r->match.qos != f->qos)
		failed = POLICY_SELECTOR_QOS;

	if (ret_failed)
		*ret_failed = failed;
	return failed == POLICY_SELECTOR_NONE;
}

int policy_rule_match(const struct policy_rule *r, const char *cgroup_path, enum policy_selector *ret_failed)
{
	_cleanup_(cgroup_facts_done) struct cgroup_facts f = {};
	enum policy_selector failed;
	int k;

	if (!r)
		return -EINVAL;
	k = cgroup_facts_init(&f, cgroup_path);
	if (k < 0)
		return k;

	if (rule_match_facts(r, &f, &failed))
		return 1;
	if (ret_failed)
		*ret_failed = failed;
	return 0;
}

/* Equal priority: the later rule wins, as later drop-ins override earlier ones. */
static bool rule_beats(const struct policy_rule *a, const struct policy_rule *b)
{
	return !b || a->priority > b->priority || (a->priority == b->priority && a->index > b->index);
}

int policy_set_resolve(const struct policy_set *s, const char *cgroup_path, const struct policy_rule **ret_rule)
{
	_cleanup_(cgroup_facts_done) struct cgroup_facts f = {};
	const struct policy_rule *best = NULL;
	int r;

	if (!s)
		return -EINVAL;
	r = cgroup_facts_init(&f, cgroup_path);
	if (r < 0)
		return r;

	for (size_t i = 0; i < s->n_rules; i++)
		if (rule_match_facts(&s->rules[i], &f, NULL) && rule_beats(&s->rules[i], best))
			best = &s->rules[i];

	if (!best)
		return -ENOENT;
	if (ret_rule)
		*ret_rule = best;
	return 0;
}

struct policy_explanation *policy_explanation_free(struct policy_explanation *e)
{
	if (!e)
		return NULL;
	free(e->cgroup_path);
	free(e->unit);
	free(e->entries);
	free(e);
	return NULL;
}

int policy_set_explain_full(const struct policy_set *s, const char *cgroup_path, struct policy_explanation **ret)
{
	_cleanup_(policy_explanation_freep) struct policy_explanation *e = NULL;
	_cleanup_(cgroup_facts_done) struct cgroup_facts f = {};
	int r;

	if (!s || !ret)
		return -EINVAL;
	r = cgroup_facts_init(&f, cgroup_path);
	if (r < 0)
		return r;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->cgroup_path = strdup(cgroup_path);
	if (!e->cgroup_path)
		return -ENOMEM;
	if (f.unit) {
		e->unit = strdup(f.unit);
		if (!e->unit)
			return -ENOMEM;
	}
	e->qos = f.qos;

	if (s->n_rules > 0) {
		e->entries = calloc(s->n_rules, sizeof(*e->entries));
		if (!e->entries)
			return -ENOMEM;
	}
	e->n_entries = s->n_rules;

	for (size_t i = 0; i < s->n_rules; i++) {
		struct policy_explain_entry *x = &e->entries[i];

		x->rule = &s->rules[i];
		if (rule_match_facts(x->rule, &f, &x->failed_selector)) {
			x->verdict = POLICY_VERDICT_LOST;
			if (rule_beats(x->rule, e->winner))
				e->winner = x->rule;
		} else
			x->verdict = POLICY_VERDICT_NO_MATCH;
	}
	if (e->winner)
		e->entries[e->winner->index].verdict = POLICY_VERDICT_WON;

	*ret = TAKE_PTR(e);
	return 0;
}

static int explain_no_match(char **t, const struct policy_explanation *e, const struct policy_rule *r,
			    enum policy_selector sel)
{
	switch (sel) {
	case POLICY_SELECTOR_CGROUP:
		return strextendf(t, "cgroup \"%s\" does not match glob \"%s\"", e->cgroup_path, r->match.cgroup);
	case POLICY_SELECTOR_UNIT:
		if (!e->unit)
			return strextendf(t, "cgroup belongs to no systemd unit (rule wants unit \"%s\")", r->match.unit);
		return strextendf(t, "unit \"%s\" does not match glob \"%s\"", e->unit, r->match.unit);
	case POLICY_SELECTOR_QOS:
		if (e->qos == POLICY_QOS_NONE)
			return strextendf(t, "cgroup is not in a Kubernetes QoS class (rule wants %s)",
					  policy_qos_to_string(r->match.qos));
		return strextendf(t, "QoS class is %s, rule wants %s", policy_qos_to_string(e->qos),
				  policy_qos_to_string(r->match.qos));
	default:
		return strextendf(t, "no selector failed");
	}
}

static int explain_entry(char **t, const struct policy_explanation *e, const struct policy_explain_entry *x)
{
	const struct policy_rule *r = x->rule, *w = e->winner;
	static const char *const verdicts[] = {
		[POLICY_VERDICT_WON] = "won",
		[POLICY_VERDICT_LOST] = "lost",
		[POLICY_VERDICT_NO_MATCH] = "no match",
	};
	int k;

	k = strextendf(t, "  %-8s %s (priority %d, %s:%u:%u)", verdicts[x->verdict], r->name, r->priority, r->file,
		       r->line, r->column);
	if (k < 0)
		return k;

	switch (x->verdict) {
	case POLICY_VERDICT_WON:
		k = strextendf(t, ": highest priority among matching rules");
		break;
	case POLICY_VERDICT_LOST:
		if (r->priority < w->priority)
			k = strextendf(t, ": lower priority than %s (%d)", w->name, w->priority);
		else
			k = strextendf(t, ": same priority as %s, which comes later and wins ties", w->name);
		break;
	case POLICY_VERDICT_NO_MATCH:
		k = strextendf(t, ": ");
		if (k >= 0)
			k = explain_no_match(t, e, r, x->failed_selector);
		break;
	}
	if (k < 0)
		return k;
	return strextendf(t, "\n");
}

int policy_explanation_format(const struct policy_explanation *e, char **ret_text)
{
	_cleanup_free_ char *t = NULL;
	char settings[256], max[RATE_STRING_MAX];
	int r;

	if (!e || !ret_text)
		return -EINVAL;

	r = strextendf(&t, "cgroup: %s\nunit: %s\nqos: %s\n", e->cgroup_path, e->unit ?: "(none)",
		       policy_qos_to_string(e->qos) ?: "(none)");
	if (r < 0)
		return r;

	if (e->winner) {
		const struct promotion_setting *p = &e->winner->promotion;

		r = promotion_setting_format(p, settings, sizeof(settings));
		if (r < 0)
			return r;
		r = strextendf(&t, "effective: %s (%s)\n", e->winner->name, settings);
		if (r < 0)
			return r;
		r = promotion_setting_to_max_string(p, max, sizeof(max));
		if (r >= 0)
			r = strextendf(&t, "  memory.promotion.max: %s\n", max);
		else if (r == -ENODATA)
			r = strextendf(&t, "  memory.promotion.max: kernel default (%s)\n", PROMOTION_MAX_DEFAULT_STRING);
		if (r < 0)
			return r;
		if (p->has_weight)
			r = strextendf(&t, "  memory.promotion.weight: %" PRIu32 "\n", p->weight);
		else
			r = strextendf(&t, "  memory.promotion.weight: kernel default (%u)\n", PROMOTION_WEIGHT_DEFAULT);
	} else
		r = strextendf(&t, "effective: none (no rule matches; kernel defaults %s, weight %u stay)\n",
			       PROMOTION_MAX_DEFAULT_STRING, PROMOTION_WEIGHT_DEFAULT);
	if (r < 0)
		return r;

	r = strextendf(&t, "rules:%s\n", e->n_entries == 0 ? " (none loaded)" : "");
	if (r < 0)
		return r;
	for (size_t i = 0; i < e->n_entries; i++) {
		r = explain_entry(&t, e, &e->entries[i]);
		if (r < 0)
			return r;
	}

	*ret_text = TAKE_PTR(t);
	return 0;
}

int policy_set_explain(const struct policy_set *s, const char *cgroup_path, char **ret_text)
{
	_cleanup_(policy_explanation_freep) struct policy_explanation *e = NULL;
	int r;

	r = policy_set_explain_full(s, cgroup_path, &e);
	if (r < 0)
		return r;
	return policy_explanation_format(e, ret_text);
}
