/*
 * cmd_diff.c - `azapply diff`: what a pull request changes, resource by
 * resource, without contacting Azure.
 *
 * Both revisions are loaded from git (planner/git) and checked exactly as
 * plan would check them, for the same environment, so the comparison is of
 * resolved specs: a variable changed in azapply.yaml shows on every
 * resource that uses it. Resources are matched by address, so a manifest
 * moved to another file is not a change; one whose address changed but
 * whose Azure identity did not (kind, Azure name and scope) is renamed,
 * not removed and added: it is the same resource in Azure. Property changes come from
 * az_diff_compute, the same comparison plan uses against Azure. With
 * --plan, the head revision is also planned against live state, so a
 * reviewer sees both what the pull request changes in git and what it
 * will do in Azure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char *const DIFF_OUTPUTS[] = {"text", "json", "markdown", NULL};

static const az_option DIFF_OPTIONS[] = {
	{"base", 'b', "REF", "the revision to compare against (required), e.g. origin/main", NULL},
	{"head", 0, "REF", "the revision under review (default HEAD)", NULL},
	{"repo", 0, "PATH", "the repository (default: the one holding the current directory)", NULL},
	{"env", 'e', "NAME", "the environment (from azapply.yaml) whose variables to use", NULL},
	{"plan", 0, NULL, "also plan the head revision against live state", NULL},
	{"detailed-exitcode", 0, NULL, "exit 2 when there are changes, 0 when none", NULL},
	{"output", 'o', "FORMAT", "text (default), json or markdown", DIFF_OUTPUTS},
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

#define MARKDOWN_PART_BREAK "<!-- azapply:part-break -->"
/* GitHub caps a comment at 65,536 characters. */
#define COMMENT_LIMIT 65000

/* ${ref...} values are expressions in git, not "known after apply": the
 * diff compares them as text, so they are disguised while diffing. */
#define REF_OPEN "${ref."
#define REF_HIDDEN "${=ref."

typedef enum entry_status {
	ENTRY_ADDED,
	ENTRY_REMOVED,
	ENTRY_CHANGED,
	ENTRY_MOVED, /* same resource, another file: not a change */
	ENTRY_RENAMED, /* another address, the same resource in Azure */
} entry_status;

typedef struct entry {
	const char *address; /* borrowed from a stack */
	entry_status status;
	const char *file;     /* where it is at head (or was, when removed) */
	const char *was_file; /* at base, when it moved */
	const char *was_address; /* at base, when it was renamed */
	az_diff diff;
} entry;

typedef struct revision {
	const char *ref;
	char *commit;
	az_stack *stack;
} revision;

typedef struct git_diff {
	revision base, head;
	entry *items;
	size_t len;
	az_diff project; /* azapply.yaml: variables, environments, settings */
	size_t added, removed, changed, moved, renamed;
} git_diff;

static const char *status_name(entry_status s)
{
	switch (s) {
	case ENTRY_ADDED: return "added";
	case ENTRY_REMOVED: return "removed";
	case ENTRY_CHANGED: return "changed";
	case ENTRY_MOVED: return "moved";
	case ENTRY_RENAMED: return "renamed";
	}
	return "";
}

static const char *status_symbol(entry_status s)
{
	switch (s) {
	case ENTRY_ADDED: return "+";
	case ENTRY_REMOVED: return "-";
	case ENTRY_CHANGED: return "~";
	case ENTRY_MOVED: return ">";
	case ENTRY_RENAMED: return "~";
	}
	return "";
}

/* Rewrites `from` to `to` in every string of `v`, in place. */
static void rewrite_refs(json_t *v, const char *from, const char *to)
{
	const char *key;
	json_t *child;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach(v, key, child) rewrite_refs(child, from, to);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) rewrite_refs(child, from, to);
	} else if (json_is_string(v) && strstr(json_string_value(v), from)) {
		az_buf b = AZ_BUF_INIT;
		const char *s = json_string_value(v), *at;
		while ((at = strstr(s, from))) {
			az_buf_add(&b, s, (size_t)(at - s));
			az_buf_puts(&b, to);
			s = at + strlen(from);
		}
		az_buf_puts(&b, s);
		json_string_set(v, b.data);
		az_buf_free(&b);
	}
}


/* A plain structural diff (metadata, azapply.yaml): objects key by key,
 * anything else by value. */
static void diff_plain(az_diff *d, az_buf *path, const json_t *before, const json_t *after)
{
	if (json_is_object(before) && json_is_object(after)) {
		const char *key;
		json_t *v;
		size_t mark = path->len;
		json_object_foreach((json_t *)(uintptr_t)before, key, v) {
			az_buf_printf(path, "%s%s", mark ? "." : "", key);
			diff_plain(d, path, v, json_object_get(after, key));
			az_buf_truncate(path, mark);
		}
		json_object_foreach((json_t *)(uintptr_t)after, key, v) {
			if (json_object_get(before, key))
				continue;
			az_buf_printf(path, "%s%s", mark ? "." : "", key);
			diff_plain(d, path, NULL, v);
			az_buf_truncate(path, mark);
		}
		return;
	}
	if (before && after && json_equal(before, after))
		return;
	if (!before && !after)
		return;
	az_diff_add(d, !before ? AZ_CHANGE_ADD : !after ? AZ_CHANGE_REMOVE : AZ_CHANGE_MODIFY,
		   path->data ? path->data : "", before, after);
}

/* JSON Pointers below /spec, relative to the spec (as az_diff_compute
 * takes them). */
static json_t *spec_pointers(const az_manifest *m)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(m->sensitive, i, v) {
		const char *p = json_string_value(v);
		if (p && strncmp(p, "/spec/", 6) == 0)
			json_array_append_new(out, json_string(p + 5));
	}
	return out;
}

/* The value at a dotted path of the kind table ("properties.password"). */
static const json_t *value_at(const json_t *v, const char *dotted)
{
	char *copy = az_xstrdup(dotted), *seg = copy, *dot;
	while (v && (dot = strchr(seg, '.'))) {
		*dot = '\0';
		v = json_object_get(v, seg);
		seg = dot + 1;
	}
	v = v ? json_object_get(v, seg) : NULL;
	free(copy);
	return v;
}

/* Secrets the diff would always report (Azure never returns them): here
 * both sides are known, so an equal one is no change. */
static json_t *equal_secrets(const az_kind *kind, const json_t *before, const json_t *after)
{
	json_t *out = json_array();
	for (const char *const *p = kind->secret_paths; p && *p; p++) {
		const json_t *a = value_at(before, *p), *b = value_at(after, *p);
		if ((!a && !b) || (a && b && json_equal(a, b)))
			json_array_append_new(out, json_string(*p));
	}
	return out;
}

/* Property-level changes of one resource between the two revisions. */
static void diff_resource(entry *e, const az_resource *was, const az_resource *now)
{
	json_t *before = json_deep_copy(json_object_get(was->manifest->body, "spec"));
	json_t *after = json_deep_copy(json_object_get(now->manifest->body, "spec"));
	json_t *sensitive = spec_pointers(now->manifest);
	rewrite_refs(before, REF_OPEN, REF_HIDDEN);
	rewrite_refs(after, REF_OPEN, REF_HIDDEN);
	/* report_removed: a property deleted from the manifest is a change. */
	json_t *unchanged = now->kind ? equal_secrets(now->kind, before, after) : NULL;
	az_diff_options opts = {.sensitive_pointers = sensitive,
				.secrets_unchanged = unchanged,
				.report_removed = true};
	az_diff spec = {0};
	az_buf path = AZ_BUF_INIT;
	if (now->kind)
		az_diff_compute(&spec, now->kind, after, before, &opts);
	else
		diff_plain(&spec, &path, before, after);
	json_decref(unchanged);
	for (size_t i = 0; i < spec.len; i++) {
		az_change *c = &spec.items[i];
		rewrite_refs(c->before, REF_HIDDEN, REF_OPEN);
		rewrite_refs(c->after, REF_HIDDEN, REF_OPEN);
		az_change *copy = az_diff_add(&e->diff, c->op, "", c->before, c->after);
		free(copy->path);
		copy->path = az_xasprintf("spec.%s", c->path);
		copy->sensitive = c->sensitive;
	}
	az_buf_puts(&path, "metadata");
	diff_plain(&e->diff, &path, json_object_get(was->manifest->body, "metadata"),
		   json_object_get(now->manifest->body, "metadata"));
	az_buf_free(&path);
	az_diff_clear(&spec);
	json_decref(sensitive);
	json_decref(before);
	json_decref(after);
}

static entry *add_entry(git_diff *g, const char *address, entry_status status, const char *file)
{
	g->items = az_xrealloc(g->items, (g->len + 1) * sizeof(*g->items));
	entry *e = &g->items[g->len++];
	memset(e, 0, sizeof(*e));
	e->address = address;
	e->status = status;
	e->file = file;
	return e;
}

/* What Azure knows a resource by: its kind, its Azure name (spec.name, or
 * metadata.name when there is none) and its scope (resource group, parent
 * or scope field), as the manifest writes them. A kind whose Azure name is
 * derived (a role assignment's GUID of scope, role and principal) is known
 * by its whole spec. NULL for an unknown kind. The caller frees. */
static char *azure_identity(const az_resource *r)
{
	if (!r->kind || !r->azure_name)
		return NULL;
	const json_t *spec = json_object_get(r->manifest->body, "spec");
	if (strstr(r->kind->id_template, "{guid}")) {
		char *body = az_json_dumps(spec, JSON_SORT_KEYS | JSON_COMPACT);
		char *id = az_xasprintf("%s|%s", r->kind->name, body ? body : "");
		free(body);
		return id;
	}
	const char *field = r->kind->scope == AZ_SCOPE_RESOURCE_GROUP ? "resourceGroup"
			    : r->kind->scope == AZ_SCOPE_PARENT	  ? r->kind->parent_field
			    : r->kind->scope == AZ_SCOPE_ANY	  ? "scope"
								  : NULL;
	const char *scope = field ? json_string_value(json_object_get(spec, field)) : NULL;
	char *name = az_lowercase(r->azure_name);
	char *id = az_xasprintf("%s|%s|%s", r->kind->name, scope ? scope : "", name);
	free(name);
	return id;
}

/* The resource of `base` that no longer has its address at head and has
 * the identity of `now`, not already taken by another rename. */
static const az_resource *renamed_from(const git_diff *g, const az_resource *now, bool *taken)
{
	const az_stack *base = g->base.stack, *head = g->head.stack;
	char *id = azure_identity(now);
	const az_resource *found = NULL;
	for (size_t i = 0; id && i < base->len && !found; i++) {
		const az_resource *was = &base->resources[i];
		if (taken[i] || az_stack_find(head, was->address))
			continue;
		char *was_id = azure_identity(was);
		if (was_id && strcmp(was_id, id) == 0) {
			found = was;
			taken[i] = true;
		}
		free(was_id);
	}
	free(id);
	return found;
}

/* The renamed resource's changes, but for the rename itself. */
static void drop_rename(az_diff *d)
{
	size_t kept = 0;
	for (size_t i = 0; i < d->len; i++) {
		az_change *c = &d->items[i];
		if (strcmp(c->path, "metadata.name") == 0) {
			free(c->path);
			json_decref(c->before);
			json_decref(c->after);
			continue;
		}
		d->items[kept++] = d->items[i];
	}
	d->len = kept;
}

static void compare(git_diff *g)
{
	const az_stack *base = g->base.stack, *head = g->head.stack;
	bool *taken = az_xcalloc(base->len ? base->len : 1, sizeof(bool));
	for (size_t i = 0; i < head->len; i++) {
		const az_resource *now = &head->resources[i];
		const az_resource *was = az_stack_find(base, now->address);
		const az_resource *renamed = was ? NULL : renamed_from(g, now, taken);
		if (renamed) {
			entry e = {.address = now->address, .status = ENTRY_RENAMED,
				   .file = now->manifest->file, .was_address = renamed->address};
			diff_resource(&e, renamed, now);
			drop_rename(&e.diff);
			if (strcmp(renamed->manifest->file, now->manifest->file) != 0)
				e.was_file = renamed->manifest->file;
			*add_entry(g, e.address, e.status, e.file) = e;
			g->renamed++;
			continue;
		}
		if (!was) {
			add_entry(g, now->address, ENTRY_ADDED, now->manifest->file);
			g->added++;
			continue;
		}
		entry e = {.address = now->address, .file = now->manifest->file};
		diff_resource(&e, was, now);
		bool moved = strcmp(was->manifest->file, now->manifest->file) != 0;
		if (!e.diff.len && !moved) {
			az_diff_clear(&e.diff);
			continue;
		}
		e.status = e.diff.len ? ENTRY_CHANGED : ENTRY_MOVED;
		e.was_file = moved ? was->manifest->file : NULL;
		*add_entry(g, e.address, e.status, e.file) = e;
		if (e.diff.len)
			g->changed++;
		else
			g->moved++;
	}
	for (size_t i = 0; i < base->len; i++) {
		const az_resource *was = &base->resources[i];
		if (!taken[i] && !az_stack_find(head, was->address)) {
			add_entry(g, was->address, ENTRY_REMOVED, was->manifest->file);
			g->removed++;
		}
	}
	free(taken);
	az_buf path = AZ_BUF_INIT;
	diff_plain(&g->project, &path, base->set->project.body, head->set->project.body);
	az_buf_free(&path);
}

static bool has_changes(const git_diff *g)
{
	return g->added || g->removed || g->changed || g->renamed || g->project.len;
}

/* ${env.X} values are secrets from CI: a git diff never needs them, and
 * must not fail without them. Both revisions see the same stand-in. */
static const char *no_env(const char *name, void *ud)
{
	(void)name;
	(void)ud;
	return "(from the environment)";
}

static int load_revision(revision *r, const az_args *args, az_diags *d)
{
	az_file_source src = {0};
	az_git_source_options o = {
		.repo = az_arg(args, "repo"),
		.ref = r->ref,
		.dir = args->positional_len ? args->positional[0] : NULL,
	};
	if (az_git_source_open(&src, &r->commit, &o, d) != 0)
		return AZ_EINVALID;
	az_stack_options opts = {.env = az_arg(args, "env"), .getenv_fn = no_env};
	int rc = az_stack_load(&r->stack, &src, &opts, d);
	az_file_source_free(&src);
	return rc;
}

/* ---------------------------------------------------------------------
 * Output.
 */
static void change_line(az_buf *b, const az_change *ch, const char *indent)
{
	const char *sym = ch->op == AZ_CHANGE_ADD ? "+" : ch->op == AZ_CHANGE_REMOVE ? "-" : "~";
	az_buf_printf(b, "%s%s %s: ", indent, sym, ch->path);
	if (ch->sensitive) {
		az_buf_puts(b, "(sensitive)");
	} else if (ch->op == AZ_CHANGE_ADD) {
		az_value_render(b, ch->after);
	} else if (ch->op == AZ_CHANGE_REMOVE) {
		az_value_render(b, ch->before);
		az_buf_puts(b, " -> (removed)");
	} else {
		az_value_render(b, ch->before);
		az_buf_puts(b, " -> ");
		az_value_render(b, ch->after);
	}
	az_buf_putc(b, '\n');
}

static void summary(az_buf *b, const git_diff *g)
{
	if (!has_changes(g)) {
		az_buf_printf(b, "No changes in git between %s and %s", g->base.ref, g->head.ref);
	} else {
		az_buf_printf(b, "%zu added, %zu removed, %zu changed", g->added, g->removed,
			      g->changed);
		if (g->renamed)
			az_buf_printf(b, ", %zu renamed", g->renamed);
		if (g->project.len)
			az_buf_printf(b, ", %zu setting%s of azapply.yaml changed", g->project.len,
				      g->project.len == 1 ? "" : "s");
	}
	if (g->moved)
		az_buf_printf(b, "; %zu moved to another file without change", g->moved);
	az_buf_putc(b, '.');
}

static void entry_headline(az_buf *b, const entry *e)
{
	switch (e->status) {
	case ENTRY_ADDED: az_buf_printf(b, "added in %s", e->file); break;
	case ENTRY_REMOVED: az_buf_printf(b, "removed (was in %s)", e->file); break;
	case ENTRY_CHANGED:
		az_buf_printf(b, "changed in %s", e->file);
		if (e->was_file)
			az_buf_printf(b, " (moved from %s)", e->was_file);
		break;
	case ENTRY_MOVED: az_buf_printf(b, "moved from %s to %s, unchanged", e->was_file, e->file); break;
	case ENTRY_RENAMED:
		/* Same kind, Azure name and scope: Azure keeps the resource. */
		az_buf_printf(b, "renamed %s -> %s in %s", e->was_address, e->address, e->file);
		if (e->was_file)
			az_buf_printf(b, " (moved from %s)", e->was_file);
		az_buf_puts(b, ", the same resource in Azure");
		break;
	}
}

static void render_text(az_buf *out, const git_diff *g, const az_stack *head)
{
	az_buf_printf(out, "azapply diff %s..%s (%.12s..%.12s)", g->base.ref, g->head.ref,
		      g->base.commit, g->head.commit);
	if (head->env)
		az_buf_printf(out, ", environment %s", head->env);
	az_buf_puts(out, "\n\n");
	for (size_t i = 0; i < g->len; i++) {
		const entry *e = &g->items[i];
		az_buf_printf(out, "%s %s: ", status_symbol(e->status), e->address);
		entry_headline(out, e);
		az_buf_putc(out, '\n');
		for (size_t j = 0; j < e->diff.len; j++)
			change_line(out, &e->diff.items[j], "    ");
	}
	if (g->project.len) {
		az_buf_puts(out, "~ azapply.yaml\n");
		for (size_t j = 0; j < g->project.len; j++)
			change_line(out, &g->project.items[j], "    ");
	}
	if (g->len || g->project.len)
		az_buf_putc(out, '\n');
	summary(out, g);
	az_buf_putc(out, '\n');
}

static json_t *changes_json(const az_diff *d)
{
	json_t *arr = json_array();
	for (size_t j = 0; j < d->len; j++) {
		const az_change *ch = &d->items[j];
		const char *op = ch->op == AZ_CHANGE_ADD ? "add" : ch->op == AZ_CHANGE_REMOVE ? "remove"
											: "modify";
		json_t *c = json_pack("{s:s,s:s}", "path", ch->path, "op", op);
		if (ch->sensitive) {
			json_object_set_new(c, "sensitive", json_true());
		} else {
			if (ch->before)
				json_object_set(c, "before", ch->before);
			if (ch->after)
				json_object_set(c, "after", ch->after);
		}
		json_array_append_new(arr, c);
	}
	return arr;
}

static json_t *render_json(const git_diff *g, const az_stack *head)
{
	json_t *resources = json_array();
	for (size_t i = 0; i < g->len; i++) {
		const entry *e = &g->items[i];
		json_t *o = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:o}", "address", e->address, "status",
				      status_name(e->status), "file", e->file, "previousFile",
				      e->was_file, "previousAddress", e->was_address, "changes",
				      changes_json(&e->diff));
		json_array_append_new(resources, o);
	}
	return json_pack("{s:s,s:{s:s,s:s},s:{s:s,s:s},s:s?,s:s?,s:b,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I}}",
			 "formatVersion", "1", "base", "ref", g->base.ref, "commit", g->base.commit,
			 "head", "ref", g->head.ref, "commit", g->head.commit, "stack",
			 head->set->project.stack, "environment", head->env, "changes",
			 has_changes(g), "resources", resources, "project",
			 changes_json(&g->project), "counts", "added", (json_int_t)g->added,
			 "removed", (json_int_t)g->removed, "changed", (json_int_t)g->changed,
			 "moved", (json_int_t)g->moved, "renamed", (json_int_t)g->renamed);
}

static void md_changes(az_buf *b, const char *title, const az_diff *d)
{
	az_buf_printf(b, "<details><summary>%s</summary>\n\n```diff\n", title);
	for (size_t j = 0; j < d->len; j++)
		change_line(b, &d->items[j], "");
	az_buf_puts(b, "```\n\n</details>\n\n");
}

static void render_markdown(az_md_parts *p, const git_diff *g, const az_stack *head)
{
	az_buf b = AZ_BUF_INIT;
	az_buf_printf(&b, "### azapply diff: `%s`..`%s`", g->base.ref, g->head.ref);
	if (head->env)
		az_buf_printf(&b, " (%s)", head->env);
	az_buf_puts(&b, "\n\n**");
	summary(&b, g);
	az_buf_puts(&b, "**\n\n");
	if (g->len)
		az_buf_puts(&b, "| Change | Resource | File | Properties |\n|---|---|---|---|\n");
	az_md_parts_add(p, b.data);
	for (size_t i = 0; i < g->len; i++) {
		const entry *e = &g->items[i];
		az_buf_truncate(&b, 0);
		if (e->was_address)
			az_buf_printf(&b, "| %s %s | `%s` -> `%s` | `%s` | %zu |\n",
				      status_symbol(e->status), status_name(e->status), e->was_address,
				      e->address, e->file, e->diff.len);
		else
			az_buf_printf(&b, "| %s %s | `%s` | `%s` | %zu |\n", status_symbol(e->status),
				      status_name(e->status), e->address, e->file, e->diff.len);
		az_md_parts_add(p, b.data);
	}
	az_md_parts_add(p, "\n");
	for (size_t i = 0; i < g->len; i++) {
		const entry *e = &g->items[i];
		if (!e->diff.len)
			continue;
		az_buf_truncate(&b, 0);
		char *title = az_xasprintf("<code>~ %s</code>", e->address);
		md_changes(&b, title, &e->diff);
		free(title);
		az_md_parts_add(p, b.data);
	}
	if (g->project.len) {
		az_buf_truncate(&b, 0);
		md_changes(&b, "<code>azapply.yaml</code>", &g->project);
		az_md_parts_add(p, b.data);
	}
	az_buf_free(&b);
}

static void print_parts(char **items, size_t n, bool *first)
{
	for (size_t i = 0; i < n; i++) {
		if (!*first)
			printf("\n%s\n", MARKDOWN_PART_BREAK);
		*first = false;
		fputs(items[i], stdout);
		free(items[i]);
	}
	free(items);
}

static void git_diff_free(git_diff *g)
{
	for (size_t i = 0; i < g->len; i++)
		az_diff_clear(&g->items[i].diff);
	free(g->items);
	az_diff_clear(&g->project);
	free(g->base.commit);
	free(g->head.commit);
	az_stack_free(g->base.stack);
	az_stack_free(g->head.stack);
}

static int diff_exec(const az_args *args)
{
	az_format format = az_cmd_format(args);
	az_diags d = AZ_DIAGS_INIT;
	git_diff g = {.base.ref = az_arg(args, "base"), .head.ref = az_arg(args, "head")};
	az_cmd_run run = {0};
	const az_plan *plan = &run.plan;
	bool with_plan = az_arg_flag(args, "plan");
	int rc = AZ_EXIT_ERROR;

	if (!g.base.ref)
		return az_usage_error(args->cmd, "--base REF is required");
	if (!g.head.ref)
		g.head.ref = "HEAD";
	/* Both revisions, even when the first fails: every error at once. */
	int base_rc = load_revision(&g.base, args, &d);
	if (load_revision(&g.head, args, &d) != 0 || base_rc != 0)
		goto done;
	compare(&g);
	if (with_plan) {
		/* The head revision planned exactly as `plan --git-ref HEAD`
		 * plans it: loaded again with the environment's values (the
		 * diff above never reads them), so its secrets compare with
		 * what was applied instead of with a stand-in. */
		az_cmd_origin head = az_cmd_origin_of(args);
		head.ref = g.head.ref;
		az_plan_options po = {0};
		int plan_rc = az_cmd_run_plan_at(&run, args, &head, &po);
		az_diags_move(&d, &run.d);
		if (plan_rc != 0)
			goto done;
	}
	if (format == AZ_FORMAT_JSON) {
		json_t *j = render_json(&g, g.head.stack);
		if (with_plan)
			json_object_set_new(j, "plan", az_plan_to_json(plan));
		json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(j);
	} else if (format == AZ_FORMAT_MARKDOWN) {
		az_md_parts p;
		az_md_parts_init(&p, COMMENT_LIMIT, NULL);
		bool first = true;
		render_markdown(&p, &g, g.head.stack);
		char **items = NULL;
		size_t n_items = az_md_parts_finish(&p, &items);
		print_parts(items, n_items, &first);
		if (with_plan) {
			char **parts = NULL;
			size_t n = az_plan_render_markdown(&parts, plan, COMMENT_LIMIT);
			print_parts(parts, n, &first);
		}
	} else {
		az_buf out = AZ_BUF_INIT;
		render_text(&out, &g, g.head.stack);
		fputs(out.data, stdout);
		az_buf_free(&out);
		if (with_plan) {
			fputs("\nWhat it will do in Azure:\n\n", stdout);
			az_cmd_print_plan(args, plan, AZ_FORMAT_TEXT);
		}
	}
	bool changes = has_changes(&g) || (with_plan && az_plan_has_changes(plan));
	rc = az_arg_flag(args, "detailed-exitcode") && changes ? AZ_EXIT_CHANGES : AZ_EXIT_OK;
done:
	az_cmd_report(args, &d, format);
	az_cmd_run_free(&run);
	git_diff_free(&g);
	az_diags_clear(&d);
	return rc;
}

const az_command cmd_diff = {
	.name = "diff",
	.summary = "Show what changes between two git revisions, resource by resource",
	.usage = "azapply diff --base REF [--head REF] [DIR] [--env NAME] [--repo PATH] [--plan] "
		 "[--detailed-exitcode] [--output text|json|markdown]",
	.description =
		"Loads the manifests of both revisions from git (no checkout), checks them as\n"
		"validate does for the same environment, and lists the resources added,\n"
		"removed and changed, with a property-level diff of the resolved specs and\n"
		"of metadata, and the settings changed in azapply.yaml. A manifest moved to\n"
		"another file is not a change. DIR is a folder in the trees (default: the\n"
		"root); --head defaults to HEAD. Nothing is sent to Azure, and ${env.X}\n"
		"values are not read.\n\n"
		"--plan also plans the head revision against live state (as `azapply plan`),\n"
		"so a reviewer sees what the change will do in Azure. --output markdown prints\n"
		"a pull-request comment; parts longer than one comment are separated by the\n"
		"line " MARKDOWN_PART_BREAK ".\n"
		"Exit 0: success (with --detailed-exitcode: no changes); 2: changes\n"
		"(--detailed-exitcode only); 1: error; 64: usage.",
	.options = DIFF_OPTIONS,
	.max_positional = 1,
	.exec = diff_exec,
};
