/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The last rule set that loaded, kept across restarts. What is kept is the
 * sources, not the parsed rules: loading them again with the same loader
 * validates them exactly like policy files, and needs no second format
 * that could drift from the first.
 */
#include "policy-internal.h"
#include "state-file.h"

#define POLICY_STATE_KIND "rules"

int policy_set_save_state(const struct policy_set *s, int dir_fd)
{
	_cleanup_free_ struct state_record *records = NULL;
	size_t n = 0;

	if (!s || dir_fd < 0)
		return -EINVAL;

	records = calloc(MAX(2 * s->n_files, (size_t)1), sizeof(*records));
	if (!records)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_files; i++) {
		const struct policy_file *f = &s->files[i];

		if (f->state != POLICY_FILE_LOADED)
			continue;
		records[n] = (struct state_record){ .tag = "path", .data = f->path, .len = strlen(f->path) };
		n++;
		records[n] = (struct state_record){ .tag = "source", .data = f->text ?: (char *)"",
						    .len = f->text ? f->text_len : 0 };
		n++;
	}
	return state_file_write(dir_fd, POLICY_STATE_FILE, POLICY_STATE_KIND, records, n);
}

static int sources_load(const struct state_record *rec, size_t n, struct policy_set **ret, struct policy_error *err)
{
	struct policy_rule *rules = NULL;
	struct policy_file *files = NULL;
	size_t n_rules = 0, n_files = 0;
	int r = 0;

	files = calloc(MAX(n / 2, (size_t)1), sizeof(*files));
	if (!files)
		return policy_error_set(err, POLICY_STATE_FILE, 0, 0, -ENOMEM, "out of memory");

	for (size_t i = 0; i + 1 < n; i += 2) {
		const struct state_record *path = &rec[i], *src = &rec[i + 1];
		struct policy_file *f = &files[n_files];
		struct policy_rule *got = NULL;
		const char *base;
		size_t n_got = 0;

		if (!streq(path->tag, "path") || !streq(src->tag, "source") || path->len == 0 ||
		    path->len >= PATH_MAX || strlen(path->data) != path->len) {
			r = policy_error_set(err, POLICY_STATE_FILE, 0, 0, -EBADMSG, "record %zu is not a path and its source",
					     i + 1);
			goto fail;
		}
		if (src->len > POLICY_FILE_SIZE_MAX) {
			r = policy_error_set(err, path->data, 0, 0, -EFBIG, "saved source is too large");
			goto fail;
		}
		r = policy_document_parse(path->data, src->data, src->len, &got, &n_got, err);
		if (r < 0)
			goto fail;
		r = policy_rules_append(&rules, &n_rules, got, n_got);
		if (r < 0) {
			r = policy_error_set(err, path->data, 0, 0, r, "out of memory");
			goto fail;
		}

		base = strrchr(path->data, '/');
		*f = (struct policy_file){
			.path = strdup(path->data),
			.name = strdup(base ? base + 1 : path->data),
			.state = POLICY_FILE_LOADED,
			.n_rules = n_got,
			.text = strndup(src->data, src->len),
			.text_len = src->len,
		};
		n_files++;
		if (!f->path || !f->name || !f->text) {
			r = policy_error_set(err, path->data, 0, 0, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (n % 2 != 0) {
		r = policy_error_set(err, POLICY_STATE_FILE, 0, 0, -EBADMSG, "odd number of records");
		goto fail;
	}
	return policy_set_new(rules, n_rules, files, n_files, ret, err);

fail:
	policy_rules_free(rules, n_rules);
	policy_files_free(files, n_files);
	return r;
}

int policy_set_load_state(int dir_fd, struct policy_set **ret, struct policy_error *err)
{
	struct state_record *records = NULL;
	char why[256] = "";
	size_t n = 0;
	int r;

	if (dir_fd < 0 || !ret)
		return policy_error_set(err, NULL, 0, 0, -EINVAL, "invalid arguments");

	r = state_file_read(dir_fd, POLICY_STATE_FILE, POLICY_STATE_KIND, &records, &n, why, sizeof(why));
	if (r == -EBADMSG)
		return policy_error_set(err, POLICY_STATE_FILE, 0, 0, r, "%s", why);
	if (r < 0)
		return policy_error_set(err, POLICY_STATE_FILE, 0, 0, r, "cannot read: %s", strerror(-r));

	r = sources_load(records, n, ret, err);
	state_records_free(records, n);
	return r;
}
