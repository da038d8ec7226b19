/*
 * cmd_drift.c - `azapply drift`: has Azure moved away from git?
 *
 * A scheduled CI job runs this. It reads live state like plan does and
 * reports, per resource, what changed outside azapply (a property diff
 * while the marker's fingerprint still matches the manifest), what is
 * missing, and with --include-unmanaged what sits in a managed scope
 * without any manifest. Exit 0: no drift; 2: drift; 1: error. It also says
 * which git commit last applied each resource (the marker's provenance).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char *const DRIFT_OUTPUTS[] = {"text", "json", "markdown", NULL};

static const az_option DRIFT_OPTIONS[] = {
	{"env", 'e', "NAME", "the environment (from azapply.yaml)", NULL},
	AZ_SELECTOR_OPTION,
	{"parallelism", 'p', "N", "resources in flight at once; requests in flight: twice as many, 128 to 250", NULL},
	{"include-unmanaged", 0, NULL, "also list resources in managed scopes that no manifest declares", NULL},
	{"output", 'o', "FORMAT", "text (default), json or markdown", DRIFT_OUTPUTS},
	{"cloud", 0, "NAME|FILE", "AzureCloud, AzureUSGovernment, AzureChinaCloud or a cloud file", NULL},
	AZ_GIT_OPTIONS,
	{NULL, 0, NULL, NULL, NULL},
};

typedef enum drift_kind {
	DRIFT_NONE,
	DRIFT_CHANGED,   /* changed outside azapply */
	DRIFT_MISSING,   /* declared, not in Azure */
	DRIFT_UNMANAGED, /* in Azure, not declared */
	DRIFT_PENDING,   /* the manifest changed since the last apply: a plan, not drift */
} drift_kind;

static drift_kind classify(const az_plan_item *it)
{
	if (it->unmanaged)
		return DRIFT_UNMANAGED;
	if (!it->live)
		return DRIFT_MISSING;
	if (!it->diff.len)
		return DRIFT_NONE;
	return it->manifest_changed ? DRIFT_PENDING : DRIFT_CHANGED;
}

static const char *drift_name(drift_kind k)
{
	switch (k) {
	case DRIFT_CHANGED: return "changed outside azapply";
	case DRIFT_MISSING: return "missing (deleted outside azapply, or never applied)";
	case DRIFT_UNMANAGED: return "not declared in any manifest";
	case DRIFT_PENDING: return "manifest changed since the last apply (run plan)";
	case DRIFT_NONE: return "in sync";
	}
	return "";
}

static const char *drift_code(drift_kind k)
{
	switch (k) {
	case DRIFT_CHANGED: return "changed";
	case DRIFT_MISSING: return "missing";
	case DRIFT_UNMANAGED: return "unmanaged";
	case DRIFT_PENDING: return "pending";
	case DRIFT_NONE: return "in-sync";
	}
	return "";
}

/* Provenance: which commit last applied each resource (from the marker),
 * as commit -> [addresses]. */
static json_t *applied_commits(const az_plan *plan)
{
	json_t *by_commit = json_object();
	for (size_t i = 0; i < plan->len; i++) {
		char *commit = az_plan_item_commit(&plan->items[i]);
		if (!commit)
			continue;
		json_t *list = json_object_get(by_commit, commit);
		if (!list) {
			list = json_array();
			json_object_set_new(by_commit, commit, list);
		}
		json_array_append_new(list, json_string(plan->items[i].address));
		free(commit);
	}
	return by_commit;
}

/* Below the markdown table: what changed, property by property, for each
 * resource changed outside azapply (a reviewer acts on the values). */
static void render_markdown_changes(az_buf *out, const az_plan *plan)
{
	for (size_t i = 0; i < plan->len; i++) {
		const az_plan_item *it = &plan->items[i];
		if (classify(it) != DRIFT_CHANGED)
			continue;
		az_buf_printf(out, "\n<details><summary><code>%s</code> %s</summary>\n\n```\n",
			      it->address, drift_name(DRIFT_CHANGED));
		for (size_t j = 0; j < it->diff.len; j++)
			az_change_render_outside(out, &it->diff.items[j], "");
		az_buf_puts(out, "```\n\n</details>\n");
	}
}

static size_t render(az_buf *out, const az_plan *plan, az_format format)
{
	size_t drifted = 0;
	json_t *arr = json_array();
	if (format == AZ_FORMAT_MARKDOWN)
		az_buf_printf(out, "### azapply drift: `%s`%s%s%s\n\n| Resource | Drift |\n|---|---|\n",
			      plan->stack ? plan->stack : "-", plan->environment ? " (" : "",
			      plan->environment ? plan->environment : "", plan->environment ? ")" : "");
	for (size_t i = 0; i < plan->len; i++) {
		const az_plan_item *it = &plan->items[i];
		drift_kind k = classify(it);
		if (k == DRIFT_NONE)
			continue;
		drifted += k != DRIFT_PENDING;
		char *commit = az_plan_item_commit(it);
		if (format == AZ_FORMAT_JSON) {
			json_t *o = json_pack("{s:s,s:s,s:s?,s:s?}", "address", it->address, "drift",
					      drift_code(k), "id", it->id, "lastAppliedCommit", commit);
			json_t *changes = json_array();
			/* A missing resource is one finding, not one per property. */
			for (size_t j = 0; j < it->diff.len && k != DRIFT_MISSING; j++) {
				const az_change *ch = &it->diff.items[j];
				json_t *c = json_pack("{s:s}", "path", ch->path);
				if (ch->sensitive) {
					json_object_set_new(c, "sensitive", json_true());
				} else {
					if (ch->before)
						json_object_set(c, "live", ch->before);
					if (ch->after)
						json_object_set(c, "manifest", ch->after);
				}
				json_array_append_new(changes, c);
			}
			json_object_set_new(o, "changes", changes);
			json_array_append_new(arr, o);
		} else if (format == AZ_FORMAT_MARKDOWN) {
			az_buf_printf(out, "| `%s` | %s |\n", it->address, drift_name(k));
		} else {
			az_buf_printf(out, "%s: %s\n", it->address, drift_name(k));
			if (commit)
				az_buf_printf(out, "    last applied from commit %s\n", commit);
			for (size_t j = 0; j < it->diff.len && k == DRIFT_CHANGED; j++)
				az_change_render_outside(out, &it->diff.items[j], "    ");
		}
		free(commit);
	}
	if (format == AZ_FORMAT_MARKDOWN)
		render_markdown_changes(out, plan);
	json_t *commits = applied_commits(plan);
	if (format == AZ_FORMAT_JSON) {
		json_t *root = json_pack("{s:s,s:s?,s:s?,s:b,s:o,s:O}", "formatVersion", "1", "stack",
					 plan->stack, "environment", plan->environment, "drift",
					 drifted > 0, "resources", arr, "lastAppliedCommits", commits);
		/* Not drift: what Azure waits for from someone else; only when
		 * something does, as the plan's own field. */
		json_t *awaiting = json_array();
		for (size_t i = 0; i < plan->len; i++) {
			const char *status = az_plan_item_awaiting(&plan->items[i]);
			if (status)
				json_array_append_new(awaiting,
						      json_pack("{s:s,s:s}", "address",
								plan->items[i].address, "status",
								status));
		}
		if (json_array_size(awaiting))
			json_object_set(root, "awaitingApproval", awaiting);
		json_decref(awaiting);
		char *s = az_json_dumps(root, JSON_INDENT(2));
		az_buf_puts(out, s);
		az_buf_putc(out, '\n');
		free(s);
		json_decref(root);
	} else {
		json_decref(arr);
		if (!drifted)
			az_buf_printf(out, "No drift: Azure matches the manifests (%zu resources).\n",
				      plan->len);
		else
			az_buf_printf(out, "%sDrift: %zu resource%s differ%s from the manifests.\n",
				      format == AZ_FORMAT_MARKDOWN ? "\n" : "\n", drifted,
				      drifted == 1 ? "" : "s", drifted == 1 ? "s" : "");
		/* Not drift: what Azure waits for from someone else. */
		az_plan_render_awaiting(out, plan);
		const char *label;
		json_t *addresses;
		json_object_foreach(commits, label, addresses) {
			size_t n = json_array_size(addresses);
			az_buf_printf(out, "Last applied from commit %s: %zu resource%s.\n", label, n,
				      n == 1 ? "" : "s");
		}
	}
	json_decref(commits);
	return drifted;
}

static int drift_exec(const az_args *args)
{
	az_format format = az_cmd_format(args);
	az_plan_options po = {.refresh_only = true,
			      .include_unmanaged = az_arg_flag(args, "include-unmanaged")};
	/* Checked before anything loads, so a bad value is a usage error;
	 * az_cmd_open_session hands it to the HTTP client. */
	int parallelism = 0;
	if (az_cmd_parallelism(args, &parallelism) != 0)
		return AZ_EXIT_USAGE;
	az_cmd_run run;
	int rc = AZ_EXIT_ERROR;
	if (az_cmd_run_plan(&run, args, &po) == 0) {
		az_buf out = AZ_BUF_INIT;
		size_t drifted = render(&out, &run.plan, format);
		fputs(out.data, stdout);
		az_buf_free(&out);
		rc = drifted ? AZ_EXIT_CHANGES : AZ_EXIT_OK;
	}
	az_cmd_run_finish(&run, args, format);
	return rc;
}

const az_command cmd_drift = {
	.name = "drift",
	.summary = "Report where Azure has drifted from the manifests",
	.usage = "azapply drift [DIR] [--env NAME] [--selector KEY=VALUE]... [--include-unmanaged] [--parallelism N] [--output text|json|markdown] "
		 "[--git-ref REF [--repo PATH]]",
	.description =
		"Reads live state and reports, per resource: changed outside azapply (with the\n"
		"property diff), missing, and with --include-unmanaged, resources in managed\n"
		"scopes that no manifest declares. Changes made to the manifests since the last\n"
		"apply are shown as pending, not as drift. Nothing is changed.\n"
		"Exit 0: no drift; 2: drift; 1: error. Meant for a scheduled CI job.",
	.options = DRIFT_OPTIONS,
	.max_positional = 1,
	.exec = drift_exec,
};
