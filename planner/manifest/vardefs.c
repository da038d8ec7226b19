/*
 * vardefs.c - variables as azapply.yaml defines them: their definitions,
 * the graph of which uses which, its cycles, and their values for the
 * selected environment.
 *
 * A variable's value may use other variables: `name: "synw-${var.env}"`,
 * with "$${" for a literal "${" as everywhere else. Variables used to be
 * taken as literal text, so `a: ${var.b}` with `b: ${var.a}`, or `s:
 * ${var.s}`, passed validate and plan and left a resource without its id.
 * Now every definition is parsed; the variables of the selected environment
 * form a graph, and each variable on a cycle is an error where it is
 * defined ("variable cycle: a -> b -> a"; a self-reference is a cycle of
 * one). Values are resolved when first used, dependencies first, so a
 * variable nobody uses needs no value, as before.
 *
 * ${env.X} is not allowed in a variable: a value from the process
 * environment is a secret, and outputs hide secrets by the manifest
 * pointer that read them (az_manifest.sensitive). A variable can flow into
 * names, ids and other variables where nothing would hide it; writing
 * ${env.X} in the manifest value that needs it keeps the secret tracked.
 * ${ref...} is not allowed either: a reference is resolved per resource by
 * the planner, after variables. Both are errors where they are written, in
 * every environment's definitions, used or not.
 *
 * Resolved values are plain text (no template syntax); vars.c escapes
 * them when it writes them into manifests.
 */
#include "manifest_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One place that gives a variable a value: variables.X, or
 * environments.E.variables.X. */
typedef struct vdef {
	size_t node;   /* the variable it defines */
	json_t *value; /* borrowed from the project body */
	char *ptr;     /* its JSON Pointer in azapply.yaml */
	size_t *uses;  /* nodes its ${var.Y} name, in order */
	size_t nuses, cap;
	bool bad; /* holds ${env}, ${ref} or a syntax error, reported */
} vdef;

typedef enum vstate { V_NEW, V_OPEN, V_DONE, V_FAILED } vstate;

/* A variable name, with its definition for the selected environment. */
typedef struct vnode {
	const char *name; /* borrowed key */
	vdef *def;        /* NULL when it has no value for the environment */
	json_t *value;    /* when V_DONE; owned */
	size_t weight;    /* of value: bytes of text plus one per node */
	vstate state;
	bool in_cycle; /* reported */
} vnode;

struct az_mf_vars {
	const az_project *project;
	const char *env;
	az_diags *d;
	json_t *index; /* name -> node */
	vnode *nodes;
	size_t len;
	vdef *defs;
	size_t ndefs;
	size_t *path, *next;  /* depth-first search stack, reused */
	bool reported_no_env; /* "select an environment" is said once, not per use */
	size_t used;          /* weight of every value built or handed out */
	bool reported_total;
};

/* A variable may repeat others ("${var.a}${var.a}", "[${var.a},
 * ${var.a}]"), so thirty short lines could double a value thirty times (to
 * 8 GB): like YAML aliases, what variables expand to is bounded, for one
 * variable (no larger than a file may be) and for all of them together,
 * each value built and each copy into a manifest. */
#define VAR_MAX_BYTES (16u << 20)
#define TOTAL_MAX_BYTES (256u << 20)
#define TOO_BIG SIZE_MAX

static size_t node_of(az_mf_vars *vs, const char *name)
{
	json_t *slot = json_object_get(vs->index, name);
	if (slot)
		return (size_t)json_integer_value(slot);
	if ((vs->len & (vs->len - 1)) == 0)
		vs->nodes =
		    az_xrealloc(vs->nodes, (vs->len ? vs->len * 2 : 4) * sizeof(*vs->nodes));
	vs->nodes[vs->len] = (vnode){.name = name};
	json_object_set_new(vs->index, name, json_integer((json_int_t)vs->len));
	return vs->len++;
}

static vnode *find_node(const az_mf_vars *vs, const char *name)
{
	json_t *slot = json_object_get(vs->index, name);
	return slot ? &vs->nodes[json_integer_value(slot)] : NULL;
}

/* The definitions in `vars` (an object, or NULL), below pointer `at`. */
static void add_defs(az_mf_vars *vs, json_t *vars, const char *at, size_t *cap)
{
	az_buf ptr = AZ_BUF_INIT;
	const char *key;
	json_t *v;
	json_object_foreach(vars, key, v)
	{
		size_t node = node_of(vs, key);
		if (vs->ndefs == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			vs->defs = az_xrealloc(vs->defs, *cap * sizeof(*vs->defs));
		}
		az_buf_truncate(&ptr, 0);
		az_buf_puts(&ptr, at);
		az_mf_ptr_push(&ptr, key, strlen(key));
		vs->defs[vs->ndefs++] =
		    (vdef){.node = node, .value = v, .ptr = az_xstrdup(ptr.data)};
	}
	az_buf_free(&ptr);
}

/* Parses the template of a definition's string; NULL after reporting. */
static az_template *parse_def_string(const az_mf_vars *vs, const char *s, const char *ptr,
                                     size_t len, az_mf_cursor *cur)
{
	az_template *t = NULL;
	az_mf_string_cursor(cur, vs->project->map, ptr, len, s);
	az_mf_template_parse(&t, s, &cur->start, cur->exact, vs->d);
	return t;
}

/* Records the ${var.Y} of one string of definition `def` and reports the
 * expressions a variable may not hold. */
static void scan_string(az_mf_vars *vs, vdef *def, const char *s, const az_buf *ptr)
{
	az_mf_cursor cur;
	az_template *t = parse_def_string(vs, s, ptr->data, ptr->len, &cur);
	if (!t) {
		def->bad = true;
		return;
	}
	for (size_t i = 0; i < t->len; i++) {
		const az_part *p = &t->parts[i];
		char q[AZ_QUOTE_SIZE];
		az_pos at = az_mf_cursor_pos(&cur, p->offset);
		az_diag *dg = NULL;
		if (p->type == AZ_PART_VAR) {
			json_t *slot = json_object_get(vs->index, p->text);
			if (!slot)
				continue; /* not declared: said where it is used */
			if (def->nuses == def->cap) {
				def->cap = def->cap ? def->cap * 2 : 4;
				def->uses = az_xrealloc(def->uses, def->cap * sizeof(*def->uses));
			}
			def->uses[def->nuses++] = (size_t)json_integer_value(slot);
		} else if (p->type == AZ_PART_ENV) {
			dg = az_diag_add(vs->d, AZ_SEV_ERROR, &at, NULL,
			                 "${env.%s} cannot be used in a variable",
			                 az_quote(q, p->text));
			az_diag_set_detail(
			    dg,
			    "write ${env.%s} in the manifest value that needs it: values "
			    "from ${env} are secrets, and azapply hides them where a "
			    "manifest reads them",
			    q);
		} else if (p->type == AZ_PART_REF || p->type == AZ_PART_COMPONENT) {
			dg =
			    az_diag_add(vs->d, AZ_SEV_ERROR, &at, NULL,
			                "${%s} cannot be used in a variable", az_quote(q, p->text));
			az_diag_set_detail(dg,
			                   "write the reference in the manifest that needs it: "
			                   "references are resolved per resource, after variables");
		}
		def->bad |= dg != NULL;
	}
	az_template_free(t);
}

static void scan_value(az_mf_vars *vs, vdef *def, json_t *v, az_buf *ptr)
{
	size_t mark = ptr->len;
	if (json_is_string(v)) {
		if (az_string_has_expr(json_string_value(v)))
			scan_string(vs, def, json_string_value(v), ptr);
	} else if (json_is_object(v)) {
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x)
		{
			az_mf_ptr_push(ptr, key, strlen(key));
			scan_value(vs, def, x, ptr);
			az_buf_truncate(ptr, mark);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			az_mf_ptr_push_index(ptr, i);
			scan_value(vs, def, x, ptr);
			az_buf_truncate(ptr, mark);
		}
	}
}

/* One cycle, from path[from] to the top of the search and back to
 * path[from], reported at the definition of each variable on it (starting
 * from that variable) that no other cycle has already named. A long cycle
 * shows its first ten names. */
static void report_cycle(az_mf_vars *vs, size_t from, size_t depth)
{
	size_t n = depth - from, shown = n < 10 ? n : 10;
	az_buf text = AZ_BUF_INIT;
	for (size_t k = 0; k < n; k++) {
		vnode *start = &vs->nodes[vs->path[from + k]];
		char q[AZ_QUOTE_SIZE];
		if (start->in_cycle)
			continue;
		start->in_cycle = true;
		az_buf_truncate(&text, 0);
		for (size_t j = 0; j < shown; j++)
			az_buf_printf(&text, "%s -> ",
			              az_quote(q, vs->nodes[vs->path[from + (k + j) % n]].name));
		if (shown < n)
			az_buf_puts(&text, "... -> ");
		az_buf_puts(&text, az_quote(q, start->name));
		if (shown < n)
			az_buf_printf(&text, " (%zu variables)", n);
		az_pos pos = az_mf_key_pos(vs->project->map, start->def->ptr);
		az_diag *dg =
		    az_diag_add(vs->d, AZ_SEV_ERROR, &pos, NULL, "variable cycle: %s", text.data);
		az_diag_set_detail(dg, "a variable cannot depend on itself; give one variable of "
		                       "the cycle a value that does not use the others");
	}
	az_buf_free(&text);
}

/* Depth-first search from `root` over the variables that have a value,
 * without recursion (a chain of variables may be as long as the file
 * allows): white = V_NEW, grey = V_OPEN (on the path). A grey target
 * closes a cycle, reported when `report` is set. `finish` runs for each
 * variable after everything it uses, and must take it out of V_OPEN. */
static void search(az_mf_vars *vs, size_t root, bool report,
                   void (*finish)(az_mf_vars *vs, vnode *n))
{
	size_t depth = 1;
	vs->path[0] = root;
	vs->next[0] = 0;
	vs->nodes[root].state = V_OPEN;
	while (depth > 0) {
		vnode *at = &vs->nodes[vs->path[depth - 1]];
		if (vs->next[depth - 1] == at->def->nuses) {
			finish(vs, at);
			depth--;
			continue;
		}
		size_t to = at->def->uses[vs->next[depth - 1]++];
		vnode *target = &vs->nodes[to];
		if (!target->def)
			continue;
		if (target->state == V_NEW) {
			target->state = V_OPEN;
			vs->path[depth] = to;
			vs->next[depth] = 0;
			depth++;
		} else if (target->state == V_OPEN && report) {
			size_t from = depth - 1;
			while (vs->path[from] != to)
				from--;
			report_cycle(vs, from, depth);
		}
	}
}

static void finish_searched(az_mf_vars *vs, vnode *n)
{
	(void)vs;
	n->state = V_DONE;
}

/* Every cycle holds an edge to a grey node, so each one shares variables
 * with a reported one. Afterwards the variables on a cycle are V_FAILED and
 * the others V_NEW again: values are resolved later, when used. */
static void find_cycles(az_mf_vars *vs)
{
	for (size_t root = 0; root < vs->len; root++)
		if (vs->nodes[root].state == V_NEW && vs->nodes[root].def)
			search(vs, root, true, finish_searched);
	for (size_t i = 0; i < vs->len; i++)
		vs->nodes[i].state = vs->nodes[i].in_cycle ? V_FAILED : V_NEW;
}

/* Definitions [from, to) give their variables a value, unless null. */
static void select_defs(az_mf_vars *vs, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (!json_is_null(vs->defs[i].value))
			vs->nodes[vs->defs[i].node].def = &vs->defs[i];
}

az_mf_vars *az_mf_vars_new(const az_project *p, const char *env, az_diags *d)
{
	az_mf_vars *vs = az_xcalloc(1, sizeof(*vs));
	az_buf ptr = AZ_BUF_INIT;
	size_t cap = 0, env_from = 0, env_to = 0;
	vs->project = p;
	vs->env = env;
	vs->d = d;
	vs->index = json_object();
	add_defs(vs, p->variables, "/variables", &cap);
	size_t defaults = vs->ndefs;
	const char *key;
	json_t *e;
	json_object_foreach(p->environments, key, e)
	{
		json_t *vars = json_object_get(e, "variables");
		az_buf_truncate(&ptr, 0);
		az_buf_puts(&ptr, "/environments");
		az_mf_ptr_push(&ptr, key, strlen(key));
		az_buf_puts(&ptr, "/variables");
		size_t from = vs->ndefs;
		add_defs(vs, json_is_object(vars) ? vars : NULL, ptr.data, &cap);
		if (env && !strcmp(key, env)) {
			env_from = from;
			env_to = vs->ndefs;
		}
	}
	/* Every definition of every environment: what a variable may hold
	 * does not depend on the environment planned. */
	for (size_t i = 0; i < vs->ndefs; i++) {
		az_buf_truncate(&ptr, 0);
		az_buf_puts(&ptr, vs->defs[i].ptr);
		scan_value(vs, &vs->defs[i], vs->defs[i].value, &ptr);
	}
	az_buf_free(&ptr);
	/* The environment's value, else the default. */
	select_defs(vs, 0, defaults);
	select_defs(vs, env_from, env_to);
	vs->path = az_xcalloc(vs->len ? vs->len : 1, sizeof(*vs->path));
	vs->next = az_xcalloc(vs->len ? vs->len : 1, sizeof(*vs->next));
	find_cycles(vs);
	return vs;
}

void az_mf_vars_free(az_mf_vars *vs)
{
	if (!vs)
		return;
	for (size_t i = 0; i < vs->len; i++)
		json_decref(vs->nodes[i].value);
	for (size_t i = 0; i < vs->ndefs; i++) {
		free(vs->defs[i].ptr);
		free(vs->defs[i].uses);
	}
	free(vs->nodes);
	free(vs->defs);
	free(vs->path);
	free(vs->next);
	json_decref(vs->index);
	free(vs);
}

/* "dev, prod", or "none"; the first ten, each quoted short. */
char *az_mf_known_environments(const az_project *p)
{
	az_buf b = AZ_BUF_INIT;
	const char *key;
	json_t *v;
	size_t n = 0;
	json_object_foreach(p->environments, key, v)
	{
		char q[AZ_QUOTE_SIZE];
		if (b.len)
			az_buf_puts(&b, ", ");
		if (n++ == 10) {
			az_buf_puts(&b, "...");
			break;
		}
		az_buf_puts(&b, az_quote(q, key));
	}
	if (!b.len)
		az_buf_puts(&b, "none");
	return az_buf_detach(&b);
}

/* Why variable `name` has no value, at `at`. */
static void report_no_value(az_mf_vars *vs, const char *name, const az_pos *at)
{
	const az_project *p = vs->project;
	bool declared = p->variables && json_object_get(p->variables, name);
	char qn[AZ_QUOTE_SIZE], qe[AZ_QUOTE_SIZE];
	az_diag *dg;
	az_quote(qn, name);
	if (vs->env) {
		az_quote(qe, vs->env);
		dg = az_diag_add(vs->d, AZ_SEV_ERROR, at, NULL,
		                 "variable '%s' %shas no value for environment '%s'", qn,
		                 declared ? "" : "is not declared and ", qe);
		az_diag_set_detail(dg, "set environments.%s.variables.%s in azapply.yaml%s", qe, qn,
		                   declared ? ""
		                            : " (or declare it under variables: with a "
		                              "default)");
	} else if (declared) {
		/* Every use of every per-environment variable would say the same:
		 * say it once, where it first bites. */
		if (!vs->reported_no_env) {
			char *known = az_mf_known_environments(p);
			dg = az_diag_add(
			    vs->d, AZ_SEV_ERROR, at, NULL,
			    "variable '%s' has no default and no environment was selected", qn);
			az_diag_set_detail(dg,
			                   "select one with --env NAME (known: %s), or give "
			                   "variables.%s a default in azapply.yaml",
			                   known, qn);
			free(known);
			vs->reported_no_env = true;
		}
	} else {
		dg =
		    az_diag_add(vs->d, AZ_SEV_ERROR, at, NULL, "variable '%s' is not declared", qn);
		az_diag_set_detail(dg, "declare it under variables: in azapply.yaml, with a "
		                       "default or a value in each environment");
	}
}

bool az_mf_vars_put(az_mf_vars *vs, az_buf *out, const char *name, json_t *v, const az_pos *at,
                    bool escape)
{
	if (json_is_string(v)) {
		if (escape)
			az_mf_put_text(out, json_string_value(v), json_string_length(v));
		else
			az_buf_add(out, json_string_value(v), json_string_length(v));
		return true;
	}
	if (json_is_object(v) || json_is_array(v)) {
		char qn[AZ_QUOTE_SIZE];
		az_diag *dg =
		    az_diag_add(vs->d, AZ_SEV_ERROR, at, NULL,
		                "variable '%s' is %s and cannot be part of a string",
		                az_quote(qn, name), json_is_object(v) ? "a mapping" : "a sequence");
		az_diag_set_detail(dg, "use ${var.%s} as the whole value to insert it as is", qn);
		return false;
	}
	char *text = az_json_dumps(v, JSON_ENCODE_ANY);
	az_buf_puts(out, text);
	free(text);
	return true;
}

/* A variable that a definition uses: only one resolved already (the search
 * resolves dependencies first). NULL when it has no value (said at `at`),
 * failed (said where) or is on a cycle (said there). */
static const vnode *resolved(az_mf_vars *vs, const char *name, const az_pos *at)
{
	vnode *n = find_node(vs, name);
	if (!n || !n->def) {
		report_no_value(vs, name, at);
		return NULL;
	}
	return n->state == V_DONE ? n : NULL;
}

/* The value of one string of a definition and its weight; NULL after
 * reporting, or with *weight TOO_BIG. */
static json_t *resolve_def_string(az_mf_vars *vs, json_t *str, const char *ptr, size_t len,
                                  size_t *weight)
{
	const char *s = json_string_value(str);
	*weight = json_string_length(str) + 1;
	if (!az_string_has_expr(s))
		return json_incref(str);
	az_mf_cursor cur;
	az_template *t = parse_def_string(vs, s, ptr, len, &cur);
	az_buf out = AZ_BUF_INIT;
	json_t *result = NULL;
	const vnode *n;
	bool ok = t != NULL;
	if (ok && t->len == 1 && t->parts[0].type == AZ_PART_VAR) {
		az_pos at = az_mf_cursor_pos(&cur, 0);
		if ((n = resolved(vs, t->parts[0].text, &at))) {
			result = json_incref(n->value);
			*weight = n->weight;
		}
		goto done;
	}
	for (size_t i = 0; ok && i < t->len; i++) {
		const az_part *p = &t->parts[i];
		az_pos at = az_mf_cursor_pos(&cur, p->offset);
		if (p->type == AZ_PART_LITERAL)
			az_buf_puts(&out, p->text);
		else if (p->type != AZ_PART_VAR || !(n = resolved(vs, p->text, &at)))
			ok = false; /* ${env} and ${ref} were reported by the scan */
		else
			ok = az_mf_vars_put(vs, &out, p->text, n->value, &at, false);
		if (out.len > VAR_MAX_BYTES) {
			*weight = TOO_BIG;
			ok = false;
		}
	}
	if (ok) {
		result = json_stringn(out.data ? out.data : "", out.len);
		*weight = out.len + 1;
	}
done:
	az_buf_free(&out);
	az_template_free(t);
	return result;
}

/* Adds a member's weight to its container's; false when over the limit. */
static bool add_weight(size_t *weight, size_t member)
{
	*weight =
	    member == TOO_BIG || *weight + member > VAR_MAX_BYTES ? TOO_BIG : *weight + member;
	return *weight != TOO_BIG;
}

/* The value of a definition (or of a part of one, at `ptr`) and its
 * weight: bytes of text plus one per node, what copying it costs. */
static json_t *resolve_def_value(az_mf_vars *vs, json_t *v, az_buf *ptr, size_t *weight)
{
	size_t mark = ptr->len, w = 0;
	json_t *out = NULL;
	*weight = 1;
	if (json_is_string(v))
		return resolve_def_string(vs, v, ptr->data, ptr->len, weight);
	if (json_is_object(v)) {
		out = json_object();
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x)
		{
			az_mf_ptr_push(ptr, key, strlen(key));
			json_t *r = resolve_def_value(vs, x, ptr, &w);
			az_buf_truncate(ptr, mark);
			if (!r || !add_weight(weight, w + strlen(key))) {
				json_decref(r);
				goto fail;
			}
			json_object_set_new(out, key, r);
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			az_mf_ptr_push_index(ptr, i);
			json_t *r = resolve_def_value(vs, x, ptr, &w);
			az_buf_truncate(ptr, mark);
			if (!r || !add_weight(weight, w)) {
				json_decref(r);
				goto fail;
			}
			json_array_append_new(out, r);
		}
		return out;
	}
	return json_incref(v);
fail:
	if (w == TOO_BIG)
		*weight = TOO_BIG;
	json_decref(out);
	return NULL;
}

/* Resolves a variable whose dependencies are resolved (or failed). */
/* Counts `weight` against what all variables may expand to together;
 * false, said once at `at`, when that is spent. */
static bool charge(az_mf_vars *vs, size_t weight, const az_pos *at)
{
	vs->used = weight < TOTAL_MAX_BYTES ? vs->used + weight : TOO_BIG;
	if (vs->used <= TOTAL_MAX_BYTES)
		return true;
	vs->used = TOO_BIG; /* stays spent */
	if (!vs->reported_total) {
		az_diag *dg = az_diag_add(vs->d, AZ_SEV_ERROR, at, NULL,
		                          "variables expand to more than %zu bytes in this stack",
		                          (size_t)TOTAL_MAX_BYTES);
		az_diag_set_detail(dg, "a large variable used in many places is copied to each; "
		                       "keep large values in the manifests that need them");
		vs->reported_total = true;
	}
	return false;
}

/* Resolves a variable whose dependencies are resolved (or failed). */
static void finish_resolved(az_mf_vars *vs, vnode *n)
{
	az_buf ptr = AZ_BUF_INIT;
	az_pos pos = az_mf_key_pos(vs->project->map, n->def->ptr);
	az_buf_puts(&ptr, n->def->ptr);
	if (!n->def->bad && vs->used != TOO_BIG)
		n->value = resolve_def_value(vs, n->def->value, &ptr, &n->weight);
	if (!n->value && n->weight == TOO_BIG) {
		char q[AZ_QUOTE_SIZE];
		az_diag *dg = az_diag_add(vs->d, AZ_SEV_ERROR, &pos, NULL,
		                          "variable '%s' expands to more than %zu bytes",
		                          az_quote(q, n->name), (size_t)VAR_MAX_BYTES);
		az_diag_set_detail(dg, "a variable that repeats others doubles with each "
		                       "level; keep what variables expand to small");
	}
	/* Its value is built (or shared) now, used or not later. */
	if (n->value && !charge(vs, n->weight, &pos)) {
		json_decref(n->value);
		n->value = NULL;
	}
	n->state = n->value ? V_DONE : V_FAILED;
	az_buf_free(&ptr);
}

json_t *az_mf_vars_get(az_mf_vars *vs, const char *name, const az_pos *at)
{
	vnode *n = find_node(vs, name);
	if (!n || !n->def) {
		report_no_value(vs, name, at);
		return NULL;
	}
	/* Dependencies first; a grey one is on a cycle, said already. */
	if (n->state == V_NEW)
		search(vs, (size_t)(n - vs->nodes), false, finish_resolved);
	/* Each use is a copy of the value in a manifest. */
	if (n->state != V_DONE || !charge(vs, n->weight, at))
		return NULL;
	return n->value;
}
