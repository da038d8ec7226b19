/*
 * load.c - the manifest tree: every *.yaml / *.yml below the root, several
 * documents per file, plus the project file azapply.yaml.
 *
 * The loader knows only what it must to build the model: a manifest is a
 * mapping, `kind` and `metadata.name` make its address, and `spec.specFile`
 * pulls a JSON file into `spec`. Everything else about the envelope (which
 * keys are required, their types) is the JSON Schema's job, checked later
 * with the positions recorded here.
 *
 * specFile exists because Synapse pipelines and notebooks are authored in
 * Synapse Studio and exported as JSON; keeping them as files lets users
 * diff them against the Studio's export. The JSON goes through the same
 * YAML parser (JSON is YAML 1.2), so every merged node keeps its position
 * in the JSON file.
 *
 * Positions use the display path "<root>/<relative path>", so a message
 * reads the way the user named the tree; az_manifest.file is the relative
 * tail of the same string.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "manifest_int.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROJECT_FILE "azapply.yaml"

/* Arrays in the set have no capacity field: they grow at powers of two. */
static void *grow_pow2(void *p, size_t len, size_t size)
{
	if (len && (len & (len - 1)))
		return p;
	return az_xrealloc(p, (len ? len * 2 : 4) * size);
}

/* "<root>/<rel>", the way the user named the tree. */
char *az_mf_display_path(const az_manifest_set *set, const char *rel)
{
	return set->root[0] ? az_xasprintf("%s/%s", set->root, rel) : az_xstrdup(rel);
}

/* Records a file the set has read; returns its display path. */
const char *az_mf_add_file(az_manifest_set *set, const char *rel)
{
	set->files = grow_pow2(set->files, set->files_len, sizeof(*set->files));
	char *shown = az_mf_display_path(set, rel);
	set->files[set->files_len++] = shown;
	return shown;
}

static const char *rel_of(const az_manifest_set *set, const char *shown)
{
	return set->root[0] ? shown + strlen(set->root) + 1 : shown;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

void az_mf_refresh_identity(az_manifest *m)
{
	json_t *kind = json_object_get(m->body, "kind");
	json_t *name = json_object_get(json_object_get(m->body, "metadata"), "name");
	free(m->address);
	m->address = NULL;
	m->kind = json_is_string(kind) ? json_string_value(kind) : NULL;
	m->name = json_is_string(name) ? json_string_value(name) : NULL;
	if (m->kind && m->name)
		m->address = m->instance ? az_xasprintf("%s/%s/%s", m->instance, m->kind, m->name)
		                         : az_xasprintf("%s/%s", m->kind, m->name);
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "a mapping";
	case JSON_ARRAY: return "a sequence";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

/* Joins the manifest's directory and `ref`, folding "." and "..". NULL when
 * the result would leave the root. */
char *az_mf_join_inside(const char *manifest_rel, const char *ref)
{
	az_buf out = AZ_BUF_INIT;
	const char *slash = strrchr(manifest_rel, '/');
	if (slash)
		az_buf_add(&out, manifest_rel, (size_t)(slash - manifest_rel));
	const char *p = ref;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && !memcmp(p, "..", 2)) {
			if (!out.len) {
				az_buf_free(&out);
				return NULL;
			}
			char *last = strrchr(out.data, '/');
			az_buf_truncate(&out, last ? (size_t)(last - out.data) : 0);
		} else if (n && !(n == 1 && *p == '.')) {
			if (out.len)
				az_buf_putc(&out, '/');
			az_buf_add(&out, p, n);
		}
		p += n + (e != NULL);
	}
	return az_buf_detach(&out);
}

/* The first error of `inner`. */
static const az_diag *first_error_of(const az_diags *inner)
{
	for (size_t i = 0; i < inner->len; i++)
		if (inner->items[i].severity == AZ_SEV_ERROR)
			return &inner->items[i];
	return NULL;
}

/* The first error of `inner` as "file:line:col: summary", for a detail. */
static char *first_error(const az_diags *inner)
{
	const az_diag *x = first_error_of(inner);
	if (!x)
		return az_xstrdup("unknown error");
	if (x->file)
		return az_xasprintf("%s:%d:%d: %s", x->file, x->line, x->col, x->summary);
	return az_xstrdup(x->summary);
}

/* Reads and parses the JSON a specFile names; one object or an error at the
 * specFile value. */
static int read_spec_file(az_manifest_set *set, const az_file_source *src, const char *path,
                          const az_load_limits *limits, const az_pos *at, json_t **json_out,
                          az_srcmap **map_out, az_diags *d)
{
	az_diags inner = AZ_DIAGS_INIT;
	char *data = NULL;
	size_t len = 0, n = 0;
	json_t **docs = NULL;
	az_srcmap **maps = NULL;
	char qp[AZ_QUOTE_SIZE];
	az_quote(qp, path);
	int error = src->read(src->ctx, path, limits->max_file_bytes, &data, &len, &inner);
	if (error) {
		char *why = first_error(&inner);
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, at, NULL,
		                          "cannot read specFile '%s': %s", qp, why);
		const az_diag *cause = first_error_of(&inner);
		if (cause && cause->detail)
			az_diag_set_detail(dg, "%s", cause->detail);
		free(why);
		error = AZ_EINVALID;
		goto done;
	}
	const char *shown = az_mf_add_file(set, path);
	error = az_yaml_parse(shown, data, len, limits, &docs, &maps, &n, &inner);
	if (error) {
		char *why = first_error(&inner);
		az_diag *dg =
		    az_diag_add(d, AZ_SEV_ERROR, at, NULL, "specFile '%s' is not valid JSON", qp);
		az_diag_set_detail(dg, "%s", why);
		free(why);
		goto done;
	}
	if (n != 1 || !json_is_object(docs[0])) {
		az_diag_add(d, AZ_SEV_ERROR, at, NULL, "specFile '%s' must hold one JSON object",
		            qp);
		error = AZ_EINVALID;
		goto done;
	}
	*json_out = json_incref(docs[0]);
	*map_out = maps[0];
	maps[0] = NULL;
done:
	for (size_t i = 0; i < n; i++) {
		json_decref(docs[i]);
		az_srcmap_free(maps[i]);
	}
	free(docs);
	free(maps);
	free(data);
	az_diags_clear(&inner);
	return error;
}

static int merge_spec_file(az_manifest_set *set, const az_file_source *src, az_manifest *m,
                           const az_load_limits *limits, az_diags *d)
{
	json_t *spec = json_object_get(m->body, "spec");
	json_t *ref = json_object_get(spec, "specFile");
	json_t *json = NULL;
	az_srcmap *jmap = NULL;
	char *path = NULL;
	int error = 0;
	if (!ref)
		return 0;
	az_pos at = *az_srcmap_get(m->map, "/spec/specFile");
	const char *value = json_string_value(ref);
	char qv[AZ_QUOTE_SIZE];
	if (!value || !*value) {
		az_diag_add(d, AZ_SEV_ERROR, &at, m->address, "%s",
		            "specFile must be the relative path of a .json file");
		return AZ_EINVALID;
	}
	if (value[0] == '/' || !(path = az_mf_join_inside(m->file, value))) {
		az_diag *dg =
		    az_diag_add(d, AZ_SEV_ERROR, &at, m->address,
		                "specFile '%s' is outside the manifest tree", az_quote(qv, value));
		az_diag_set_detail(dg, "give a path relative to this file that stays below %s",
		                   set->root[0] ? set->root : "the root");
		return AZ_EINVALID;
	}
	if (!has_suffix(path, ".json")) {
		az_diag_add(d, AZ_SEV_ERROR, &at, m->address,
		            "specFile '%s' must name a .json file", az_quote(qv, value));
		error = AZ_EINVALID;
		goto done;
	}
	error = read_spec_file(set, src, path, limits, &at, &json, &jmap, d);
	if (error)
		goto done;

	json_object_del(spec, "specFile");
	const char *key;
	json_t *v;
	az_buf ptr = AZ_BUF_INIT;
	json_object_foreach(json, key, v)
	{
		if (!json_object_get(spec, key))
			continue;
		az_buf_truncate(&ptr, 0);
		az_mf_ptr_push(&ptr, key, strlen(key));
		az_pos jpos = az_mf_key_pos(jmap, ptr.data);
		az_buf_truncate(&ptr, 0);
		az_buf_puts(&ptr, "/spec");
		az_mf_ptr_push(&ptr, key, strlen(key));
		az_pos mpos = az_mf_key_pos(m->map, ptr.data);
		char qk[AZ_QUOTE_SIZE];
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, &jpos, m->address,
		                          "'%s' is set both in specFile and in spec at %s:%d:%d",
		                          az_quote(qk, key), mpos.file, mpos.line, mpos.col);
		az_diag_set_detail(dg, "keep one of them");
		error = AZ_EINVALID;
	}
	az_buf_free(&ptr);
	if (error)
		goto done;
	json_object_foreach(json, key, v) json_object_set(spec, key, v);
	/* The JSON root's own entry would move "/spec" into the JSON file. */
	const az_mf_loc *sl = az_mf_map_find(m->map, "/spec", 5);
	az_mf_loc spec_loc = sl ? *sl : (az_mf_loc){.pos = *az_srcmap_get(m->map, "/spec")};
	az_mf_map_copy(m->map, "/spec", jmap, "");
	az_mf_map_put(m->map, "/spec", 5, &spec_loc);
done:
	json_decref(json);
	az_srcmap_free(jmap);
	free(path);
	return error;
}

/* Reads `rel` whole; on success records it in the set (*shown). */
static int read_file(az_manifest_set *set, const az_file_source *src, const char *rel,
                     const az_load_limits *limits, char **data, size_t *len, const char **shown,
                     az_diags *d)
{
	size_t first = d->len;
	*data = NULL;
	*len = 0;
	int error = src->read(src->ctx, rel, limits->max_file_bytes, data, len, d);
	if (error) {
		/* The source names the file as it knows it; the position shows
		 * it as the user named the tree. */
		char *display = az_mf_display_path(set, rel);
		for (size_t i = first; i < d->len; i++)
			if (!d->items[i].file)
				d->items[i].file = az_xstrdup(display);
		free(display);
		return error;
	}
	*shown = az_mf_add_file(set, rel);
	return 0;
}

int az_mf_read_parse(az_manifest_set *set, const az_file_source *src, const char *rel,
                     const az_load_limits *limits, az_mf_parsed *out, az_diags *d)
{
	char *data;
	size_t len;
	memset(out, 0, sizeof(*out));
	int error = read_file(set, src, rel, limits, &data, &len, &out->shown, d);
	if (error)
		return error;
	error = az_yaml_parse(out->shown, data, len, limits, &out->docs, &out->maps, &out->n, d);
	free(data);
	return error;
}

az_manifest *az_mf_add_manifest(az_manifest_set *set)
{
	set->items = grow_pow2(set->items, set->len, sizeof(*set->items));
	az_manifest *m = &set->items[set->len++];
	memset(m, 0, sizeof(*m));
	return m;
}

/* Adds the documents of a parsed file to the set, in order. */
static int add_documents(az_manifest_set *set, const az_file_source *src, az_mf_parsed f,
                         const az_load_limits *limits, az_diags *d)
{
	int error = 0;
	json_t **docs = f.docs;
	az_srcmap **maps = f.maps;
	for (size_t i = 0; i < f.n; i++) {
		if (json_is_null(docs[i])) {
			json_decref(docs[i]);
			az_srcmap_free(maps[i]);
			continue;
		}
		const az_pos *pos = az_srcmap_get(maps[i], "");
		if (!json_is_object(docs[i])) {
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, pos, NULL,
			                          "a manifest must be a mapping, not %s",
			                          json_type_name(docs[i]));
			az_diag_set_detail(dg, "start the document with apiVersion:, kind:, "
			                       "metadata: and spec:");
			json_decref(docs[i]);
			az_srcmap_free(maps[i]);
			error = AZ_EINVALID;
			continue;
		}
		az_manifest *m = az_mf_add_manifest(set);
		m->file = rel_of(set, f.shown);
		m->doc = (int)i;
		m->pos = *pos;
		m->body = docs[i];
		m->map = maps[i];
		az_mf_refresh_identity(m);
		if (merge_spec_file(set, src, m, limits, d))
			error = AZ_EINVALID;
	}
	free(docs);
	free(maps);
	return error;
}

int az_mf_load_manifest_file(az_manifest_set *set, const az_file_source *src, const char *rel,
                              const az_load_limits *limits, az_diags *d)
{
	az_mf_parsed f;
	int error = az_mf_read_parse(set, src, rel, limits, &f, d);
	return error ? error : add_documents(set, src, f, limits, d);
}

/* ---------------------------------------------------------------------
 * Many files, parsed side by side. YAML is a fifth of a 10,001-resource
 * plan's CPU, all of it before the first request, and the files do not
 * depend on each other. They are read in order, parsed by as many threads
 * as there are processors (up to PARSE_THREADS, the calling one among
 * them), each file into its own documents and diagnostics, then added in
 * order: the set, its positions and its messages are what one thread
 * makes. The parse touches nothing shared but the JSON pool, which serves
 * every thread (providers/api/json_pool.c).
 */
#define PARSE_THREADS 4

typedef struct file_job {
	const char *rel;
	char *data;
	size_t len;
	int error;      /* reading or parsing it */
	az_diags diags; /* its own, moved into the caller's in order */
	az_mf_parsed parsed;
} file_job;

typedef struct parse_queue {
	file_job *jobs;
	size_t n;
	atomic_size_t next;
	const az_load_limits *limits;
} parse_queue;

static void *parse_files(void *arg)
{
	parse_queue *q = arg;
	for (;;) {
		size_t i = atomic_fetch_add_explicit(&q->next, 1, memory_order_relaxed);
		if (i >= q->n)
			return NULL;
		file_job *j = &q->jobs[i];
		if (j->error)
			continue;
		az_mf_parsed *f = &j->parsed;
		j->error = az_yaml_parse(f->shown, j->data, j->len, q->limits, &f->docs, &f->maps,
		                         &f->n, &j->diags);
		free(j->data);
		j->data = NULL;
	}
}

/* The processors this process may run on (a container's cpuset, a
 * taskset), not all the machine has. */
static size_t parse_threads(void)
{
	cpu_set_t set;
	long cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
	                                                          : sysconf(_SC_NPROCESSORS_ONLN);
	return cpus < 1 ? 1 : cpus > PARSE_THREADS ? PARSE_THREADS : (size_t)cpus;
}

/* Parses jobs[0..n) on up to `threads` threads, the caller's among them. */
static void parse_batch(file_job *jobs, size_t n, size_t threads, const az_load_limits *limits)
{
	parse_queue q = {.jobs = jobs, .n = n, .limits = limits};
	atomic_init(&q.next, 0);
	pthread_t workers[PARSE_THREADS];
	size_t started = 0;
	while (started + 1 < threads && started + 1 < n &&
	       pthread_create(&workers[started], NULL, parse_files, &q) == 0)
		started++;
	parse_files(&q);
	for (size_t t = 0; t < started; t++)
		pthread_join(workers[t], NULL);
}

static int load_manifest_files(az_manifest_set *set, const az_file_source *src, char **rels,
                               size_t n, const az_load_limits *limits, az_diags *d)
{
	int error = 0;
	/* Read a batch at a time: a tree of many files at the size limit is
	 * never in memory whole, only about four such files' worth. */
	size_t batch_bytes = limits->max_file_bytes * 4;
	file_job *jobs = az_xcalloc(n, sizeof(*jobs));
	for (size_t from = 0; from < n;) {
		size_t to = from, bytes = 0;
		while (to < n && (to == from || bytes < batch_bytes)) {
			file_job *j = &jobs[to];
			j->rel = rels[to++];
			j->error = read_file(set, src, j->rel, limits, &j->data, &j->len,
			                     &j->parsed.shown, &j->diags);
			bytes += j->len;
		}
		bool parallel = limits->parallel_parse_bytes && bytes >= limits->parallel_parse_bytes;
		parse_batch(jobs + from, to - from, parallel ? parse_threads() : 1, limits);
		for (; from < to; from++) {
			file_job *j = &jobs[from];
			az_diags_move(d, &j->diags);
			if (j->error || add_documents(set, src, j->parsed, limits, d))
				error = AZ_EINVALID;
		}
	}
	free(jobs);
	return error;
}

static const char *string_at(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static int load_project(az_manifest_set *set, const az_file_source *src,
                        const az_load_limits *limits, az_diags *d)
{
	az_project *p = &set->project;
	az_mf_parsed f;
	size_t kept = 0;
	int error = az_mf_read_parse(set, src, PROJECT_FILE, limits, &f, d);
	if (error)
		return error;
	const char *shown = f.shown;
	json_t **docs = f.docs;
	az_srcmap **maps = f.maps;
	for (size_t i = 0; i < f.n; i++) {
		const az_pos *pos = az_srcmap_get(maps[i], "");
		if (json_is_null(docs[i])) {
			/* an empty document: nothing to use */
		} else if (kept++) {
			az_diag_add(d, AZ_SEV_ERROR, pos, NULL, "%s",
			            PROJECT_FILE " must hold a single document");
			error = AZ_EINVALID;
		} else if (!json_is_object(docs[i])) {
			az_diag_add(d, AZ_SEV_ERROR, pos, NULL,
			            PROJECT_FILE " must be a mapping, not %s",
			            json_type_name(docs[i]));
			error = AZ_EINVALID;
		} else {
			p->body = json_incref(docs[i]);
			p->map = maps[i];
			maps[i] = NULL;
		}
		json_decref(docs[i]);
		az_srcmap_free(maps[i]);
	}
	free(docs);
	free(maps);
	p->present = true;
	p->file = shown;
	if (!p->body) {
		p->body = json_object();
		p->map = az_srcmap_new();
		az_pos top = {shown, 1, 1};
		az_srcmap_set(p->map, "", top);
	}
	p->stack = string_at(p->body, "stack");
	p->subscription = string_at(p->body, "subscription");
	p->tenant = string_at(p->body, "tenant");
	p->cloud = string_at(p->body, "cloud");
	p->location = string_at(p->body, "location");
	json_t *vars = json_object_get(p->body, "variables");
	json_t *envs = json_object_get(p->body, "environments");
	p->variables = json_is_object(vars) ? vars : NULL;
	p->environments = json_is_object(envs) ? envs : NULL;
	return error;
}

bool az_mf_is_manifest_path(const char *rel)
{
	return strcmp(rel, PROJECT_FILE) && (has_suffix(rel, ".yaml") || has_suffix(rel, ".yml"));
}

/* A folder with no azapply.yaml of its own whose subfolders hold one is
 * not a stack but the folder above one (a repository root with the stack
 * in infra/): loading it would read each azapply.yaml there as a manifest
 * and bury the mistake under an error per key. Says which folders hold a
 * stack instead; true when it did. */
static bool report_wrong_folder(const az_manifest_set *set, char **paths, size_t npaths,
                                az_diags *d)
{
	static const char SUFFIX[] = "/" PROJECT_FILE;
	az_buf found = AZ_BUF_INIT;
	size_t n = 0;
	for (size_t i = 0; i < npaths; i++) {
		size_t len = strlen(paths[i]);
		if (len <= sizeof(SUFFIX) - 1 || strcmp(paths[i] + len - (sizeof(SUFFIX) - 1), SUFFIX))
			continue;
		if (n < 5)
			az_buf_printf(&found, "%s%.*s/", n ? " or " : "",
			              (int)(len - (sizeof(SUFFIX) - 1)), paths[i]);
		n++;
	}
	if (n) {
		const char *here = set->root[0] ? set->root : ".";
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		                          "no stack here: %s has no " PROJECT_FILE, here);
		az_diag_set_detail(dg, "did you mean %s%s (" PROJECT_FILE " found)?", found.data,
		                   n > 5 ? " or another" : "");
	}
	az_buf_free(&found);
	return n > 0;
}

/* What the set shows as its root: "" for the current directory. */
static char *display_root(const az_file_source *src)
{
	return az_xstrdup(src->display_root && strcmp(src->display_root, ".") ? src->display_root
	                                                                      : "");
}

int az_manifests_load_project(az_manifest_set **out, const az_file_source *src, az_diags *d)
{
	az_manifest_set *set = az_xcalloc(1, sizeof(*set));
	char **paths = NULL;
	size_t npaths = 0;
	bool project = false;
	set->root = display_root(src);
	set->pins = json_object();
	*out = set;
	int error = src->list(src->ctx, &paths, &npaths, d);
	for (size_t i = 0; i < npaths; i++) {
		project |= !strcmp(paths[i], PROJECT_FILE);
		free(paths[i]);
	}
	free(paths);
	if (!error && project)
		error = load_project(set, src, &AZ_LOAD_LIMITS_DEFAULT, d);
	return error;
}

int az_manifests_load(az_manifest_set **out, const az_file_source *src,
                      const az_load_limits *limits, az_diags *d)
{
	az_manifest_set *set = az_xcalloc(1, sizeof(*set));
	char **paths = NULL;
	size_t npaths = 0, nmanifests = 0;
	bool project = false;
	int error = 0;
	json_t *components = NULL;

	if (!limits)
		limits = &AZ_LOAD_LIMITS_DEFAULT;
	set->root = display_root(src);
	set->pins = json_object();
	*out = set;
	error = src->list(src->ctx, &paths, &npaths, d);
	if (error)
		return error;
	components = az_mf_component_folders(paths, npaths);
	for (size_t i = 0; i < npaths; i++) {
		project |= !strcmp(paths[i], PROJECT_FILE);
		nmanifests += az_mf_is_manifest_path(paths[i]) &&
		              !az_mf_is_component_file(components, paths[i]);
	}
	if (!project && report_wrong_folder(set, paths, npaths, d)) {
		error = AZ_EINVALID;
		goto done;
	}
	if (nmanifests > limits->max_files) {
		az_diag *dg =
		    az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
		                "%s holds %zu manifest files, more than the limit of %zu",
		                set->root[0] ? set->root : ".", nmanifests, limits->max_files);
		az_diag_set_detail(dg, "point azapply at the folder of one stack");
		error = AZ_EINVALID;
		goto done;
	}
	if (project && load_project(set, src, limits, d))
		error = AZ_EINVALID;
	/* A folder holding component.yaml is a component, instantiated by
	 * Component manifests (component.c), not a part of the stack. */
	char **manifests = az_xcalloc(npaths ? npaths : 1, sizeof(*manifests));
	size_t nmanifest_files = 0;
	for (size_t i = 0; i < npaths; i++)
		if (az_mf_is_manifest_path(paths[i]) && !az_mf_is_component_file(components, paths[i]))
			manifests[nmanifest_files++] = paths[i];
	if (load_manifest_files(set, src, manifests, nmanifest_files, limits, d))
		error = AZ_EINVALID;
	free(manifests);
	if (az_mf_studio_expand(set, src, paths, npaths, limits, &nmanifests, d))
		error = AZ_EINVALID;
	if (az_mf_components_load(set, src, paths, npaths, components, limits, &nmanifests, d))
		error = AZ_EINVALID;
done:
	json_decref(components);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	return error;
}

void az_mf_manifest_clear(az_manifest *m)
{
	json_decref(m->body);
	az_srcmap_free(m->map);
	free(m->address);
	free(m->each_key);
	free(m->instance);
	json_decref(m->sensitive);
	free(m->studio);
	json_decref(m->parameters);
}

void az_manifest_set_free(az_manifest_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->len; i++)
		az_mf_manifest_clear(&set->items[i]);
	free(set->items);
	json_decref(set->project.body);
	az_srcmap_free(set->project.map);
	for (size_t i = 0; i < set->files_len; i++)
		free(set->files[i]);
	free(set->files);
	free(set->root);
	json_decref(set->outputs);
	json_decref(set->pins);
	az_mf_components_free(set->components);
	free(set);
}
