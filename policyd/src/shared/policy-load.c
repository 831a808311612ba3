/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>

#include "policy-glob.h"
#include "policy-internal.h"
#include "policy-yaml.h"

/* Validates the schema of docs/cgtier-policies.5.scd on top of the checked YAML tree. */

struct loader {
	const char *path;
	struct policy_error *err;
};

static const char *const top_keys[] = { "version", "rules" };
static const char *const rule_keys[] = { "name", "description", "priority", "match", "promotion" };
static const char *const match_keys[] = { "cgroup", "unit", "qos" };
static const char *const promotion_keys[] = { "max", "period", "weight" };
static const char *const qos_names[] = { "guaranteed", "burstable", "besteffort" };

#define DESCRIPTION_MAX 1024

static _printf_(4, 5) int load_error(struct loader *ld, const struct ynode *n, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = policy_error_setv(ld->err, ld->path, n ? n->line : 0, n ? n->column : 0, r, fmt, ap);
	va_end(ap);
	return r;
}

static const struct ynode *mapping_get(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->n_children; i += 2)
		if (streq(map->children[i]->value, key))
			return map->children[i + 1];
	return NULL;
}

static bool word_in(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (streq(w, list[i]))
			return true;
	return false;
}

static int mapping_check_keys(struct loader *ld, const struct ynode *map, const char *const *allowed, size_t n)
{
	for (size_t i = 0; i < map->n_children; i += 2) {
		const struct ynode *k = map->children[i];
		_cleanup_free_ char *list = NULL;
		const char *s;

		if (word_in(k->value, allowed, n))
			continue;

		s = policy_suggest(k->value, allowed, n);
		if (s)
			return load_error(ld, k, -EINVAL, "unknown key \"%s\" (did you mean \"%s\"?)", k->value, s);

		for (size_t j = 0; j < n; j++)
			if (strextendf(&list, "%s%s", j ? ", " : "", allowed[j]) < 0)
				return load_error(ld, k, -ENOMEM, "out of memory");
		return load_error(ld, k, -EINVAL, "unknown key \"%s\" (expected one of: %s)", k->value, list);
	}
	return 0;
}

static int expect_type(struct loader *ld, const char *key, const struct ynode *v, enum ynode_type t)
{
	if (v->type == t)
		return 0;
	return load_error(ld, v, -EINVAL, "\"%s\" must be %s, got %s", key, ynode_type_to_string(t),
			  ynode_type_to_string(v->type));
}

/* A scalar with content; an empty plain scalar is YAML's null ("key:" with nothing after it). */
static int expect_string(struct loader *ld, const char *key, const struct ynode *v, const char **ret)
{
	int r;

	r = expect_type(ld, key, v, YNODE_SCALAR);
	if (r < 0)
		return r;
	if (isempty(v->value))
		return load_error(ld, v, -EINVAL, "\"%s\" has no value", key);
	*ret = v->value;
	return 0;
}

/*
 * Integers must be plain decimal: quoted "10" is a string in YAML, "010" is
 * octal in YAML 1.1 and decimal in 1.2, "+5", "0x10" and "1_000" differ
 * between parsers. We refuse every one of them instead of guessing.
 */
static int expect_integer(struct loader *ld, const char *key, const struct ynode *v, int64_t min, int64_t max,
			  int64_t *ret)
{
	const char *s = v->value, *digits;
	bool negative;
	uint64_t u;
	int64_t value;
	int r;

	r = expect_type(ld, key, v, YNODE_SCALAR);
	if (r < 0)
		return r;
	if (isempty(s))
		return load_error(ld, v, -EINVAL, "\"%s\" has no value", key);
	if (!v->plain)
		return load_error(ld, v, -EINVAL, "\"%s\" must be an unquoted integer, got the string \"%s\"", key, s);

	negative = s[0] == '-';
	digits = negative ? s + 1 : s;
	r = safe_atou64(digits, &u);
	if (r == -EINVAL || (negative && min >= 0))
		return load_error(ld, v, -EINVAL, "\"%s\" must be an integer between %" PRId64 " and %" PRId64
				  ", got \"%s\"", key, min, max, s);
	if (digits[0] == '0' && digits[1]) {
		const char *trimmed = digits + strspn(digits, "0");

		return load_error(ld, v, -EINVAL,
				  "\"%s\" value \"%s\" has a leading zero, which YAML 1.1 reads as octal: write \"%s%s\"",
				  key, s, negative ? "-" : "", *trimmed ? trimmed : "0");
	}
	if (r < 0 || u > (uint64_t)INT64_MAX)
		return load_error(ld, v, -ERANGE, "\"%s\" must be between %" PRId64 " and %" PRId64 ", got %s", key,
				  min, max, s);

	value = negative ? -(int64_t)u : (int64_t)u;
	if (value < min || value > max)
		return load_error(ld, v, -ERANGE, "\"%s\" must be between %" PRId64 " and %" PRId64 ", got %s", key,
				  min, max, s);

	*ret = value;
	return 0;
}

static int rule_parse_name(struct loader *ld, const struct ynode *v, struct policy_rule *rule)
{
	const char *s;
	size_t l;
	int r;

	r = expect_string(ld, "name", v, &s);
	if (r < 0)
		return r;

	l = strlen(s);
	if (l > POLICY_NAME_MAX || !isalnum((unsigned char)s[0]) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@:") != l)
		return load_error(ld, v, -EINVAL,
				  "invalid rule name \"%s\": use at most %d letters, digits and \"-_.@:\", "
				  "starting with a letter or digit", s, POLICY_NAME_MAX);

	rule->name = strdup(s);
	return rule->name ? 0 : load_error(ld, v, -ENOMEM, "out of memory");
}

static int match_parse_glob(struct loader *ld, const char *key, const struct ynode *v, char **ret)
{
	char why[256];
	const char *s;
	int r;

	r = expect_string(ld, key, v, &s);
	if (r < 0)
		return r;

	r = streq(key, "cgroup") ? glob_cgroup_validate(s, why, sizeof(why)) : glob_unit_validate(s, why, sizeof(why));
	if (r < 0)
		return load_error(ld, v, r, "invalid %s glob \"%s\": %s", key, s, why);

	*ret = strdup(s);
	return *ret ? 0 : load_error(ld, v, -ENOMEM, "out of memory");
}

static int match_parse_qos(struct loader *ld, const struct ynode *v, enum policy_qos *ret)
{
	_cleanup_free_ char *lower = NULL;
	const char *s, *hint;
	int r;

	r = expect_string(ld, "qos", v, &s);
	if (r < 0)
		return r;

	if (policy_qos_from_string(s, ret) >= 0)
		return 0;

	lower = strdup(s);
	if (!lower)
		return load_error(ld, v, -ENOMEM, "out of memory");
	for (char *c = lower; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	hint = policy_suggest(lower, qos_names, ELEMENTSOF(qos_names));
	if (hint)
		return load_error(ld, v, -EINVAL, "invalid qos class \"%s\" (did you mean \"%s\"?)", s, hint);
	return load_error(ld, v, -EINVAL, "invalid qos class \"%s\": use guaranteed, burstable or besteffort", s);
}

static int rule_parse_match(struct loader *ld, const struct ynode *m, struct policy_rule *rule)
{
	const struct ynode *v;
	int r;

	r = expect_type(ld, "match", m, YNODE_MAPPING);
	if (r < 0)
		return r;
	r = mapping_check_keys(ld, m, match_keys, ELEMENTSOF(match_keys));
	if (r < 0)
		return r;
	if (m->n_children == 0)
		return load_error(ld, m, -EINVAL,
				  "\"match\" needs at least one selector: cgroup, unit or qos "
				  "(cgroup: \"**\" matches every cgroup)");

	v = mapping_get(m, "cgroup");
	if (v) {
		r = match_parse_glob(ld, "cgroup", v, &rule->match.cgroup);
		if (r < 0)
			return r;
	}
	v = mapping_get(m, "unit");
	if (v) {
		r = match_parse_glob(ld, "unit", v, &rule->match.unit);
		if (r < 0)
			return r;
	}
	v = mapping_get(m, "qos");
	if (v) {
		r = match_parse_qos(ld, v, &rule->match.qos);
		if (r < 0)
			return r;
	}
	return 0;
}

static int rule_parse_promotion(struct loader *ld, const struct ynode *m, struct policy_rule *rule)
{
	struct promotion_setting *p = &rule->promotion;
	const struct ynode *vmax, *v;
	char why[256];
	const char *s;
	int64_t w;
	int r;

	r = expect_type(ld, "promotion", m, YNODE_MAPPING);
	if (r < 0)
		return r;
	r = mapping_check_keys(ld, m, promotion_keys, ELEMENTSOF(promotion_keys));
	if (r < 0)
		return r;
	if (m->n_children == 0)
		return load_error(ld, m, -EINVAL, "\"promotion\" needs at least one setting: max, period or weight");

	vmax = mapping_get(m, "max");
	if (vmax) {
		r = expect_string(ld, "max", vmax, &s);
		if (r < 0)
			return r;
		r = rate_parse_explained(s, &p->max_bytes_per_sec, why, sizeof(why));
		if (r < 0)
			return load_error(ld, vmax, r, "invalid rate \"%s\": %s", s, why);
		p->has_max = true;
	}

	v = mapping_get(m, "period");
	if (v) {
		r = expect_string(ld, "period", v, &s);
		if (r < 0)
			return r;
		r = period_parse_explained(s, &p->period_us, why, sizeof(why));
		if (r < 0)
			return load_error(ld, v, r, "invalid period \"%s\": %s", s, why);
		p->has_period = true;
	}

	v = mapping_get(m, "weight");
	if (v) {
		r = expect_integer(ld, "weight", v, PROMOTION_WEIGHT_MIN, PROMOTION_WEIGHT_MAX, &w);
		if (r < 0)
			return r;
		p->weight = (uint32_t)w;
		p->has_weight = true;
	}

	/* Check now what the daemon will compute later, so apply cannot fail on it. */
	if (p->has_max) {
		uint64_t period = p->has_period ? p->period_us : PROMOTION_PERIOD_DEFAULT_US, bytes;

		r = rate_to_max_bytes(p->max_bytes_per_sec, period, &bytes);
		if (r < 0)
			return load_error(ld, vmax, r, "rate \"%s\" is too large for a period of %" PRIu64 "us",
					  vmax->value, period);
	}
	return 0;
}

static int rule_parse(struct loader *ld, const struct ynode *item, struct policy_rule *rule)
{
	const struct ynode *v;
	int64_t prio;
	int r;

	if (item->type != YNODE_MAPPING)
		return load_error(ld, item, -EINVAL, "each rule must be a mapping, got %s",
				  ynode_type_to_string(item->type));

	r = mapping_check_keys(ld, item, rule_keys, ELEMENTSOF(rule_keys));
	if (r < 0)
		return r;

	rule->line = item->line;
	rule->column = item->column;
	rule->file = strdup(ld->path);
	if (!rule->file)
		return load_error(ld, item, -ENOMEM, "out of memory");

	v = mapping_get(item, "name");
	if (!v)
		return load_error(ld, item, -EINVAL, "rule is missing required key \"name\"");
	r = rule_parse_name(ld, v, rule);
	if (r < 0)
		return r;

	v = mapping_get(item, "description");
	if (v) {
		const char *s;

		r = expect_string(ld, "description", v, &s);
		if (r < 0)
			return r;
		if (strlen(s) > DESCRIPTION_MAX)
			return load_error(ld, v, -EINVAL, "\"description\" is longer than %d characters",
					  DESCRIPTION_MAX);
		rule->description = strdup(s);
		if (!rule->description)
			return load_error(ld, v, -ENOMEM, "out of memory");
	}

	v = mapping_get(item, "priority");
	if (v) {
		r = expect_integer(ld, "priority", v, POLICY_PRIORITY_MIN, POLICY_PRIORITY_MAX, &prio);
		if (r < 0)
			return r;
		rule->priority = (int)prio;
	}

	v = mapping_get(item, "match");
	if (v) {
		r = rule_parse_match(ld, v, rule);
		if (r < 0)
			return r;
	}

	v = mapping_get(item, "promotion");
	if (v) {
		r = rule_parse_promotion(ld, v, rule);
		if (r < 0)
			return r;
	}

	/* Priority is required too: an implicit default would make ties silent. */
	for (size_t i = 2; i < ELEMENTSOF(rule_keys); i++)
		if (!mapping_get(item, rule_keys[i]))
			return load_error(ld, item, -EINVAL, "rule \"%s\" is missing required key \"%s\"", rule->name,
					  rule_keys[i]);
	return 0;
}

static int document_check_version(struct loader *ld, const struct ynode *root)
{
	const struct ynode *v;
	int64_t version;
	int r;

	v = mapping_get(root, "version");
	if (!v)
		return load_error(ld, root, -EINVAL, "missing required key \"version\" (this cgtier reads version %d)",
				  POLICY_VERSION);

	r = expect_integer(ld, "version", v, 0, INT32_MAX, &version);
	if (r < 0)
		return r;
	if (version != POLICY_VERSION)
		return load_error(ld, v, -EINVAL, "unsupported policy version %" PRId64 " (this cgtier reads version %d)",
				  version, POLICY_VERSION);
	return 0;
}

int policy_document_parse(const char *path, const char *text, size_t len, struct policy_rule **ret_rules,
			  size_t *ret_n_rules, struct policy_error *err)
{
	struct loader ld = { .path = path, .err = err };
	_cleanup_(ynode_freep) struct ynode *root = NULL;
	struct policy_rule *rules = NULL;
	const struct ynode *seq;
	size_t n = 0;
	int r;

	r = yaml_tree_parse(path, text, len, &root, err);
	if (r < 0)
		return r;

	/* An empty file is a valid file with no rules, like an empty drop-in. */
	if (!root) {
		*ret_rules = NULL;
		*ret_n_rules = 0;
		return 0;
	}

	if (root->type != YNODE_MAPPING)
		return load_error(&ld, root, -EINVAL,
				  "the top level must be a mapping with \"version\" and \"rules\", got %s",
				  ynode_type_to_string(root->type));

	/* Version first: a newer schema's keys should not be reported as typos. */
	r = document_check_version(&ld, root);
	if (r < 0)
		return r;
	r = mapping_check_keys(&ld, root, top_keys, ELEMENTSOF(top_keys));
	if (r < 0)
		return r;

	seq = mapping_get(root, "rules");
	if (!seq)
		return load_error(&ld, root, -EINVAL, "missing required key \"rules\" (use \"rules: []\" for none)");
	if (seq->type != YNODE_SEQUENCE)
		return load_error(&ld, seq, -EINVAL, "\"rules\" must be a sequence of rules, got %s%s",
				  ynode_type_to_string(seq->type),
				  seq->type == YNODE_SCALAR && isempty(seq->value) ? " (use \"rules: []\" for none)" : "");

	if (seq->n_children > 0) {
		rules = calloc(seq->n_children, sizeof(*rules));
		if (!rules)
			return load_error(&ld, seq, -ENOMEM, "out of memory");
	}

	for (; n < seq->n_children; n++) {
		r = rule_parse(&ld, seq->children[n], &rules[n]);
		if (r < 0) {
			policy_rules_free(rules, n + 1);
			return r;
		}
	}

	*ret_rules = rules;
	*ret_n_rules = n;
	return 0;
}
