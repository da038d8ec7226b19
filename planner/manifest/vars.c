/*
 * vars.c - variables, process environment and per-environment overrides.
 *
 * Users complain that a missing environment override silently deploys dev
 * settings to prod, so nothing here has a silent default: a ${var.X} takes
 * environments.<env>.variables.X, else the default azapply.yaml gives in
 * variables.X, and is an error at the place of use otherwise (a
 * variable's value may use other variables: vardefs.c). ${env.X} reads
 * the process environment (how CI hands over secrets); the pointers of
 * strings that received one are recorded in az_manifest.sensitive so no
 * output ever shows them.
 *
 * After this pass every string is still a template holding only ${ref...}
 * expressions and literal text, written in template syntax: a literal "${"
 * stays (or becomes, when it came from a variable's value) "$${", so the
 * planner's reference pass reads the string exactly once. Concretely, when
 * text is written back, a '{' that follows a '$' gets one more '$' in front
 * of it ("${" -> "$${", "$${" -> "$$${"), which az_template_parse reads back
 * as the original text. Strings without ${var} or ${env} are left as they
 * are, so running the pass twice changes nothing.
 *
 * Overrides (environments.<env>.overrides: {"Kind/name": merge patch}) are
 * RFC 7386 merge patches on the manifest's spec, applied after variables so
 * they address resources by their final names; their own strings are then
 * resolved, with positions in azapply.yaml. A top-level key of a patch
 * with dots is a path (`properties.parameters.db.defaultValue: x`): that is
 * how a value deep inside a Synapse Studio artifact is set per environment
 * without copying its file. No spec has a top-level key with a dot.
 */
#include "manifest_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct vctx {
	const az_project *project;
	const char *env;
	az_mf_vars *vars;
	az_getenv_fn getenv_fn;
	void *ud;
	az_diags *d;
} vctx;

static const char *process_getenv(const char *name, void *ud)
{
	(void)ud;
	return getenv(name);
}

void az_mf_put_text(az_buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '{' && out->len && out->data[out->len - 1] == '$')
			az_buf_putc(out, '$');
		az_buf_putc(out, s[i]);
	}
}

const char *az_mf_next_expr(const char *s, size_t *i, const char *prefix, az_buf *out)
{
	size_t n = strlen(prefix);
	while (s[*i]) {
		if (s[*i] == '$' && s[*i + 1] == '$' && s[*i + 2] == '{') {
			az_buf_add(out, "$${", 3);
			*i += 3;
			continue;
		}
		const char *close = strncmp(s + *i, prefix, n) ? NULL : strchr(s + *i, '}');
		if (close)
			return close;
		az_buf_putc(out, s[(*i)++]);
	}
	return NULL;
}

json_t *az_mf_escaped_copy(json_t *v)
{
	if (json_is_string(v)) {
		if (!strchr(json_string_value(v), '{'))
			return json_incref(v);
		az_buf b = AZ_BUF_INIT;
		az_mf_put_text(&b, json_string_value(v), json_string_length(v));
		json_t *s = json_stringn(b.data, b.len);
		az_buf_free(&b);
		return s;
	}
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x) json_object_set_new(o, key, az_mf_escaped_copy(x));
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) json_array_append_new(a, az_mf_escaped_copy(x));
		return a;
	}
	return json_incref(v);
}

void az_mf_add_sensitive(az_manifest *m, const char *ptr, size_t len)
{
	size_t i;
	json_t *v;
	json_array_foreach(m->sensitive, i, v) if (json_string_length(v) == len &&
	                                           !memcmp(json_string_value(v), ptr, len)) return;
	if (!m->sensitive)
		m->sensitive = json_array();
	json_array_append_new(m->sensitive, json_stringn(ptr, len));
}

/* The resolved replacement for string `s` at `ptr`, or NULL to keep it. */
static json_t *resolve_string(vctx *c, az_manifest *m, json_t *str, const char *ptr, size_t ptr_len)
{
	const char *s = json_string_value(str);
	if (!az_string_has_expr(s))
		return NULL;
	az_mf_cursor cur;
	az_mf_string_cursor(&cur, m->map, ptr, ptr_len, s);
	az_template *t = NULL;
	json_t *result = NULL;
	az_buf out = AZ_BUF_INIT;
	bool sensitive = false, ok = true;

	if (az_mf_template_parse(&t, s, &cur.start, cur.exact, c->d))
		goto done;
	bool any = false;
	for (size_t i = 0; i < t->len; i++)
		any |= t->parts[i].type == AZ_PART_VAR || t->parts[i].type == AZ_PART_ENV;
	if (!any)
		goto done;
	if (t->len == 1 && t->parts[0].type == AZ_PART_VAR) {
		az_pos at = az_mf_cursor_pos(&cur, 0);
		json_t *v = az_mf_vars_get(c->vars, t->parts[0].text, &at);
		if (v)
			result = az_mf_escaped_copy(v);
		goto done;
	}
	for (size_t i = 0; i < t->len; i++) {
		const az_part *p = &t->parts[i];
		az_pos at = az_mf_cursor_pos(&cur, p->offset);
		switch (p->type) {
		case AZ_PART_LITERAL: az_mf_put_text(&out, p->text, strlen(p->text)); break;
		case AZ_PART_VAR: {
			json_t *v = az_mf_vars_get(c->vars, p->text, &at);
			ok = ok && v && az_mf_vars_put(c->vars, &out, p->text, v, &at, true);
			break;
		}
		case AZ_PART_ENV: {
			const char *v = c->getenv_fn(p->text, c->ud);
			sensitive = true;
			if (!v) {
				char qn[AZ_QUOTE_SIZE];
				az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, &at, NULL,
				                          "environment variable '%s' is not set",
				                          az_quote(qn, p->text));
				az_diag_set_detail(dg,
				                   "export %s before running azapply (values "
				                   "of ${env.X} are treated as secrets)",
				                   qn);
				ok = false;
			} else {
				az_mf_put_text(&out, v, strlen(v));
				az_secret_remember(v);
			}
			break;
		}
		case AZ_PART_REF:
		case AZ_PART_COMPONENT:
			/* "$" then "${ref" cannot be written: "$${" is the escape. */
			if (out.len && out.data[out.len - 1] == '$') {
				az_diag_add(c->d, AZ_SEV_ERROR, &at, NULL, "%s",
				            "a value ending in '$' cannot stand right before a "
				            "${ref...} expression");
				ok = false;
			}
			az_buf_printf(&out, "${%s}", p->text);
			break;
		}
	}
	if (!ok)
		goto done;
	result = json_stringn(out.data ? out.data : "", out.len);
	if (!result) {
		az_diag_add(c->d, AZ_SEV_ERROR, &cur.start, NULL, "%s",
		            "the value after substitution is not valid UTF-8 (check the "
		            "environment variables it uses)");
		goto done;
	}
	if (sensitive)
		az_mf_add_sensitive(m, ptr, ptr_len);
done:
	az_buf_free(&out);
	az_template_free(t);
	return result;
}

json_t *az_mf_walk_strings(json_t *v, az_buf *ptr, az_mf_string_fn fn, void *ud)
{
	size_t mark = ptr->len;
	if (json_is_string(v))
		return fn(ud, v, ptr->data ? ptr->data : "", ptr->len);
	if (json_is_object(v)) {
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			const char *key = json_object_iter_key(it);
			az_mf_ptr_push(ptr, key, strlen(key));
			json_t *r = az_mf_walk_strings(json_object_iter_value(it), ptr, fn, ud);
			if (r)
				json_object_iter_set_new(v, it, r);
			az_buf_truncate(ptr, mark);
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			az_mf_ptr_push_index(ptr, i);
			json_t *r = az_mf_walk_strings(json_array_get(v, i), ptr, fn, ud);
			if (r)
				json_array_set_new(v, i, r);
			az_buf_truncate(ptr, mark);
		}
	}
	return NULL;
}

typedef struct walk_ud {
	vctx *c;
	az_manifest *m;
} walk_ud;

static json_t *resolve_one(void *ud, json_t *s, const char *ptr, size_t len)
{
	walk_ud *w = ud;
	return resolve_string(w->c, w->m, s, ptr, len);
}

/* Resolves every string below `v` (whose pointer is in `ptr`); returns a
 * replacement for `v` itself when it is a string that changed. */
static json_t *walk(vctx *c, az_manifest *m, json_t *v, az_buf *ptr)
{
	walk_ud w = {c, m};
	return az_mf_walk_strings(v, ptr, resolve_one, &w);
}

void az_mf_walk_body(json_t *body, az_mf_string_fn fn, void *ud)
{
	az_buf ptr = AZ_BUF_INIT;
	for (void *it = json_object_iter(body); it; it = json_object_iter_next(body, it)) {
		const char *key = json_object_iter_key(it);
		/* kind and apiVersion select code, they are never templated. */
		if (!strcmp(key, "kind") || !strcmp(key, "apiVersion"))
			continue;
		az_buf_truncate(&ptr, 0);
		az_mf_ptr_push(&ptr, key, strlen(key));
		json_t *r = az_mf_walk_strings(json_object_iter_value(it), &ptr, fn, ud);
		if (r)
			json_object_iter_set_new(body, it, r);
	}
	az_buf_free(&ptr);
}

static void resolve_manifest(vctx *c, az_manifest *m)
{
	walk_ud w = {c, m};
	az_mf_walk_body(m->body, resolve_one, &w);
}

/* RFC 7386: returns the patched target (a new reference). */
static json_t *merge_patch(json_t *target, json_t *patch)
{
	if (!json_is_object(patch))
		return json_deep_copy(patch);
	json_t *res = json_is_object(target) ? json_incref(target) : json_object();
	const char *key;
	json_t *v;
	json_object_foreach(patch, key, v)
	{
		if (json_is_null(v))
			json_object_del(res, key);
		else
			json_object_set_new(res, key, merge_patch(json_object_get(res, key), v));
	}
	return res;
}

/* Resolves the strings of `target` that the patch `patch` wrote. */
static void resolve_patched(vctx *c, az_manifest *m, json_t *target, json_t *patch, az_buf *ptr)
{
	size_t mark = ptr->len;
	const char *key;
	json_t *pv;
	json_object_foreach(patch, key, pv)
	{
		json_t *tv = json_object_get(target, key);
		if (!tv)
			continue;
		az_mf_ptr_push(ptr, key, strlen(key));
		if (json_is_object(pv) && json_is_object(tv)) {
			resolve_patched(c, m, tv, pv, ptr);
		} else {
			json_t *r = walk(c, m, tv, ptr);
			if (r)
				json_object_set_new(target, key, r);
		}
		az_buf_truncate(ptr, mark);
	}
}

/* An override's keys may be dotted paths into the spec, the way a folder
 * artifact's value is named without repeating its nesting
 * (`properties.parameters.db.defaultValue: x`); a key without a dot is a
 * key. Returns the patch with those paths expanded into mappings (a new
 * reference, never sharing a node with the project), and fills `map` with
 * the positions of its nodes (relative to the patch) from the project's
 * map at `src`. NULL after reporting a path with an empty segment. */
static json_t *expand_paths(vctx *c, json_t *patch, const az_srcmap *pmap, const char *src,
                            az_srcmap *map)
{
	az_mf_map_copy(map, "", pmap, src);
	if (!json_is_object(patch))
		return json_deep_copy(patch);
	json_t *out = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(patch, key, v) if (!strchr(key, '.'))
	    json_object_set_new(out, key, json_deep_copy(v));
	az_buf from = AZ_BUF_INIT, to = AZ_BUF_INIT;
	bool ok = true;
	json_object_foreach(patch, key, v)
	{
		if (!strchr(key, '.'))
			continue;
		az_buf_truncate(&from, 0);
		az_buf_puts(&from, src);
		az_mf_ptr_push(&from, key, strlen(key));
		az_buf_truncate(&to, 0);
		json_t *at = out;
		const char *seg = key;
		for (;;) {
			const char *dot = strchr(seg, '.');
			size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
			if (!n) {
				az_pos kp = az_mf_key_pos(pmap, from.data);
				char qk[AZ_QUOTE_SIZE];
				az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, &kp, NULL,
				                          "override path '%s' has an empty segment",
				                          az_quote(qk, key));
				az_diag_set_detail(dg, "write the path as properties.parameters.db."
				                       "defaultValue: keys joined by single dots");
				ok = false;
				break;
			}
			char *name = az_xstrndup(seg, n);
			az_mf_ptr_push(&to, name, n);
			if (!dot) {
				json_object_set_new(at, name, json_deep_copy(v));
				free(name);
				break;
			}
			json_t *next = json_object_get(at, name);
			if (!json_is_object(next)) {
				next = json_object();
				json_object_set_new(at, name, next);
			}
			free(name);
			at = next;
			seg = dot + 1;
		}
		if (ok)
			az_mf_map_copy(map, to.data, pmap, from.data);
	}
	az_buf_free(&from);
	az_buf_free(&to);
	if (!ok) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static void apply_overrides(vctx *c, az_manifest_set *set, json_t *overrides)
{
	const az_project *p = &set->project;
	json_t *index = json_object();
	az_buf src = AZ_BUF_INIT, ptr = AZ_BUF_INIT;
	for (size_t i = 0; i < set->len; i++)
		if (set->items[i].address)
			json_object_set_new(index, set->items[i].address,
			                    json_integer((json_int_t)i));
	const char *addr;
	json_t *patch_as_written;
	json_object_foreach(overrides, addr, patch_as_written)
	{
		az_buf_truncate(&src, 0);
		az_buf_puts(&src, "/environments");
		az_mf_ptr_push(&src, c->env, strlen(c->env));
		az_buf_puts(&src, "/overrides");
		az_mf_ptr_push(&src, addr, strlen(addr));
		json_t *slot = json_object_get(index, addr);
		if (!slot) {
			az_pos at = az_mf_key_pos(p->map, src.data);
			char qa[AZ_QUOTE_SIZE], qe[AZ_QUOTE_SIZE];
			az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, &at, NULL,
			                          "override for '%s', which no manifest defines",
			                          az_quote(qa, addr));
			az_diag_set_detail(dg,
			                   "keys of environments.%s.overrides are addresses "
			                   "Kind/metadata.name of manifests in this stack",
			                   az_quote(qe, c->env));
			continue;
		}
		az_srcmap *pmap = az_srcmap_new();
		json_t *patch = expand_paths(c, patch_as_written, p->map, src.data, pmap);
		if (!patch) {
			az_srcmap_free(pmap);
			continue;
		}
		az_manifest *m = &set->items[json_integer_value(slot)];
		json_t *spec = json_object_get(m->body, "spec");
		json_object_set_new(m->body, "spec", merge_patch(spec, patch));
		/* Patched nodes point at the override; "/spec" keeps its place. */
		const az_mf_loc *sl = az_mf_map_find(m->map, "/spec", 5);
		az_mf_loc spec_loc = sl ? *sl : (az_mf_loc){.pos = *az_srcmap_get(m->map, "")};
		az_mf_map_copy(m->map, "/spec", pmap, "");
		az_mf_map_put(m->map, "/spec", 5, &spec_loc);
		az_srcmap_free(pmap);
		az_buf_truncate(&ptr, 0);
		az_buf_puts(&ptr, "/spec");
		json_t *patched = json_object_get(m->body, "spec");
		if (json_is_object(patch)) {
			resolve_patched(c, m, patched, patch, &ptr);
		} else {
			json_t *r = walk(c, m, patched, &ptr);
			if (r)
				json_object_set_new(m->body, "spec", r);
		}
		json_decref(patch);
	}
	az_buf_free(&src);
	az_buf_free(&ptr);
	json_decref(index);
}

/* azapply.yaml's outputs: NAME: EXPR or NAME: {value: EXPR, description:
 * TEXT}, with ${var}, ${env} and component outputs resolved, into
 * set->outputs; then every component instance's, as "instance.NAME". */
static void resolve_outputs(vctx *c, az_manifest_set *set)
{
	az_project *p = &set->project;
	json_decref(set->outputs);
	set->outputs = json_object();
	json_t *outputs = p->present ? json_object_get(p->body, "outputs") : NULL;
	az_buf ptr = AZ_BUF_INIT;
	const char *name;
	json_t *v;
	json_object_foreach(outputs, name, v)
	{
		json_t *value = az_mf_output_expression(v, name, &ptr);
		if (!json_is_string(value)) {
			char qn[AZ_QUOTE_SIZE];
			az_diag *dg = az_diag_add(c->d, AZ_SEV_ERROR, az_srcmap_get(p->map, ptr.data),
			                          NULL, "output '%s' has no expression",
			                          az_quote(qn, name));
			az_diag_set_detail(dg, "%s", "write outputs: {NAME: ${ref.Kind.name.path}} or "
			                             "{NAME: {value: ..., description: ...}}");
			continue;
		}
		az_manifest probe = {.map = p->map, .sensitive = json_array()};
		json_t *resolved = resolve_string(c, &probe, value, ptr.data, ptr.len);
		json_t *s = resolved ? resolved : json_incref(value);
		bool sensitive = json_array_size(probe.sensitive) > 0;
		json_t *r = az_mf_components_output_string(set, p->map, json_string_value(s), ptr.data,
		                                           &sensitive, c->d);
		if (r) {
			json_decref(s);
			s = r;
		}
		json_t *entry = json_pack("{s:o}", "value", s);
		const char *desc = json_string_value(json_object_get(v, "description"));
		if (json_is_object(v) && desc)
			json_object_set_new(entry, "description", json_string(desc));
		if (sensitive)
			json_object_set_new(entry, "sensitive", json_true());
		json_object_set_new(set->outputs, name, entry);
		json_decref(probe.sensitive);
	}
	az_buf_free(&ptr);
	az_mf_components_add_outputs(set, c->d);
}

/* The environment of azapply.yaml whose name `env` looks like a typo of,
 * or NULL. Borrowed from the project. */
static const char *closest_environment(const az_project *p, const char *env)
{
	size_t n = json_object_size(p->environments), i = 0;
	if (!n)
		return NULL;
	const char **names = az_xcalloc(n, sizeof(*names));
	const char *key;
	json_t *v;
	json_object_foreach(p->environments, key, v) names[i++] = key;
	const char *close = az_suggest(env, names, n);
	free(names);
	return close;
}

int az_manifests_resolve_vars(az_manifest_set *set, const char *env, az_getenv_fn getenv_fn,
                              void *getenv_ud, az_diags *d)
{
	const az_project *p = &set->project;
	vctx c = {.project = p,
	          .env = env,
	          .getenv_fn = getenv_fn ? getenv_fn : process_getenv,
	          .ud = getenv_ud,
	          .d = d};
	json_t *env_obj = NULL;
	size_t errors = az_diags_errors(d);

	if (env) {
		env_obj = p->environments ? json_object_get(p->environments, env) : NULL;
		if (!env_obj) {
			char *known = p->present ? az_mf_known_environments(p) : NULL;
			const az_pos *at =
			    p->present ? az_srcmap_get(p->map, "/environments") : NULL;
			char qe[AZ_QUOTE_SIZE];
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, at, NULL,
			                          "unknown environment '%s'", az_quote(qe, env));
			const char *close = p->present ? closest_environment(p, env) : NULL;
			if (close)
				az_diag_set_detail(dg, "did you mean '%s'? environments in azapply.yaml: %s",
				                   close, known);
			else if (known)
				az_diag_set_detail(dg, "environments in azapply.yaml: %s", known);
			else
				az_diag_set_detail(dg,
				                   "environments are declared in azapply.yaml "
				                   "at the root of the stack, which is missing");
			free(known);
			return AZ_EINVALID;
		}
	}
	c.vars = az_mf_vars_new(p, env, d);
	/* forEach's own ${var.X} first: the instances are made from it. */
	for (size_t i = 0; i < set->len; i++) {
		az_manifest *m = &set->items[i];
		json_t *meta = json_object_get(m->body, "metadata");
		json_t *fe = json_object_get(meta, "forEach");
		if (!fe)
			continue;
		size_t first = d->len;
		az_buf ptr = AZ_BUF_INIT;
		az_buf_puts(&ptr, "/metadata/forEach");
		json_t *r = walk(&c, m, fe, &ptr);
		if (r)
			json_object_set_new(meta, "forEach", r);
		az_buf_free(&ptr);
		az_diags_set_address(d, first, m->address);
	}
	az_mf_foreach_expand(set, d);
	for (size_t i = 0; i < set->len; i++) {
		size_t first = d->len;
		resolve_manifest(&c, &set->items[i]);
		az_mf_refresh_identity(&set->items[i]);
		az_diags_set_address(d, first, set->items[i].address);
	}
	/* Components once their call sites' inputs are known; overrides then
	 * address an instance's resources as "team-a/Kind/name". */
	az_mf_components_instantiate(set, d);
	json_t *overrides = json_object_get(env_obj, "overrides");
	if (json_is_object(overrides))
		apply_overrides(&c, set, overrides);
	az_mf_studio_check_overrides(set, env, env_obj, d);
	resolve_outputs(&c, set);
	az_mf_vars_free(c.vars);
	/* Every problem was said where it is. */
	return az_diags_errors(d) > errors ? AZ_EINVALID : 0;
}

const char *az_project_setting(const az_project *p, const char *env, const char *key)
{
	json_t *env_obj = env && p->environments ? json_object_get(p->environments, env) : NULL;
	const char *v = json_string_value(json_object_get(env_obj, key));
	return v ? v : json_string_value(json_object_get(p->body, key));
}
