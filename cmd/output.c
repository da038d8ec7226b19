/*
 * output.c - how diagnostics reach the user: `file:line:col: error: message`
 * lines (the form editors and CI log viewers link), a JSON array for tools,
 * and GitHub Actions annotations so errors show on the pull request's diff.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

bool az_use_color(FILE *f, const az_args *args)
{
	if (args && args->no_color)
		return false;
	const char *no_color = getenv("NO_COLOR");
	if (no_color && *no_color)
		return false;
	const char *term = getenv("TERM");
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fileno(f));
}

static const char *severity_name(az_severity s)
{
	switch (s) {
	case AZ_SEV_ERROR: return "error";
	case AZ_SEV_WARNING: return "warning";
	case AZ_SEV_NOTE: return "note";
	}
	return "error";
}

static const char *severity_color(az_severity s)
{
	switch (s) {
	case AZ_SEV_ERROR: return "\033[1;31m";
	case AZ_SEV_WARNING: return "\033[1;33m";
	case AZ_SEV_NOTE: return "\033[1;36m";
	}
	return "";
}

/* GitHub workflow commands: the message escapes %, CR and LF; properties
 * also escape ':' and ','. */
static void gh_escape(FILE *out, const char *s, bool property)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '%': fputs("%25", out); break;
		case '\r': fputs("%0D", out); break;
		case '\n': fputs("%0A", out); break;
		case ':': property ? fputs("%3A", out) : fputc(':', out); break;
		case ',': property ? fputs("%2C", out) : fputc(',', out); break;
		default: fputc(*s, out);
		}
	}
}

static void print_github(FILE *out, const az_diag *x)
{
	fprintf(out, "::%s ", x->severity == AZ_SEV_ERROR ? "error" :
			      x->severity == AZ_SEV_WARNING ? "warning" : "notice");
	if (x->file) {
		fputs("file=", out);
		gh_escape(out, x->file, true);
		if (x->line)
			fprintf(out, ",line=%d", x->line);
		if (x->col)
			fprintf(out, ",col=%d", x->col);
		fputc(',', out);
	}
	fputs("title=azapply::", out);
	if (x->address) {
		gh_escape(out, x->address, false);
		fputs(": ", out);
	}
	gh_escape(out, x->summary, false);
	if (x->detail) {
		fputs("%0A", out);
		gh_escape(out, x->detail, false);
	}
	fputc('\n', out);
}

static void print_text(FILE *out, const az_diag *x, bool color)
{
	if (x->file) {
		fprintf(out, "%s", x->file);
		if (x->line)
			fprintf(out, ":%d", x->line);
		if (x->line && x->col)
			fprintf(out, ":%d", x->col);
		fputs(": ", out);
	} else {
		fputs("azapply: ", out);
	}
	fprintf(out, "%s%s:%s %s\n", color ? severity_color(x->severity) : "",
		severity_name(x->severity), color ? "\033[0m" : "", x->summary);
	if (x->address && x->detail)
		fprintf(out, "  %s: %s\n", x->address, x->detail);
	else if (x->address)
		fprintf(out, "  in %s\n", x->address);
	else if (x->detail)
		fprintf(out, "  %s\n", x->detail);
	if (x->http_status || x->code || x->request_id) {
		fputs("  Azure:", out);
		if (x->http_status)
			fprintf(out, " HTTP %d", x->http_status);
		if (x->code)
			fprintf(out, " %s", x->code);
		if (x->request_id)
			fprintf(out, " (request id %s", x->request_id);
		if (x->request_id && x->correlation_id)
			fprintf(out, ", correlation id %s", x->correlation_id);
		if (x->request_id)
			fputc(')', out);
		fputc('\n', out);
	}
}

static json_t *diag_json(const az_diag *x)
{
	json_t *o = json_object();
	json_object_set_new(o, "severity", json_string(severity_name(x->severity)));
	json_object_set_new(o, "message", json_string(x->summary));
	if (x->detail)
		json_object_set_new(o, "detail", json_string(x->detail));
	if (x->file) {
		json_object_set_new(o, "file", json_string(x->file));
		json_object_set_new(o, "line", json_integer(x->line));
		json_object_set_new(o, "column", json_integer(x->col));
	}
	if (x->address)
		json_object_set_new(o, "address", json_string(x->address));
	if (x->http_status)
		json_object_set_new(o, "httpStatus", json_integer(x->http_status));
	if (x->code)
		json_object_set_new(o, "code", json_string(x->code));
	if (x->request_id)
		json_object_set_new(o, "requestId", json_string(x->request_id));
	if (x->correlation_id)
		json_object_set_new(o, "correlationId", json_string(x->correlation_id));
	return o;
}

void az_print_diags(FILE *out, const az_diags *d, az_format format, bool color)
{
	if (format == AZ_FORMAT_JSON) {
		json_t *arr = json_array();
		for (size_t i = 0; i < d->len; i++)
			json_array_append_new(arr, diag_json(&d->items[i]));
		json_dumpf(arr, out, JSON_INDENT(2));
		fputc('\n', out);
		json_decref(arr);
		return;
	}
	const char *gh = getenv("GITHUB_ACTIONS");
	bool github = gh && strcmp(gh, "true") == 0;
	for (size_t i = 0; i < d->len; i++) {
		print_text(out, &d->items[i], color);
		if (github)
			print_github(out, &d->items[i]);
	}
}

int az_open_source(az_file_source *out, const char *dir, az_diags *d)
{
	return az_file_source_dir(out, dir ? dir : ".", d);
}
