/*
 * render.c - a plan as people and tools read it.
 *
 * Text follows the shape users know from Terraform: a header per resource
 * (+ create, ~ update, -/+ replace, - delete), then one line per property
 * change with old -> new. JSON is a documented, versioned format for policy
 * tools. Markdown is for pull-request comments: a summary table and a
 * collapsible section per resource, split into parts that each fit in one
 * comment. A sensitive value is "(sensitive)" everywhere; a value that
 * exists only after apply is "(known after apply)".
 */
#include <azapply/plan.h>

#include <stdlib.h>
#include <string.h>

#include "paths.h"

#define PLAN_FORMAT_VERSION "1"

static const char *symbol(const az_plan_item *it)
{
	switch (it->action) {
	case AZ_ACTION_CREATE: return "+";
	case AZ_ACTION_UPDATE: return "~";
	case AZ_ACTION_REPLACE: return "-/+";
	case AZ_ACTION_DELETE: return "-";
	case AZ_ACTION_READ: return "<=";
	case AZ_ACTION_DEFER: return "?";
	case AZ_ACTION_NOOP: return " ";
	}
	return "?";
}

static const char *color_of(az_action a)
{
	switch (a) {
	case AZ_ACTION_CREATE: return "\033[32m";
	case AZ_ACTION_UPDATE: return "\033[33m";
	case AZ_ACTION_REPLACE: return "\033[35m";
	case AZ_ACTION_DELETE: return "\033[31m";
	default: return "";
	}
}

static const char *headline(const az_plan_item *it)
{
	/* Adopting writes only the marker when nothing else differs: not
	 * an update anyone should look for. */
	if (it->adopt && (it->action == AZ_ACTION_NOOP ||
			  (it->action == AZ_ACTION_UPDATE && it->diff.len == 0)))
		return "will be adopted (it exists without this stack's marker)";
	if (it->adopt)
		return "will be adopted and updated in place";
	switch (it->action) {
	case AZ_ACTION_CREATE: return "will be created";
	case AZ_ACTION_UPDATE: return "will be updated in place";
	case AZ_ACTION_REPLACE: return "must be replaced (deleted, then created)";
	case AZ_ACTION_DELETE: return "will be deleted";
	case AZ_ACTION_READ:
		if (!it->live)
			return "does not exist in Azure (deleted outside azapply, or never applied)";
		return it->manifest_changed ? "differs: its manifest changed since the last apply"
					    : "changed outside azapply";
	case AZ_ACTION_NOOP: return "has no changes";
	case AZ_ACTION_DEFER: return "is not read yet: planned once the rule lets this address in";
	}
	return "";
}

/* What a plan lists: actions, adoptions, and under --refresh-only every
 * resource whose live state differs from its manifest. A refresh-only plan
 * changes nothing, yet "No changes" would hide the drift it was asked for. */
static bool shown(const az_plan_item *it)
{
	if (it->action == AZ_ACTION_READ)
		return it->diff.len > 0;
	return it->action != AZ_ACTION_NOOP || it->adopt;
}

static size_t count_shown(const az_plan *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->len; i++)
		n += shown(&p->items[i]);
	return n;
}

void az_value_render(az_buf *out, const json_t *v)
{
	char *s = az_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	az_buf_puts(out, s ? s : "null");
	free(s);
}

static void render_change(az_buf *out, const az_change *ch, bool creating, const char *indent)
{
	const char *sym = ch->op == AZ_CHANGE_ADD ? "+" : ch->op == AZ_CHANGE_REMOVE ? "-" : "~";
	az_buf_printf(out, "%s%s %s: ", indent, sym, ch->path);
	if (ch->sensitive) {
		az_buf_puts(out, "(sensitive)");
	} else {
		if (ch->op != AZ_CHANGE_ADD) {
			az_value_render(out, ch->before);
			if (ch->op == AZ_CHANGE_MODIFY)
				az_buf_puts(out, " -> ");
		}
		if (ch->op == AZ_CHANGE_REMOVE)
			az_buf_puts(out, " -> (removed)");
		else if (ch->unknown)
			az_buf_puts(out, "(known after apply)");
		else
			az_value_render(out, ch->after);
	}
	if (ch->forces_replace && !creating)
		az_buf_puts(out, "   # forces replacement");
	az_buf_putc(out, '\n');
}

/* A difference a refresh read, said as what it is: the value Azure has
 * and the one the manifest says. Not an arrow: nothing will change. */
void az_change_render_outside(az_buf *out, const az_change *ch, const char *indent)
{
	az_buf_printf(out, "%s%s: ", indent, ch->path);
	if (ch->sensitive) {
		az_buf_puts(out, "(sensitive)\n");
		return;
	}
	az_buf_puts(out, "Azure has ");
	if (ch->before)
		az_value_render(out, ch->before);
	else
		az_buf_puts(out, "nothing");
	az_buf_puts(out, ", the manifest says ");
	if (ch->unknown)
		az_buf_puts(out, "(known after apply)");
	else if (ch->after)
		az_value_render(out, ch->after);
	else
		az_buf_puts(out, "nothing");
	az_buf_putc(out, '\n');
}

static void render_item_change(az_buf *out, const az_plan_item *it, const az_change *ch,
			       const char *indent)
{
	/* A resource that is not there is one finding, said by its headline;
	 * "Azure has nothing" for each property would say it again and again. */
	if (it->action == AZ_ACTION_READ && !it->live)
		return;
	if (it->action == AZ_ACTION_READ)
		az_change_render_outside(out, ch, indent);
	else
		render_change(out, ch, it->action == AZ_ACTION_CREATE, indent);
}

static void summary_line(az_buf *out, const az_plan *p)
{
	if (p->refresh_only) {
		size_t n = count_shown(p);
		az_buf_printf(out, "Refresh only: %zu resource%s differ%s from the manifests; nothing "
			      "will change.", n, n == 1 ? "" : "s", n == 1 ? "s" : "");
		return;
	}
	az_plan_counts c = az_plan_count(p);
	az_buf_printf(out, "Plan: %zu to add, %zu to change, %zu to replace, %zu to destroy.", c.create,
		      c.update, c.replace, c.destroy);
	if (c.refused)
		az_buf_printf(out, " %zu refused.", c.refused);
	if (c.deferred)
		az_buf_printf(out, " %zu not read yet: apply plans them after the firewall rule.",
			      c.deferred);
}

/* metadata.existing resources, after the plan: what it reads and never
 * writes, so a reader sees where a ${ref} to one comes from. */
static void render_existing(az_buf *out, const az_plan *p)
{
	for (size_t i = 0; i < p->len; i++)
		if (p->items[i].existing && p->items[i].live)
			az_buf_printf(out, "  <= %s is read (metadata.existing: never written)\n",
				      p->items[i].address);
}

/* Which commit each pinned component came from, a line each: a reviewer
 * sees what "v1" was when the plan was made. `quote` goes around the
 * names (markdown's code span), `end` ends the line. */
static void render_component_sources(az_buf *out, const az_plan *p, const char *quote,
				     const char *end)
{
	const char *source;
	json_t *commit;
	json_object_foreach(p->component_sources, source, commit)
		az_buf_printf(out, "Component %s%s%s is commit %s%s%s.%s", quote, source, quote,
			      quote, json_string_value(commit), quote, end);
}

const char *az_plan_item_awaiting(const az_plan_item *it)
{
	/* What is being deleted waits for nobody. */
	const char *path = it->kind && it->action != AZ_ACTION_DELETE ? it->kind->approval_path
								       : NULL;
	const char *status = path ? json_string_value(az_json_at(it->live, path)) : NULL;
	return status && strcmp(status, "Approved") ? status : NULL;
}

/* One line per waiting connection: `mark` before the address, `quote`
 * around it (text: "  ! ", none; markdown: "- ", "`"). */
static void render_awaiting(az_buf *out, const az_plan *p, const char *mark, const char *quote)
{
	for (size_t i = 0; i < p->len; i++) {
		const az_plan_item *it = &p->items[i];
		const char *status = az_plan_item_awaiting(it);
		if (status)
			az_buf_printf(out, "%s%s%s%s: connection %s: approve it on the target "
					   "resource\n",
				      mark, quote, it->address, quote, status);
	}
}

void az_plan_render_awaiting(az_buf *out, const az_plan *p)
{
	render_awaiting(out, p, "  ! ", "");
}

void az_plan_render_text(az_buf *out, const az_plan *p, const az_render_options *o)
{
	bool color = o && o->color;
	if (!count_shown(p)) {
		az_buf_printf(out, "No changes. Azure matches the manifests (%zu resource%s",
			      p->len, p->len == 1 ? "" : "s");
		if (p->environment)
			az_buf_printf(out, ", environment %s", p->environment);
		az_buf_puts(out, ").\n");
		render_component_sources(out, p, "", "\n");
		render_existing(out, p);
		az_plan_render_awaiting(out, p);
		return;
	}
	az_buf_printf(out, p->refresh_only ? "Changed outside azapply, or not applied yet (stack %s"
					   : "azapply will perform the following actions (stack %s",
		      p->stack ? p->stack : "-");
	if (p->environment)
		az_buf_printf(out, ", environment %s", p->environment);
	az_buf_puts(out, p->refresh_only ? "); nothing will change:\n" : "):\n");
	render_component_sources(out, p, "", "\n");
	for (size_t i = 0; i < p->len; i++) {
		const az_plan_item *it = &p->items[i];
		if (!shown(it))
			continue;
		az_buf_printf(out, "\n  # %s %s\n", it->address, headline(it));
		if (it->reason)
			az_buf_printf(out, "  # (%s)\n", it->reason);
		az_buf_printf(out, "%s%3s %s%s", color ? color_of(it->action) : "", symbol(it),
			      it->address, color ? "\033[0m" : "");
		if (it->id)
			az_buf_printf(out, "  %s", it->id);
		az_buf_putc(out, '\n');
		for (size_t j = 0; j < it->diff.len; j++)
			render_item_change(out, it, &it->diff.items[j], "      ");
		if (it->refused)
			az_buf_printf(out, "      %s! refused:%s %s\n", color ? "\033[1;31m" : "",
				      color ? "\033[0m" : "", it->refused);
	}
	az_buf_putc(out, '\n');
	summary_line(out, p);
	az_buf_putc(out, '\n');
	render_existing(out, p);
	az_plan_render_awaiting(out, p);
}

static json_t *change_json(const az_change *ch)
{
	json_t *o = json_object();
	json_object_set_new(o, "path", json_string(ch->path));
	json_object_set_new(o, "op", json_string(ch->op == AZ_CHANGE_ADD      ? "add"
						 : ch->op == AZ_CHANGE_REMOVE ? "remove"
									      : "modify"));
	if (ch->sensitive) {
		json_object_set_new(o, "sensitive", json_true());
	} else {
		if (ch->before)
			json_object_set(o, "before", ch->before);
		if (ch->after)
			json_object_set(o, "after", ch->after);
	}
	if (ch->unknown)
		json_object_set_new(o, "unknown", json_true());
	if (ch->forces_replace)
		json_object_set_new(o, "forcesReplacement", json_true());
	return o;
}

json_t *az_plan_to_json(const az_plan *p)
{
	az_plan_counts c = az_plan_count(p);
	json_t *root = json_object();
	json_object_set_new(root, "formatVersion", json_string(PLAN_FORMAT_VERSION));
	json_object_set_new(root, "azapplyVersion", json_string(AZAPPLY_VERSION));
	json_object_set_new(root, "stack", p->stack ? json_string(p->stack) : json_null());
	json_object_set_new(root, "environment",
			    p->environment ? json_string(p->environment) : json_null());
	json_object_set_new(root, "refreshOnly", json_boolean(p->refresh_only));
	json_object_set_new(root, "destroy", json_boolean(p->destroy));
	json_object_set_new(root, "changes", json_boolean(az_plan_has_changes(p)));
	if (json_object_size(p->component_sources))
		json_object_set_new(root, "componentSources", json_deep_copy(p->component_sources));
	json_object_set_new(root, "summary",
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "add", (json_int_t)c.create,
				      "change", (json_int_t)c.update, "replace", (json_int_t)c.replace,
				      "destroy", (json_int_t)c.destroy, "noop", (json_int_t)c.noop,
				      "deferred", (json_int_t)c.deferred, "refused",
				      (json_int_t)c.refused));
	json_t *resources = json_array();
	for (size_t i = 0; i < p->len; i++) {
		const az_plan_item *it = &p->items[i];
		json_t *r = json_object();
		json_object_set_new(r, "address", json_string(it->address));
		json_object_set_new(r, "kind", json_string(it->kind ? it->kind->name : ""));
		json_object_set_new(r, "id", it->id ? json_string(it->id) : json_null());
		json_object_set_new(r, "action", json_string(az_action_name(it->action)));
		json_object_set_new(r, "adopt", json_boolean(it->adopt));
		if (it->reason)
			json_object_set_new(r, "reason", json_string(it->reason));
		if (it->refused)
			json_object_set_new(r, "refused", json_string(it->refused));
		const char *awaiting = az_plan_item_awaiting(it);
		if (awaiting)
			json_object_set_new(r, "awaitingApproval", json_string(awaiting));
		if (it->pos.file)
			json_object_set_new(r, "manifest",
					    json_pack("{s:s,s:i,s:i}", "file", it->pos.file, "line",
						      it->pos.line, "column", it->pos.col));
		json_t *changes = json_array();
		for (size_t j = 0; j < it->diff.len; j++)
			json_array_append_new(changes, change_json(&it->diff.items[j]));
		json_object_set_new(r, "changes", changes);
		json_array_append_new(resources, r);
	}
	json_object_set_new(root, "resources", resources);
	return root;
}

static const char *action_label(const az_plan_item *it)
{
	switch (it->action) {
	case AZ_ACTION_CREATE: return "+ create";
	case AZ_ACTION_UPDATE:
		if (it->adopt)
			return it->diff.len ? "~ adopt, update" : "~ adopt";
		return "~ update";
	case AZ_ACTION_REPLACE: return "-/+ replace";
	case AZ_ACTION_DELETE: return "- delete";
	case AZ_ACTION_READ: return "read";
	case AZ_ACTION_DEFER: return "? not read yet";
	case AZ_ACTION_NOOP: return it->adopt ? "adopt" : "no-op";
	}
	return "";
}

size_t az_plan_render_markdown(char ***parts_out, const az_plan *p, size_t limit)
{
	az_buf head = AZ_BUF_INIT, sum = AZ_BUF_INIT, first = AZ_BUF_INIT;
	az_buf_printf(&head, "### azapply plan: `%s`", p->stack ? p->stack : "-");
	if (p->environment)
		az_buf_printf(&head, " (%s)", p->environment);
	az_buf_puts(&head, "\n\n");
	az_md_parts ps;
	az_md_parts_init(&ps, limit, head.data);
	summary_line(&sum, p);
	az_buf_printf(&first, "%s**%s**\n\n", head.data, sum.data);
	if (json_object_size(p->component_sources)) {
		render_component_sources(&first, p, "`", "  \n");
		az_buf_putc(&first, '\n');
	}
	if (!count_shown(p)) {
		az_buf_printf(&first, "No changes. Azure matches the manifests (%zu resources).\n",
			      p->len);
		az_md_parts_add(&ps, first.data);
	} else {
		az_buf_puts(&first, "| Action | Resource | Changes |\n|---|---|---|\n");
		az_md_parts_add(&ps, first.data);
		for (size_t i = 0; i < p->len; i++) {
			const az_plan_item *it = &p->items[i];
			if (!shown(it))
				continue;
			char *row = az_xasprintf("| %s%s | `%s` | %zu |\n", action_label(it),
						 it->refused ? " (refused)" : "", it->address,
						 it->diff.len);
			az_md_parts_add(&ps, row);
			free(row);
		}
		az_md_parts_add(&ps, "\n");
		for (size_t i = 0; i < p->len; i++) {
			const az_plan_item *it = &p->items[i];
			if (!shown(it))
				continue;
			az_buf sec = AZ_BUF_INIT;
			az_buf_printf(&sec, "<details><summary><code>%s %s</code> %s</summary>\n\n",
				      symbol(it), it->address, headline(it));
			if (it->reason)
				az_buf_printf(&sec, "%s\n\n", it->reason);
			if (it->refused)
				az_buf_printf(&sec, "**Refused:** %s\n\n", it->refused);
			az_buf_puts(&sec, it->action == AZ_ACTION_READ ? "```\n" : "```diff\n");
			for (size_t j = 0; j < it->diff.len; j++)
				render_item_change(&sec, it, &it->diff.items[j], "");
			az_buf_puts(&sec, "```\n\n</details>\n\n");
			az_md_parts_add(&ps, sec.data);
			az_buf_free(&sec);
		}
	}
	az_buf waiting = AZ_BUF_INIT;
	render_awaiting(&waiting, p, "- ", "`");
	if (waiting.len) {
		az_md_parts_add(&ps, "\n");
		az_md_parts_add(&ps, waiting.data);
	}
	az_buf_free(&waiting);
	az_buf_free(&first);
	az_buf_free(&head);
	az_buf_free(&sum);
	return az_md_parts_finish(&ps, parts_out);
}
