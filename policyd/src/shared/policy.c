/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "policy-internal.h"

int policy_error_setv(struct policy_error *e, const char *file, unsigned line, unsigned column, int r,
		      const char *fmt, va_list ap)
{
	if (!e)
		return r;

	(void)strscpy(e->file, sizeof(e->file), strempty(file));
	e->line = line;
	e->column = column;
	(void)vsnprintf(e->message, sizeof(e->message), fmt, ap);
	return r;
}

int policy_error_set(struct policy_error *e, const char *file, unsigned line, unsigned column, int r,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = policy_error_setv(e, file, line, column, r, fmt, ap);
	va_end(ap);
	return r;
}

int policy_error_format(const struct policy_error *e, char *buf, size_t size)
{
	int r;

	if (!e)
		return -EINVAL;
	if (isempty(e->file))
		r = snprintf_ok(buf, size, "%s", e->message);
	else if (e->line == 0)
		r = snprintf_ok(buf, size, "%s: %s", e->file, e->message);
	else
		r = snprintf_ok(buf, size, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
	return r < 0 ? r : 0;
}

void policy_rule_done(struct policy_rule *r)
{
	free(r->name);
	free(r->description);
	free(r->file);
	free(r->match.cgroup);
	free(r->match.unit);
	*r = (struct policy_rule){};
}

void policy_file_done(struct policy_file *f)
{
	free(f->path);
	free(f->name);
	free(f->text);
	*f = (struct policy_file){};
}

void policy_rules_free(struct policy_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		policy_rule_done(&rules[i]);
	free(rules);
}

void policy_files_free(struct policy_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		policy_file_done(&files[i]);
	free(files);
}

struct policy_set *policy_set_free(struct policy_set *s)
{
	if (!s)
		return NULL;
	policy_rules_free(s->rules, s->n_rules);
	policy_files_free(s->files, s->n_files);
	free(s);
	return NULL;
}

size_t policy_set_n_rules(const struct policy_set *s)
{
	return s ? s->n_rules : 0;
}

const struct policy_rule *policy_set_rule(const struct policy_set *s, size_t i)
{
	if (!s || i >= s->n_rules)
		return NULL;
	return &s->rules[i];
}

const struct policy_rule *policy_set_rule_by_name(const struct policy_set *s, const char *name)
{
	if (!s || !name)
		return NULL;
	for (size_t i = 0; i < s->n_rules; i++)
		if (streq(s->rules[i].name, name))
			return &s->rules[i];
	return NULL;
}

size_t policy_set_n_files(const struct policy_set *s)
{
	return s ? s->n_files : 0;
}

const struct policy_file *policy_set_file(const struct policy_set *s, size_t i)
{
	if (!s || i >= s->n_files)
		return NULL;
	return &s->files[i];
}

int policy_rules_append(struct policy_rule **rules, size_t *n_rules, struct policy_rule *src, size_t n)
{
	struct policy_rule *m;

	if (n == 0) {
		free(src);
		return 0;
	}

	m = reallocarray(*rules, *n_rules + n, sizeof(*m));
	if (!m) {
		policy_rules_free(src, n);
		return -ENOMEM;
	}
	memcpy(m + *n_rules, src, n * sizeof(*m));
	free(src);
	*rules = m;
	*n_rules += n;
	return 0;
}

static int rule_ptr_compare(const void *a, const void *b)
{
	const struct policy_rule *x = *(const struct policy_rule *const *)a;
	const struct policy_rule *y = *(const struct policy_rule *const *)b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorting instead of comparing all pairs: a 1 MiB file holds tens of thousands of rules. */
static int rules_check_unique_names(struct policy_rule *rules, size_t n, struct policy_error *err)
{
	_cleanup_free_ struct policy_rule **sorted = NULL;
	const struct policy_rule *dup = NULL, *first = NULL;

	if (n < 2)
		return 0;

	sorted = calloc(n, sizeof(*sorted));
	if (!sorted)
		return policy_error_set(err, NULL, 0, 0, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		sorted[i] = &rules[i];
	qsort(sorted, n, sizeof(*sorted), rule_ptr_compare);

	/* Report the earliest second definition, pointing back at the first one. */
	for (size_t i = 1; i < n; i++) {
		if (!streq(sorted[i - 1]->name, sorted[i]->name))
			continue;
		if (!dup || sorted[i]->index < dup->index) {
			dup = sorted[i];
			first = sorted[i - 1];
		}
		while (i + 1 < n && streq(sorted[i]->name, sorted[i + 1]->name))
			i++;
	}
	if (!dup)
		return 0;

	return policy_error_set(err, dup->file, dup->line, dup->column, -EINVAL,
				"duplicate rule name \"%s\" (first defined at %s:%u:%u)", dup->name, first->file,
				first->line, first->column);
}

int policy_set_new(struct policy_rule *rules, size_t n_rules, struct policy_file *files, size_t n_files,
		   struct policy_set **ret, struct policy_error *err)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s) {
		policy_rules_free(rules, n_rules);
		policy_files_free(files, n_files);
		return policy_error_set(err, NULL, 0, 0, -ENOMEM, "out of memory");
	}
	*s = (struct policy_set){ rules, n_rules, files, n_files };

	for (size_t i = 0; i < n_rules; i++)
		s->rules[i].index = i;

	r = rules_check_unique_names(s->rules, s->n_rules, err);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(s);
	return 0;
}

int policy_set_load_text(const char *name, const char *text, size_t len, struct policy_set **ret,
			 struct policy_error *err)
{
	struct policy_rule *rules = NULL;
	struct policy_file *files = NULL;
	size_t n_rules = 0;
	const char *base;
	int r;

	if (!name || (!text && len > 0) || !ret)
		return policy_error_set(err, name, 0, 0, -EINVAL, "invalid arguments");
	if (len > POLICY_FILE_SIZE_MAX)
		return policy_error_set(err, name, 0, 0, -EFBIG, "file is too large (%zu bytes, limit %d)", len,
					POLICY_FILE_SIZE_MAX);

	r = policy_document_parse(name, text ?: "", len, &rules, &n_rules, err);
	if (r < 0)
		return r;

	files = calloc(1, sizeof(*files));
	if (!files)
		goto oom;
	base = strrchr(name, '/');
	files[0].path = strdup(name);
	files[0].name = strdup(base ? base + 1 : name);
	files[0].state = POLICY_FILE_LOADED;
	files[0].n_rules = n_rules;
	files[0].text = strndup(text ?: "", len);
	files[0].text_len = len;
	if (!files[0].path || !files[0].name || !files[0].text)
		goto oom;

	return policy_set_new(rules, n_rules, files, 1, ret, err);

oom:
	policy_files_free(files, files ? 1 : 0);
	policy_rules_free(rules, n_rules);
	return policy_error_set(err, name, 0, 0, -ENOMEM, "out of memory");
}

const char *policy_suggest(const char *word, const char *const *candidates, size_t n_candidates)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; i < n_candidates; i++) {
		size_t d = strlevenshtein(word, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	/* Beyond two edits the "suggestion" is usually a different word. */
	return best_d <= 2 && best_d < strlen(word) ? best : NULL;
}

int promotion_setting_to_max_string(const struct promotion_setting *s, char *buf, size_t size)
{
	uint64_t period, max = PROMOTION_MAX_UNLIMITED;
	int r;

	if (!s || !buf)
		return -EINVAL;
	if (!s->has_max && !s->has_period)
		return -ENODATA;

	period = s->has_period ? s->period_us : PROMOTION_PERIOD_DEFAULT_US;
	if (period < PROMOTION_PERIOD_MIN_US || period > PROMOTION_PERIOD_MAX_US)
		return -ERANGE;
	if (s->has_max) {
		r = rate_to_max_bytes(s->max_bytes_per_sec, period, &max);
		if (r < 0)
			return r;
	}

	return promotion_max_format(max, period, buf, size);
}

int promotion_setting_format(const struct promotion_setting *s, char *buf, size_t size)
{
	char rate[RATE_STRING_MAX], period[RATE_STRING_MAX];
	_cleanup_free_ char *t = NULL;
	int r;

	if (!s || !buf)
		return -EINVAL;

	if (s->has_max) {
		r = rate_format(s->max_bytes_per_sec, rate, sizeof(rate));
		if (r < 0)
			return r;
		if (strextendf(&t, "max=%s", rate) < 0)
			return -ENOMEM;
	}
	if (s->has_period) {
		r = period_format(s->period_us, period, sizeof(period));
		if (r < 0)
			return r;
		if (strextendf(&t, "%speriod=%s", t ? " " : "", period) < 0)
			return -ENOMEM;
	}
	if (s->has_weight && strextendf(&t, "%sweight=%" PRIu32, t ? " " : "", s->weight) < 0)
		return -ENOMEM;

	r = snprintf_ok(buf, size, "%s", t ?: "(nothing)");
	return r < 0 ? r : 0;
}

bool policy_load_error_is_invalid(int r)
{
	return r == -EINVAL || r == -ERANGE || r == -EFBIG;
}
