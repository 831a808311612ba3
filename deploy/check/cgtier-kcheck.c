/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgtier-kcheck: offline check of the Kubernetes manifests in
 * deploy/kubernetes/, with libyaml (already a cgtier dependency) instead of
 * a cluster or a downloaded schema.
 *
 *   cgtier-kcheck [--extract-policies=DIR] FILE...
 *
 * The files are checked as one set, the way `kubectl apply -k` would send
 * them. Two layers:
 *
 * A kustomize Component given among the files (components/damon) is
 * applied first: its strategic merge patches are merged into the
 * DaemonSet they name, and the result is what gets checked.
 *
 * 1. A schema of the API fields the manifests use (Namespace,
 *    ServiceAccount, ConfigMap, apps/v1 DaemonSet, the Kustomization and
 *    Component):
 *    unknown fields (typos), wrong types (a quoted integer, an unquoted
 *    "0.1" where a string belongs), missing required fields, enumerations.
 *    A field this table does not know is an error, not a pass: extend the
 *    table when a manifest needs a new field.
 * 2. Rules the API server would apply at admission (label selector must
 *    match the template, volume and container names, mounts referring to
 *    declared volumes) and cgtier's own deployment rules (see docs/FLEET.md):
 *    minimal privileges spelled out per container, the policy ConfigMap
 *    mounted whole at /etc/cgtier/policies.d with keys the daemon reads,
 *    cgroupfs writable for the daemon, tolerations for every node, DAMON's
 *    sysfs (when mounted) writable for the daemon alone and only on nodes
 *    selected for it, and so on.
 *
 * With --extract-policies, the data of the ConfigMap(s) mounted at
 * /etc/cgtier/policies.d is written to DIR, one file per key, for
 * `cgtierctl validate`.
 *
 * Prints FILE:LINE:COLUMN: message per problem; exit 0 if none, 1 if any,
 * 2 on usage or I/O errors.
 */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define POLICY_DIR "/etc/cgtier/policies.d"
#define CGROUP_ROOT "/sys/fs/cgroup"
#define DAEMON_COMMAND "cgtier-policyd"
#define DAMON_SYSFS "/sys/kernel/mm/damon"

/* --- YAML tree --- */

enum node_type { N_SCALAR, N_MAP, N_SEQ };

struct node {
	enum node_type type;
	char *value; /* scalars */
	bool plain;  /* plain style: subject to YAML type resolution */
	const char *file;
	int line, col;
	struct node **kids; /* map: key, value, key, value...; seq: items */
	size_t n;
};

static int n_errors;

__attribute__((format(printf, 2, 3))) static void error_at(const struct node *at, const char *fmt, ...)
{
	va_list ap;

	if (at)
		printf("%s:%d:%d: ", at->file, at->line, at->col);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	n_errors++;
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p) {
		fputs("cgtier-kcheck: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = xmalloc(strlen(s) + 1);

	return strcpy(p, s);
}

static void node_add(struct node *parent, struct node *kid)
{
	struct node **k = realloc(parent->kids, (parent->n + 1) * sizeof(*k));

	if (!k) {
		fputs("cgtier-kcheck: out of memory\n", stderr);
		exit(2);
	}
	parent->kids = k;
	parent->kids[parent->n++] = kid;
}

static struct node *node_new(enum node_type t, const char *file, const yaml_mark_t *m)
{
	struct node *n = xmalloc(sizeof(*n));

	n->type = t;
	n->file = file;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

/* Value of KEY in mapping MAP, or NULL. */
static struct node *get(const struct node *map, const char *key)
{
	if (!map || map->type != N_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == N_SCALAR && strcmp(map->kids[i]->value, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

static const char *get_str(const struct node *map, const char *key)
{
	const struct node *v = get(map, key);

	return v && v->type == N_SCALAR ? v->value : NULL;
}

static bool get_true(const struct node *map, const char *key)
{
	const char *v = get_str(map, key);

	return v && strcmp(v, "true") == 0;
}

static bool get_false(const struct node *map, const char *key)
{
	const char *v = get_str(map, key);

	return v && strcmp(v, "false") == 0;
}

static bool seq_has(const struct node *seq, const char *s)
{
	if (!seq || seq->type != N_SEQ)
		return false;
	for (size_t i = 0; i < seq->n; i++)
		if (seq->kids[i]->type == N_SCALAR && strcmp(seq->kids[i]->value, s) == 0)
			return true;
	return false;
}

/* Parses every document of FILE; returns the number of documents added. */
static int parse_file(const char *file, struct node ***docs, size_t *n_docs)
{
	struct node *stack[64];
	int depth = 0, added = 0;
	yaml_parser_t parser;
	yaml_event_t ev;
	FILE *f;
	bool done = false;

	f = fopen(file, "re");
	if (!f) {
		fprintf(stderr, "cgtier-kcheck: %s: %s\n", file, strerror(errno));
		exit(2);
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		struct node *n = NULL;

		if (!yaml_parser_parse(&parser, &ev)) {
			printf("%s:%zu:%zu: YAML: %s\n", file, parser.problem_mark.line + 1,
			       parser.problem_mark.column + 1, parser.problem ? parser.problem : "syntax error");
			n_errors++;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_ALIAS_EVENT:
			n = node_new(N_SCALAR, file, &ev.start_mark);
			n->value = xstrdup("");
			error_at(n, "YAML aliases are not used in these manifests");
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(N_SCALAR, file, &ev.start_mark);
			n->value = xstrdup((const char *)ev.data.scalar.value);
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			if (ev.data.scalar.anchor)
				error_at(n, "YAML anchors are not used in these manifests");
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			n = node_new(ev.type == YAML_MAPPING_START_EVENT ? N_MAP : N_SEQ, file, &ev.start_mark);
			if (depth >= (int)(sizeof(stack) / sizeof(stack[0]))) {
				error_at(n, "nested too deeply");
				done = true;
				break;
			}
			if (depth > 0)
				node_add(stack[depth - 1], n);
			stack[depth++] = n;
			n = NULL;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			n = stack[--depth];
			if (depth > 0)
				n = NULL; /* attached already */
			break;
		default:
			break;
		}
		if (n && depth > 0)
			node_add(stack[depth - 1], n);
		else if (n) {
			/* A whole document. An empty one (comments only) is skipped. */
			struct node **d = realloc(*docs, (*n_docs + 1) * sizeof(*d));

			if (!d)
				exit(2);
			*docs = d;
			(*docs)[(*n_docs)++] = n;
			added++;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return added;
}

/* --- kustomize components: strategic merge patches --- */

/* The directory FILE is in ("." for a bare name), where kustomize resolves its paths. */
static void dir_of(const char *file, char *dir, size_t size)
{
	const char *slash = strrchr(file, '/');

	snprintf(dir, size, "%.*s", slash ? (int)(slash - file) : 1, slash ? file : ".");
}

/*
 * The merge key of a list field, as the Kubernetes API declares it
 * (patchMergeKey); a list without one is replaced whole by the patch's.
 */
static const char *merge_key(const char *field)
{
	static const char *const by_name[] = { "containers", "initContainers", "volumes", "env", NULL };

	if (strcmp(field, "volumeMounts") == 0)
		return "mountPath";
	for (const char *const *f = by_name; *f; f++)
		if (strcmp(*f, field) == 0)
			return "name";
	return NULL;
}

static void merge(struct node *dst, struct node *src);

static void merge_list(struct node *dst, struct node *src, const char *key)
{
	for (size_t i = 0; i < src->n; i++) {
		struct node *item = src->kids[i];
		const char *want = get_str(item, key);
		size_t j = 0;

		if (!want) {
			error_at(item, "patch: a list item without its merge key \"%s\"", key);
			continue;
		}
		while (j < dst->n && strcmp(get_str(dst->kids[j], key) ?: "", want) != 0)
			j++;
		if (j < dst->n)
			merge(dst->kids[j], item);
		else
			node_add(dst, item);
	}
}

/* Applies SRC, a strategic merge patch, to DST (both mappings). */
static void merge(struct node *dst, struct node *src)
{
	for (size_t i = 0; i + 1 < src->n; i += 2) {
		struct node *k = src->kids[i], *v = src->kids[i + 1];
		const char *key = k->type == N_SCALAR ? k->value : "";
		size_t j = 0;

		while (j + 1 < dst->n && strcmp(dst->kids[j]->type == N_SCALAR ? dst->kids[j]->value : "", key) != 0)
			j += 2;
		if (j + 1 >= dst->n) {
			node_add(dst, k);
			node_add(dst, v);
		} else if (v->type == N_MAP && dst->kids[j + 1]->type == N_MAP) {
			merge(dst->kids[j + 1], v);
		} else if (v->type == N_SEQ && dst->kids[j + 1]->type == N_SEQ && merge_key(key)) {
			merge_list(dst->kids[j + 1], v, merge_key(key));
		} else {
			dst->kids[j + 1] = v;
		}
	}
}

/*
 * A Component's patches, applied to the DaemonSet documents they name
 * before anything is checked: the checks then see the pod that `kubectl
 * apply -k` would create with the component enabled.
 */
static void apply_component(const struct node *comp, struct node **docs, size_t n_docs)
{
	const struct node *patches = get(comp, "patches");
	char dir[PATH_MAX];

	dir_of(comp->file, dir, sizeof(dir));
	for (size_t i = 0; patches && patches->type == N_SEQ && i < patches->n; i++) {
		const char *rel = get_str(patches->kids[i], "path");
		struct node **pdocs = NULL;
		size_t n_pdocs = 0;
		char path[PATH_MAX + 256];

		if (!rel)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		if (access(path, R_OK) != 0) {
			error_at(get(patches->kids[i], "path"), "patch %s: %s", rel, strerror(errno));
			continue;
		}
		parse_file(path, &pdocs, &n_pdocs);
		for (size_t p = 0; p < n_pdocs; p++) {
			const char *kind = get_str(pdocs[p], "kind");
			const char *name = get_str(get(pdocs[p], "metadata"), "name");
			bool found = false;

			if (!kind || strcmp(kind, "DaemonSet") != 0 || !name) {
				error_at(pdocs[p], "patch %s: only DaemonSet patches (with metadata.name) are checked", rel);
				continue;
			}
			for (size_t d = 0; d < n_docs; d++)
				if (strcmp(get_str(docs[d], "kind") ?: "", kind) == 0 &&
				    strcmp(get_str(get(docs[d], "metadata"), "name") ?: "", name) == 0) {
					merge(docs[d], pdocs[p]);
					found = true;
				}
			if (!found)
				error_at(get(pdocs[p], "metadata"), "patch %s: DaemonSet %s is not in these files", rel,
					 name);
		}
		free(pdocs);
	}
}

/* --- scalar types (YAML 1.1 as sigs.k8s.io/yaml resolves them) --- */

static bool matches(const char *re, const char *s)
{
	regex_t r;
	bool m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0) {
		fprintf(stderr, "cgtier-kcheck: bad regex %s\n", re);
		exit(2);
	}
	m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

static bool resolves_to_bool(const char *s)
{
	return matches("^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$", s);
}

static bool resolves_to_number(const char *s)
{
	return matches("^[-+]?(0|[1-9][0-9_]*|0[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+)$", s) ||
	       matches("^[-+]?([0-9][0-9_]*)?\\.[0-9.]*([eE][-+][0-9]+)?$", s) ||
	       matches("^[-+]?\\.(inf|Inf|INF)$|^\\.(nan|NaN|NAN)$", s);
}

static bool resolves_to_null(const char *s)
{
	return matches("^(~|null|Null|NULL|)$", s);
}

/* --- schema --- */

enum kind { K_STR, K_INT, K_BOOL, K_QTY, K_INTSTR, K_MAP, K_SEQ, K_STRMAP, K_QTYMAP };

struct field;
struct type {
	enum kind kind;
	const struct field *fields; /* K_MAP */
	const struct type *elem;    /* K_SEQ */
	const char *const *values;  /* K_STR enumeration, NULL-terminated */
};
struct field {
	const char *name;
	const struct type *type;
	bool required;
};

#define T(k) { .kind = (k) }
#define MAP(f) { .kind = K_MAP, .fields = (f) }
#define SEQ(e) { .kind = K_SEQ, .elem = (e) }
#define ENUM(...) { .kind = K_STR, .values = (const char *const[]){ __VA_ARGS__, NULL } }
#define REQ(n, t) { (n), &(t), true }
#define OPT(n, t) { (n), &(t), false }
#define END { NULL, NULL, false }

static const struct type t_str = T(K_STR), t_int = T(K_INT), t_bool = T(K_BOOL), t_qty = T(K_QTY),
			 t_intstr = T(K_INTSTR), t_strmap = T(K_STRMAP), t_qtymap = T(K_QTYMAP);
static const struct type t_strseq = SEQ(&t_str), t_intseq = SEQ(&t_int);

static const struct field f_meta[] = {
	REQ("name", t_str), OPT("namespace", t_str), OPT("labels", t_strmap), OPT("annotations", t_strmap), END,
};
static const struct type t_meta = MAP(f_meta);
static const struct field f_tmeta[] = { OPT("labels", t_strmap), OPT("annotations", t_strmap), END };
static const struct type t_tmeta = MAP(f_tmeta);

static const struct type t_selop = ENUM("In", "NotIn", "Exists", "DoesNotExist");
static const struct field f_selreq[] = { REQ("key", t_str), REQ("operator", t_selop), OPT("values", t_strseq), END };
static const struct type t_selreq = MAP(f_selreq), t_selreqs = SEQ(&t_selreq);
static const struct field f_selector[] = { OPT("matchLabels", t_strmap), OPT("matchExpressions", t_selreqs), END };
static const struct type t_selector = MAP(f_selector);

static const struct field f_caps[] = { OPT("add", t_strseq), OPT("drop", t_strseq), END };
static const struct type t_caps = MAP(f_caps);
static const struct type t_seccomp_type = ENUM("RuntimeDefault", "Localhost", "Unconfined");
static const struct field f_seccomp[] = { REQ("type", t_seccomp_type), OPT("localhostProfile", t_str), END };
static const struct type t_seccomp = MAP(f_seccomp);
static const struct field f_selinux[] = {
	OPT("user", t_str), OPT("role", t_str), OPT("type", t_str), OPT("level", t_str), END,
};
static const struct type t_selinux = MAP(f_selinux);
static const struct type t_procmount = ENUM("Default", "Unmasked");
static const struct field f_secctx[] = {
	OPT("privileged", t_bool), OPT("runAsUser", t_int), OPT("runAsGroup", t_int),
	OPT("runAsNonRoot", t_bool), OPT("readOnlyRootFilesystem", t_bool),
	OPT("allowPrivilegeEscalation", t_bool), OPT("capabilities", t_caps),
	OPT("seccompProfile", t_seccomp), OPT("seLinuxOptions", t_selinux), OPT("procMount", t_procmount), END,
};
static const struct type t_secctx = MAP(f_secctx);
static const struct field f_podsecctx[] = {
	OPT("runAsUser", t_int), OPT("runAsGroup", t_int), OPT("runAsNonRoot", t_bool),
	OPT("fsGroup", t_int), OPT("supplementalGroups", t_intseq), OPT("seccompProfile", t_seccomp),
	OPT("seLinuxOptions", t_selinux), END,
};
static const struct type t_podsecctx = MAP(f_podsecctx);

static const struct field f_fieldref[] = { REQ("fieldPath", t_str), OPT("apiVersion", t_str), END };
static const struct type t_fieldref = MAP(f_fieldref);
static const struct field f_valuefrom[] = { OPT("fieldRef", t_fieldref), END };
static const struct type t_valuefrom = MAP(f_valuefrom);
static const struct field f_env[] = { REQ("name", t_str), OPT("value", t_str), OPT("valueFrom", t_valuefrom), END };
static const struct type t_env = MAP(f_env), t_envs = SEQ(&t_env);

static const struct type t_propagation = ENUM("None", "HostToContainer", "Bidirectional");
static const struct field f_mount[] = {
	REQ("name", t_str), REQ("mountPath", t_str), OPT("readOnly", t_bool), OPT("subPath", t_str),
	OPT("mountPropagation", t_propagation), END,
};
static const struct type t_mount = MAP(f_mount), t_mounts = SEQ(&t_mount);

static const struct field f_resources[] = { OPT("requests", t_qtymap), OPT("limits", t_qtymap), END };
static const struct type t_resources = MAP(f_resources);

static const struct field f_exec[] = { REQ("command", t_strseq), END };
static const struct type t_exec = MAP(f_exec);
static const struct field f_probe[] = {
	REQ("exec", t_exec), OPT("initialDelaySeconds", t_int), OPT("periodSeconds", t_int),
	OPT("timeoutSeconds", t_int), OPT("failureThreshold", t_int), OPT("successThreshold", t_int), END,
};
static const struct type t_probe = MAP(f_probe);

static const struct type t_pullpolicy = ENUM("Always", "IfNotPresent", "Never");
static const struct type t_always = ENUM("Always");
static const struct type t_termpolicy = ENUM("File", "FallbackToLogsOnError");
static const struct field f_container[] = {
	REQ("name", t_str), REQ("image", t_str), OPT("imagePullPolicy", t_pullpolicy),
	OPT("command", t_strseq), OPT("args", t_strseq), OPT("workingDir", t_str), OPT("env", t_envs),
	OPT("volumeMounts", t_mounts), OPT("securityContext", t_secctx), OPT("resources", t_resources),
	OPT("readinessProbe", t_probe), OPT("livenessProbe", t_probe), OPT("startupProbe", t_probe),
	OPT("restartPolicy", t_always), OPT("terminationMessagePolicy", t_termpolicy), END,
};
static const struct type t_container = MAP(f_container), t_containers = SEQ(&t_container);

static const struct type t_tolop = ENUM("Exists", "Equal");
static const struct type t_effect = ENUM("NoSchedule", "PreferNoSchedule", "NoExecute");
static const struct field f_toleration[] = {
	OPT("key", t_str), OPT("operator", t_tolop), OPT("value", t_str), OPT("effect", t_effect),
	OPT("tolerationSeconds", t_int), END,
};
static const struct type t_toleration = MAP(f_toleration), t_tolerations = SEQ(&t_toleration);

static const struct type t_hostpath_type =
	ENUM("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice");
static const struct field f_hostpath[] = { REQ("path", t_str), OPT("type", t_hostpath_type), END };
static const struct type t_hostpath = MAP(f_hostpath);
static const struct field f_keypath[] = { REQ("key", t_str), REQ("path", t_str), OPT("mode", t_int), END };
static const struct type t_keypath = MAP(f_keypath), t_keypaths = SEQ(&t_keypath);
static const struct field f_cmvol[] = {
	REQ("name", t_str), OPT("defaultMode", t_int), OPT("optional", t_bool), OPT("items", t_keypaths), END,
};
static const struct type t_cmvol = MAP(f_cmvol);
static const struct type t_medium = ENUM("", "Memory");
static const struct field f_emptydir[] = { OPT("medium", t_medium), OPT("sizeLimit", t_qty), END };
static const struct type t_emptydir = MAP(f_emptydir);
static const struct field f_volume[] = {
	REQ("name", t_str), OPT("hostPath", t_hostpath), OPT("configMap", t_cmvol), OPT("emptyDir", t_emptydir), END,
};
static const struct type t_volume = MAP(f_volume), t_volumes = SEQ(&t_volume);

static const struct type t_dnspolicy = ENUM("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None");
static const struct type t_restart = ENUM("Always");
static const struct field f_podspec[] = {
	REQ("containers", t_containers), OPT("initContainers", t_containers), OPT("volumes", t_volumes),
	OPT("serviceAccountName", t_str), OPT("automountServiceAccountToken", t_bool),
	OPT("enableServiceLinks", t_bool), OPT("hostPID", t_bool), OPT("hostNetwork", t_bool),
	OPT("hostIPC", t_bool), OPT("hostUsers", t_bool), OPT("priorityClassName", t_str),
	OPT("nodeSelector", t_strmap), OPT("tolerations", t_tolerations),
	OPT("terminationGracePeriodSeconds", t_int), OPT("securityContext", t_podsecctx),
	OPT("dnsPolicy", t_dnspolicy), OPT("restartPolicy", t_restart), END,
};
static const struct type t_podspec = MAP(f_podspec);
static const struct field f_template[] = { OPT("metadata", t_tmeta), REQ("spec", t_podspec), END };
static const struct type t_template = MAP(f_template);

static const struct field f_rolling[] = { OPT("maxUnavailable", t_intstr), OPT("maxSurge", t_intstr), END };
static const struct type t_rolling = MAP(f_rolling);
static const struct type t_strategy_type = ENUM("RollingUpdate", "OnDelete");
static const struct field f_strategy[] = { OPT("type", t_strategy_type), OPT("rollingUpdate", t_rolling), END };
static const struct type t_strategy = MAP(f_strategy);
static const struct field f_dsspec[] = {
	REQ("selector", t_selector), REQ("template", t_template), OPT("updateStrategy", t_strategy),
	OPT("minReadySeconds", t_int), OPT("revisionHistoryLimit", t_int), END,
};
static const struct type t_dsspec = MAP(f_dsspec);

static const struct field f_namespace[] = { REQ("apiVersion", t_str), REQ("kind", t_str), REQ("metadata", t_meta), END };
static const struct field f_sa[] = {
	REQ("apiVersion", t_str), REQ("kind", t_str), REQ("metadata", t_meta),
	OPT("automountServiceAccountToken", t_bool), END,
};
static const struct field f_configmap[] = {
	REQ("apiVersion", t_str), REQ("kind", t_str), REQ("metadata", t_meta), OPT("data", t_strmap),
	OPT("immutable", t_bool), END,
};
static const struct field f_daemonset[] = {
	REQ("apiVersion", t_str), REQ("kind", t_str), REQ("metadata", t_meta), REQ("spec", t_dsspec), END,
};
static const struct field f_image[] = {
	REQ("name", t_str), OPT("newName", t_str), OPT("newTag", t_str), OPT("digest", t_str), END,
};
static const struct type t_image = MAP(f_image), t_images = SEQ(&t_image);
static const struct field f_kustomization[] = {
	REQ("apiVersion", t_str), REQ("kind", t_str), OPT("namespace", t_str), REQ("resources", t_strseq),
	OPT("components", t_strseq), OPT("images", t_images), END,
};
static const struct field f_patch[] = { REQ("path", t_str), END };
static const struct type t_patch = MAP(f_patch), t_patches = SEQ(&t_patch);
static const struct field f_component[] = {
	REQ("apiVersion", t_str), REQ("kind", t_str), REQ("patches", t_patches), END,
};

static const struct {
	const char *api_version, *kind;
	struct type type;
	bool namespaced;
} kinds[] = {
	{ "v1", "Namespace", MAP(f_namespace), false },
	{ "v1", "ServiceAccount", MAP(f_sa), true },
	{ "v1", "ConfigMap", MAP(f_configmap), true },
	{ "apps/v1", "DaemonSet", MAP(f_daemonset), true },
	{ "kustomize.config.k8s.io/v1beta1", "Kustomization", MAP(f_kustomization), false },
	{ "kustomize.config.k8s.io/v1alpha1", "Component", MAP(f_component), false },
};

static const char *kind_name(enum kind k)
{
	switch (k) {
	case K_STR: return "a string";
	case K_INT: return "an integer";
	case K_BOOL: return "true or false";
	case K_QTY: return "a quantity";
	case K_INTSTR: return "an integer or a percentage";
	case K_MAP: case K_STRMAP: case K_QTYMAP: return "a mapping";
	case K_SEQ: return "a sequence";
	}
	return "?";
}

static void check_scalar(const struct node *n, enum kind k, const char *path)
{
	const char *v = n->value;

	switch (k) {
	case K_STR:
		if (n->plain && resolves_to_null(v))
			error_at(n, "%s has no value", path);
		else if (n->plain && (resolves_to_bool(v) || resolves_to_number(v)))
			error_at(n, "%s must be a string: quote \"%s\" (YAML reads it as a %s)", path, v,
				 resolves_to_bool(v) ? "boolean" : "number");
		break;
	case K_INT:
		if (!n->plain || !matches("^-?(0|[1-9][0-9]*|0[0-7]+)$", v))
			error_at(n, "%s must be %s, not \"%s\"", path, kind_name(k), v);
		break;
	case K_BOOL:
		if (!n->plain || !matches("^(true|false)$", v))
			error_at(n, "%s must be true or false, not \"%s\"", path, v);
		break;
	case K_QTY:
		if (!matches("^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$", v))
			error_at(n, "%s: \"%s\" is not a resource quantity (e.g. 10m, 64Mi)", path, v);
		break;
	case K_INTSTR:
		if (!(n->plain && matches("^[0-9]+$", v)) && !matches("^[0-9]+%$", v))
			error_at(n, "%s must be %s, not \"%s\"", path, kind_name(k), v);
		break;
	default:
		break;
	}
}

static const char *const resource_names[] = { "cpu", "memory", "ephemeral-storage", NULL };

static void check_type(const struct node *n, const struct type *t, const char *path)
{
	char sub[512];

	switch (t->kind) {
	case K_STR:
	case K_INT:
	case K_BOOL:
	case K_QTY:
	case K_INTSTR:
		if (n->type != N_SCALAR) {
			error_at(n, "%s must be %s", path, kind_name(t->kind));
			return;
		}
		check_scalar(n, t->kind, path);
		if (t->values) {
			bool ok = false;

			for (size_t i = 0; t->values[i]; i++)
				ok = ok || strcmp(t->values[i], n->value) == 0;
			if (!ok) {
				size_t l = 0;

				sub[0] = 0;
				for (size_t i = 0; t->values[i] && l < sizeof(sub) - 64; i++)
					l += (size_t)snprintf(sub + l, sizeof(sub) - l, "%s\"%s\"", i ? ", " : "",
							      t->values[i]);
				error_at(n, "%s: \"%s\" is not one of %s", path, n->value, sub);
			}
		}
		return;
	case K_SEQ:
		if (n->type != N_SEQ) {
			error_at(n, "%s must be %s", path, kind_name(t->kind));
			return;
		}
		for (size_t i = 0; i < n->n; i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			check_type(n->kids[i], t->elem, sub);
		}
		return;
	case K_STRMAP:
	case K_QTYMAP:
	case K_MAP:
		if (n->type != N_MAP) {
			error_at(n, "%s must be a mapping", path);
			return;
		}
		break;
	}

	/* Mappings: duplicate keys first, then each entry. */
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct node *k = n->kids[i], *v = n->kids[i + 1];

		if (k->type != N_SCALAR) {
			error_at(k, "%s: keys must be strings", path);
			continue;
		}
		for (size_t j = 0; j < i; j += 2)
			if (n->kids[j]->type == N_SCALAR && strcmp(n->kids[j]->value, k->value) == 0)
				error_at(k, "%s: duplicate key \"%s\" (first at line %d)", path, k->value,
					 n->kids[j]->line);
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k->value);
		if (t->kind == K_STRMAP) {
			if (v->type != N_SCALAR)
				error_at(v, "%s must be a string", sub);
			else
				check_scalar(v, K_STR, sub);
			continue;
		}
		if (t->kind == K_QTYMAP) {
			bool known = false;

			for (size_t r = 0; resource_names[r]; r++)
				known = known || strcmp(resource_names[r], k->value) == 0;
			if (!known)
				error_at(k, "%s: unknown resource \"%s\" (cpu, memory, ephemeral-storage)", path,
					 k->value);
			if (v->type != N_SCALAR)
				error_at(v, "%s must be a quantity", sub);
			else
				check_scalar(v, K_QTY, sub);
			continue;
		}
		const struct field *f = t->fields;

		while (f->name && strcmp(f->name, k->value) != 0)
			f++;
		if (!f->name) {
			error_at(k, "%s: unknown field \"%s\"", path, k->value);
			continue;
		}
		check_type(v, f->type, sub);
	}
	if (t->kind == K_MAP)
		for (const struct field *f = t->fields; f->name; f++)
			if (f->required && !get(n, f->name))
				error_at(n, "%s: missing required field \"%s\"", *path ? path : "object", f->name);
}

/* --- objects --- */

struct object {
	struct node *root;
	const char *kind, *name, *ns, *file;
	bool schema_ok; /* the rules below trust the types only then */
};

static struct object *objs;
static size_t n_objs;
static char **given_files; /* argv: every file given, parsed or not */

static bool dns_label(const char *s)
{
	return strlen(s) <= 63 && matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", s);
}

static bool dns_subdomain(const char *s)
{
	return strlen(s) <= 253 && matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", s);
}

static void check_labels(const struct node *labels)
{
	if (!labels || labels->type != N_MAP)
		return;
	for (size_t i = 0; i + 1 < labels->n; i += 2) {
		const struct node *k = labels->kids[i], *v = labels->kids[i + 1];
		const char *slash = strchr(k->value, '/'), *name = slash ? slash + 1 : k->value;

		if (slash) {
			char prefix[256];

			snprintf(prefix, sizeof(prefix), "%.*s", (int)(slash - k->value), k->value);
			if (!dns_subdomain(prefix))
				error_at(k, "label key \"%s\": prefix is not a DNS subdomain", k->value);
		}
		if (strlen(name) > 63 || !matches("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", name))
			error_at(k, "label key \"%s\" is not a valid label name", k->value);
		if (v->type == N_SCALAR && *v->value &&
		    (strlen(v->value) > 63 || !matches("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", v->value)))
			error_at(v, "label value \"%s\" is not valid", v->value);
	}
}

static const struct object *find_object(const char *kind, const char *name, const char *ns)
{
	for (size_t i = 0; i < n_objs; i++)
		if (strcmp(objs[i].kind, kind) == 0 && objs[i].name && strcmp(objs[i].name, name) == 0 &&
		    (!ns || !objs[i].ns || strcmp(objs[i].ns, ns) == 0))
			return &objs[i];
	return NULL;
}

/* Does the DaemonSet's pod template mount a ConfigMap volume at the policy dir? */
static bool configmap_is_policies(const char *cm_name)
{
	for (size_t i = 0; i < n_objs; i++) {
		const struct node *spec, *vols, *containers;

		if (strcmp(objs[i].kind, "DaemonSet") != 0 || !objs[i].schema_ok)
			continue;
		spec = get(get(get(objs[i].root, "spec"), "template"), "spec");
		vols = get(spec, "volumes");
		containers = get(spec, "containers");
		for (size_t v = 0; vols && vols->type == N_SEQ && v < vols->n; v++) {
			const char *cm = get_str(get(vols->kids[v], "configMap"), "name");
			const char *vname = get_str(vols->kids[v], "name");

			if (!cm || !vname || strcmp(cm, cm_name) != 0)
				continue;
			for (size_t c = 0; containers && containers->type == N_SEQ && c < containers->n; c++) {
				const struct node *mounts = get(containers->kids[c], "volumeMounts");

				for (size_t m = 0; mounts && mounts->type == N_SEQ && m < mounts->n; m++) {
					const char *mn = get_str(mounts->kids[m], "name");
					const char *mp = get_str(mounts->kids[m], "mountPath");

					if (mn && mp && strcmp(mn, vname) == 0 && strcmp(mp, POLICY_DIR) == 0)
						return true;
				}
			}
		}
	}
	return false;
}

static void check_configmap(const struct object *o, const char *extract_dir)
{
	const struct node *data = get(o->root, "data");
	bool policies = configmap_is_policies(o->name);

	if (policies && get_true(o->root, "immutable"))
		error_at(get(o->root, "immutable"),
			 "ConfigMap %s holds the policies: an immutable ConfigMap is never updated in running "
			 "pods, so policy changes would need a restart",
			 o->name);
	if (!data || data->type != N_MAP)
		return;
	for (size_t i = 0; i + 1 < data->n; i += 2) {
		const struct node *k = data->kids[i], *v = data->kids[i + 1];
		const char *key = k->value;
		size_t l = strlen(key);

		if (l > 253 || !matches("^[-._a-zA-Z0-9]+$", key))
			error_at(k, "ConfigMap key \"%s\" is not valid (letters, digits, \"-\", \"_\", \".\")", key);
		if (!policies)
			continue;
		if (key[0] == '.' || l <= 5 || strcmp(key + l - 5, ".yaml") != 0) {
			error_at(k,
				 "ConfigMap %s is mounted at " POLICY_DIR ": key \"%s\" would be ignored by "
				 "cgtier-policyd, which reads only *.yaml files not starting with \".\"",
				 o->name, key);
			continue;
		}
		if (extract_dir && v->type == N_SCALAR) {
			char path[PATH_MAX];
			FILE *f;

			snprintf(path, sizeof(path), "%s/%s", extract_dir, key);
			f = fopen(path, "we");
			if (!f || fputs(v->value, f) < 0 || fclose(f) != 0) {
				fprintf(stderr, "cgtier-kcheck: %s: %s\n", path, strerror(errno));
				exit(2);
			}
		}
	}
}

static bool selector_matches(const struct node *sel, const struct node *labels)
{
	const struct node *ml = get(sel, "matchLabels"), *me = get(sel, "matchExpressions");
	bool ok = true;

	for (size_t i = 0; ml && ml->type == N_MAP && i + 1 < ml->n; i += 2) {
		const char *want = ml->kids[i + 1]->value, *have = get_str(labels, ml->kids[i]->value);

		if (!have || !want || strcmp(have, want) != 0) {
			error_at(ml->kids[i], "selector matchLabels %s=%s does not match the pod template's labels",
				 ml->kids[i]->value, want ? want : "");
			ok = false;
		}
	}
	for (size_t i = 0; me && me->type == N_SEQ && i < me->n; i++) {
		const char *key = get_str(me->kids[i], "key"), *op = get_str(me->kids[i], "operator");
		const char *have = key ? get_str(labels, key) : NULL;
		bool m;

		if (!key || !op)
			continue;
		if (strcmp(op, "Exists") == 0)
			m = have;
		else if (strcmp(op, "DoesNotExist") == 0)
			m = !have;
		else {
			bool in = have && seq_has(get(me->kids[i], "values"), have);

			m = strcmp(op, "In") == 0 ? in : !in;
		}
		if (!m) {
			error_at(me->kids[i], "selector expression on \"%s\" does not match the pod template's labels",
				 key);
			ok = false;
		}
	}
	return ok;
}

static bool is_daemon(const struct node *c)
{
	const struct node *cmd = get(c, "command");
	const char *c0 = cmd && cmd->type == N_SEQ && cmd->n > 0 ? cmd->kids[0]->value : NULL;
	const char *base = c0 ? strrchr(c0, '/') : NULL;

	return c0 && strcmp(base ? base + 1 : c0, DAEMON_COMMAND) == 0;
}

static const struct node *find_volume(const struct node *vols, const char *name)
{
	for (size_t v = 0; vols && vols->type == N_SEQ && v < vols->n; v++) {
		const char *n = get_str(vols->kids[v], "name");

		if (n && strcmp(n, name) == 0)
			return vols->kids[v];
	}
	return NULL;
}

static void check_container(const struct object *o, const struct node *c, const struct node *vols,
			    bool pod_seccomp, bool *used)
{
	const char *name = get_str(c, "name") ?: "?";
	const struct node *sc = get(c, "securityContext"), *caps = get(sc, "capabilities");
	const struct node *add = get(caps, "add"), *mounts = get(c, "volumeMounts");
	const struct node *res = get(c, "resources"), *env = get(c, "env");
	const char *seccomp = get_str(get(sc, "seccompProfile"), "type");
	bool daemon = is_daemon(c), cgroup_rw = false, policies = false;

	if (!sc) {
		error_at(c, "container %s: no securityContext: spell out its privileges", name);
		return;
	}
	if (get_true(sc, "privileged"))
		error_at(get(sc, "privileged"), "container %s: privileged: true is not needed (see daemonset.yaml)", name);
	if (!get_false(sc, "allowPrivilegeEscalation"))
		error_at(sc, "container %s: allowPrivilegeEscalation must be false", name);
	if (!get_true(sc, "readOnlyRootFilesystem"))
		error_at(sc, "container %s: readOnlyRootFilesystem must be true", name);
	if (!get(sc, "runAsUser"))
		error_at(sc, "container %s: runAsUser must be explicit (0 only where needed)", name);
	if (!seq_has(get(caps, "drop"), "ALL"))
		error_at(caps ? caps : sc, "container %s: capabilities.drop must be [\"ALL\"]", name);
	for (size_t i = 0; add && add->type == N_SEQ && i < add->n; i++) {
		const char *cap = add->kids[i]->value;

		if (strcmp(cap, "DAC_OVERRIDE") != 0 && strcmp(cap, "CAP_DAC_OVERRIDE") != 0)
			error_at(add->kids[i], "container %s: capability %s is not needed by cgtier", name, cap);
		else if (!daemon)
			error_at(add->kids[i], "container %s: only cgtier-policyd needs DAC_OVERRIDE", name);
	}
	if (seccomp ? strcmp(seccomp, "Unconfined") == 0 : !pod_seccomp)
		error_at(sc, "container %s: needs seccompProfile RuntimeDefault (pod or container)", name);
	if (!get(get(res, "requests"), "cpu") || !get(get(res, "requests"), "memory") ||
	    !get(get(res, "limits"), "memory"))
		error_at(res ? res : c, "container %s: needs resources.requests cpu and memory and limits.memory",
			 name);

	for (size_t i = 0; env && env->type == N_SEQ && i < env->n; i++)
		for (size_t j = 0; j < i; j++)
			if (get_str(env->kids[i], "name") && get_str(env->kids[j], "name") &&
			    strcmp(get_str(env->kids[i], "name"), get_str(env->kids[j], "name")) == 0)
				error_at(env->kids[i], "container %s: env %s set twice", name,
					 get_str(env->kids[i], "name"));

	for (size_t m = 0; mounts && mounts->type == N_SEQ && m < mounts->n; m++) {
		const struct node *mt = mounts->kids[m], *vol;
		const char *vn = get_str(mt, "name"), *mp = get_str(mt, "mountPath");

		if (!vn || !mp)
			continue;
		if (mp[0] != '/')
			error_at(get(mt, "mountPath"), "container %s: mountPath %s is not absolute", name, mp);
		for (size_t j = 0; j < m; j++)
			if (get_str(mounts->kids[j], "mountPath") &&
			    strcmp(get_str(mounts->kids[j], "mountPath"), mp) == 0)
				error_at(mt, "container %s: two volumes mounted at %s", name, mp);
		vol = find_volume(vols, vn);
		if (!vol) {
			error_at(get(mt, "name"), "container %s: volumeMount \"%s\" names no volume of the pod", name,
				 vn);
			continue;
		}
		for (size_t v = 0; v < vols->n; v++)
			if (vols->kids[v] == vol)
				used[v] = true;
		if (get(vol, "hostPath") && !get_true(mt, "readOnly") && strcmp(mp, CGROUP_ROOT) == 0 &&
		    strcmp(get_str(get(vol, "hostPath"), "path") ?: "", CGROUP_ROOT) == 0)
			cgroup_rw = true;
		if (get(vol, "hostPath") && strcmp(get_str(get(vol, "hostPath"), "path") ?: "", DAMON_SYSFS) == 0) {
			if (!daemon)
				error_at(mt, "container %s: only cgtier-policyd writes DAMON's sysfs", name);
			else if (strcmp(mp, DAMON_SYSFS) != 0)
				error_at(get(mt, "mountPath"),
					 "container %s: the damos backend looks for DAMON at " DAMON_SYSFS
					 ", not %s", name, mp);
			else if (get_true(mt, "readOnly"))
				error_at(get(mt, "readOnly"),
					 "container %s: the damos backend writes DAMON's sysfs: mount " DAMON_SYSFS
					 " read-write", name);
		}
		if (get(vol, "configMap") && strcmp(mp, POLICY_DIR) == 0) {
			policies = true;
			if (get(mt, "subPath"))
				error_at(get(mt, "subPath"),
					 "container %s: policies mounted with subPath are never updated when the "
					 "ConfigMap changes; mount the whole volume at " POLICY_DIR,
					 name);
			if (get(get(vol, "configMap"), "items"))
				error_at(get(get(vol, "configMap"), "items"),
					 "volume %s: items would hide ConfigMap keys from the daemon", vn);
		}
	}
	if (daemon && !cgroup_rw)
		error_at(c, "container %s: needs the host's " CGROUP_ROOT " mounted read-write at " CGROUP_ROOT, name);
	if (daemon && !policies)
		error_at(c, "container %s: needs the policy ConfigMap mounted at " POLICY_DIR, name);
	(void)o;
}

static void check_daemonset(const struct object *o)
{
	const struct node *spec = get(o->root, "spec"), *tmpl = get(spec, "template");
	const struct node *pod = get(tmpl, "spec"), *labels = get(get(tmpl, "metadata"), "labels");
	const struct node *sel = get(spec, "selector"), *vols = get(pod, "volumes");
	const struct node *lists[2] = { get(pod, "initContainers"), get(pod, "containers") };
	const struct node *tol = get(pod, "tolerations");
	const char *pc = get_str(pod, "priorityClassName"), *sa = get_str(pod, "serviceAccountName");
	const char *pod_seccomp = get_str(get(get(pod, "securityContext"), "seccompProfile"), "type");
	bool *used, tolerates_all = false, daemon = false;
	size_t n_vols = vols && vols->type == N_SEQ ? vols->n : 0;

	if (!pod || !sel)
		return;
	check_labels(labels);
	if (!get(sel, "matchLabels") && !get(sel, "matchExpressions"))
		error_at(sel, "selector is empty");
	else
		selector_matches(sel, labels);

	for (const char *const *f = (const char *const[]){ "hostPID", "hostNetwork", "hostIPC", NULL }; *f; f++)
		if (get_true(pod, *f))
			error_at(get(pod, *f), "%s: true is not needed by cgtier-policyd", *f);
	if (get_false(pod, "hostUsers"))
		error_at(get(pod, "hostUsers"),
			 "hostUsers: false maps uid 0 to an unprivileged host uid that cannot write cgroupfs");
	if (!pc || (strcmp(pc, "system-node-critical") != 0 && strcmp(pc, "system-cluster-critical") != 0))
		error_at(pc ? get(pod, "priorityClassName") : pod, "priorityClassName should be system-node-critical");
	for (size_t i = 0; tol && tol->type == N_SEQ && i < tol->n; i++)
		if (!get(tol->kids[i], "key") && !get(tol->kids[i], "effect") &&
		    strcmp(get_str(tol->kids[i], "operator") ?: "", "Exists") == 0)
			tolerates_all = true;
	if (!tolerates_all)
		error_at(tol ? tol : pod, "tolerations: needs {operator: Exists} so that every node runs the daemon");
	if (sa && !find_object("ServiceAccount", sa, o->ns))
		error_at(get(pod, "serviceAccountName"), "serviceAccountName %s: no such ServiceAccount in these files", sa);
	if (!get_false(pod, "automountServiceAccountToken"))
		error_at(pod, "automountServiceAccountToken should be false: the daemon never calls the API server");
	if (pod_seccomp && strcmp(pod_seccomp, "Unconfined") == 0)
		error_at(get(pod, "securityContext"), "seccompProfile Unconfined is not needed");

	used = xmalloc((n_vols + 1) * sizeof(*used));
	for (size_t v = 0; v < n_vols; v++) {
		const struct node *vol = vols->kids[v], *hp = get(vol, "hostPath"), *cm = get(vol, "configMap");
		const char *vn = get_str(vol, "name");
		int sources = !!hp + !!cm + !!get(vol, "emptyDir");

		if (!vn)
			continue;
		if (!dns_label(vn))
			error_at(get(vol, "name"), "volume name \"%s\" is not a DNS label", vn);
		for (size_t j = 0; j < v; j++)
			if (get_str(vols->kids[j], "name") && strcmp(get_str(vols->kids[j], "name"), vn) == 0)
				error_at(get(vol, "name"), "volume %s declared twice", vn);
		if (sources != 1)
			error_at(vol, "volume %s needs exactly one source (hostPath, configMap or emptyDir)", vn);
		if (hp) {
			const char *p = get_str(hp, "path"), *ty = get_str(hp, "type");

			if (p && p[0] != '/')
				error_at(get(hp, "path"), "volume %s: hostPath %s is not absolute", vn, p);
			if (!ty || !*ty)
				error_at(hp, "volume %s: hostPath needs a type (Directory, DirectoryOrCreate, ...) so the "
					     "kubelet checks what it mounts", vn);
			else if (p && strcmp(p, DAMON_SYSFS) == 0 && strcmp(ty, "Directory") != 0)
				error_at(get(hp, "type"),
					 "volume %s: " DAMON_SYSFS " must be type Directory: sysfs cannot create it, "
					 "so a node without DAMON has to fail the mount visibly", vn);
			if (p && strcmp(p, DAMON_SYSFS) == 0 && !get(pod, "nodeSelector"))
				error_at(hp,
					 "volume %s: a pod that mounts " DAMON_SYSFS " never starts on a node without "
					 "DAMON: select DAMON nodes (nodeSelector, see components/damon)", vn);
			if (p && strcmp(p, "/") != 0 && strncmp(DAMON_SYSFS, p, strlen(p)) == 0 &&
			    DAMON_SYSFS[strlen(p)] == '/')
				error_at(get(hp, "path"),
					 "volume %s: hostPath %s exposes more than DAMON; mount " DAMON_SYSFS " itself",
					 vn, p);
		}
		if (cm && get_str(cm, "name") && !find_object("ConfigMap", get_str(cm, "name"), o->ns) &&
		    !get_true(cm, "optional"))
			error_at(get(cm, "name"), "volume %s: ConfigMap %s is not defined in these files", vn,
				 get_str(cm, "name"));
	}

	for (int l = 0; l < 2; l++)
		for (size_t i = 0; lists[l] && lists[l]->type == N_SEQ && i < lists[l]->n; i++) {
			const struct node *c = lists[l]->kids[i];
			const char *cn = get_str(c, "name");

			if (cn && !dns_label(cn))
				error_at(get(c, "name"), "container name \"%s\" is not a DNS label", cn);
			for (int l2 = 0; cn && l2 <= l; l2++)
				for (size_t j = 0; lists[l2] && j < (l2 == l ? i : lists[l2]->n); j++)
					if (get_str(lists[l2]->kids[j], "name") &&
					    strcmp(get_str(lists[l2]->kids[j], "name"), cn) == 0)
						error_at(get(c, "name"), "container name %s used twice", cn);
			if (l == 0 && !get(c, "restartPolicy") && get(c, "startupProbe"))
				error_at(c, "init container %s: probes need restartPolicy: Always (a sidecar)", cn);
			daemon = daemon || (l == 1 && is_daemon(c));
			check_container(o, c, vols, pod_seccomp && strcmp(pod_seccomp, "Unconfined") != 0, used);
		}
	if (!daemon)
		error_at(pod, "no container runs " DAEMON_COMMAND);
	for (size_t v = 0; v < n_vols; v++)
		if (!used[v] && get_str(vols->kids[v], "name"))
			error_at(vols->kids[v], "volume %s is mounted by no container", get_str(vols->kids[v], "name"));
	free(used);
}

static void check_kustomization(const struct object *o)
{
	const struct node *res = get(o->root, "resources"), *images = get(o->root, "images");
	const struct node *comps = get(o->root, "components");
	char dir[PATH_MAX];

	dir_of(o->file, dir, sizeof(dir));
	for (size_t i = 0; res && res->type == N_SEQ && i < res->n; i++) {
		char path[PATH_MAX + 256];
		bool given = false;

		snprintf(path, sizeof(path), "%s/%s", dir, res->kids[i]->value);
		if (access(path, R_OK) != 0)
			error_at(res->kids[i], "resource %s: %s", res->kids[i]->value, strerror(errno));
		for (char **g = given_files; *g; g++) {
			const char *b = strrchr(*g, '/');

			given = given || strcmp(b ? b + 1 : *g, res->kids[i]->value) == 0;
		}
		if (!given)
			error_at(res->kids[i], "resource %s was not given to this check", res->kids[i]->value);
	}
	/* Every other manifest given must be listed, or `apply -k` leaves it out. */
	for (size_t j = 0; j < n_objs; j++) {
		const char *b = strrchr(objs[j].file, '/');
		bool listed = &objs[j] == o || strcmp(objs[j].file, o->file) == 0 ||
			      strcmp(objs[j].kind, "Component") == 0; /* opt-in, see components below */

		for (size_t i = 0; !listed && res && res->type == N_SEQ && i < res->n; i++)
			listed = strcmp(b ? b + 1 : objs[j].file, res->kids[i]->value) == 0;
		if (!listed)
			error_at(objs[j].root, "%s %s is not listed in the resources of %s", objs[j].kind,
				 objs[j].name ? objs[j].name : "?", o->file);
	}
	/* A component listed must exist, and be given so that it is checked. */
	for (size_t i = 0; comps && comps->type == N_SEQ && i < comps->n; i++) {
		char path[PATH_MAX + 256];
		bool given = false;

		snprintf(path, sizeof(path), "%s/%s/kustomization.yaml", dir, comps->kids[i]->value);
		if (access(path, R_OK) != 0)
			error_at(comps->kids[i], "component %s: %s", comps->kids[i]->value, strerror(errno));
		/* the very file: a substring of the path would let another component stand in */
		for (size_t j = 0; j < n_objs; j++) {
			size_t lf = strlen(objs[j].file), lp = strlen(path);

			given = given || (strcmp(objs[j].kind, "Component") == 0 &&
					  (strcmp(objs[j].file, path) == 0 ||
					   (lf < lp && strcmp(path + lp - lf, objs[j].file) == 0 &&
					    path[lp - lf - 1] == '/')));
		}
		if (!given)
			error_at(comps->kids[i], "component %s was not given to this check", comps->kids[i]->value);
	}
	/* An image override that names no container image does nothing. */
	for (size_t i = 0; images && images->type == N_SEQ && i < images->n; i++) {
		const char *want = get_str(images->kids[i], "name");
		bool found = false;

		for (size_t j = 0; want && !found && j < n_objs; j++) {
			const struct node *pod = get(get(get(objs[j].root, "spec"), "template"), "spec");
			const struct node *lists[2] = { get(pod, "initContainers"), get(pod, "containers") };

			for (int l = 0; l < 2; l++)
				for (size_t c = 0; lists[l] && lists[l]->type == N_SEQ && c < lists[l]->n; c++)
					found = found || strcmp(get_str(lists[l]->kids[c], "image") ?: "", want) == 0;
		}
		if (want && !found)
			error_at(images->kids[i], "images: no container uses image \"%s\"", want);
	}
}

int main(int argc, char **argv)
{
	const char *extract_dir = NULL, *kust_ns = NULL;
	struct node **docs = NULL;
	size_t n_docs = 0;
	int first = 1;

	if (argc > 1 && strncmp(argv[1], "--extract-policies=", 19) == 0) {
		extract_dir = argv[1] + 19;
		first = 2;
	}
	if (argc <= first || argv[first][0] == '-') {
		fprintf(stderr, "usage: cgtier-kcheck [--extract-policies=DIR] FILE...\n");
		return 2;
	}

	given_files = argv + first;
	for (int i = first; i < argc; i++)
		parse_file(argv[i], &docs, &n_docs);

	for (size_t d = 0; d < n_docs; d++)
		if (strcmp(get_str(docs[d], "kind") ?: "", "Component") == 0)
			apply_component(docs[d], docs, n_docs);

	objs = xmalloc((n_docs + 1) * sizeof(*objs));
	for (size_t d = 0; d < n_docs; d++) {
		struct node *root = docs[d];
		const char *av = get_str(root, "apiVersion"), *kind = get_str(root, "kind");
		int before;
		size_t k;

		if (root->type != N_MAP) {
			error_at(root, "a manifest must be a mapping");
			continue;
		}
		if (!av || !kind) {
			error_at(root, "apiVersion and kind are required");
			continue;
		}
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(kinds[k].kind, kind) == 0)
				break;
		if (k == sizeof(kinds) / sizeof(kinds[0])) {
			error_at(get(root, "kind"), "kind %s is not known to this check (extend cgtier-kcheck.c)", kind);
			continue;
		}
		if (strcmp(kinds[k].api_version, av) != 0) {
			error_at(get(root, "apiVersion"), "%s is served as apiVersion %s, not %s", kind,
				 kinds[k].api_version, av);
			continue;
		}
		before = n_errors;
		check_type(root, &kinds[k].type, "");
		objs[n_objs] = (struct object){
			.root = root, .kind = kind, .file = root->file,
			.name = get_str(get(root, "metadata"), "name"),
			.ns = get_str(get(root, "metadata"), "namespace"),
			.schema_ok = n_errors == before,
		};
		if (strcmp(kind, "Kustomization") == 0)
			kust_ns = get_str(root, "namespace");
		else if (strcmp(kind, "Component") == 0)
			; /* no metadata: applied above */
		else if (objs[n_objs].name && !dns_subdomain(objs[n_objs].name))
			error_at(get(get(root, "metadata"), "name"), "name \"%s\" is not a DNS subdomain",
				 objs[n_objs].name);
		if (kinds[k].namespaced && !objs[n_objs].ns && !kust_ns)
			error_at(get(root, "metadata"), "%s %s: metadata.namespace missing", kind,
				 objs[n_objs].name ? objs[n_objs].name : "?");
		if (!kinds[k].namespaced && objs[n_objs].ns)
			error_at(get(get(root, "metadata"), "namespace"), "%s is not namespaced", kind);
		if (objs[n_objs].schema_ok)
			check_labels(get(get(root, "metadata"), "labels"));
		n_objs++;
	}

	for (size_t i = 0; i < n_objs; i++) {
		if (!objs[i].schema_ok)
			continue;
		if (strcmp(objs[i].kind, "Kustomization") == 0)
			check_kustomization(&objs[i]);
		else if (strcmp(objs[i].kind, "DaemonSet") == 0)
			check_daemonset(&objs[i]);
		else if (strcmp(objs[i].kind, "ConfigMap") == 0)
			check_configmap(&objs[i], extract_dir);
		/* Namespaced objects must land in a namespace these files create. */
		if (objs[i].ns && !find_object("Namespace", objs[i].ns, NULL))
			error_at(get(get(objs[i].root, "metadata"), "namespace"),
				 "namespace %s is not created by these files", objs[i].ns);
		if (objs[i].ns && kust_ns && strcmp(objs[i].ns, kust_ns) != 0)
			error_at(get(get(objs[i].root, "metadata"), "namespace"),
				 "namespace %s differs from the kustomization's %s", objs[i].ns, kust_ns);
	}

	if (n_objs == 0 && n_errors == 0)
		error_at(NULL, "no manifests found");
	if (n_errors)
		fprintf(stderr, "cgtier-kcheck: %d problem%s in %zu objects\n", n_errors, n_errors == 1 ? "" : "s",
			n_objs);
	return n_errors ? 1 : 0;
}
