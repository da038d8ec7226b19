/*
 * output.c - how text reaches the user: stdout and stderr with every known
 * secret blanked out, and diagnostics as `file:line:col: error: message`
 * lines (the form editors and CI log viewers link), a JSON array for tools,
 * and GitHub Actions annotations so errors show on the pull request's diff.
 */
#define _GNU_SOURCE /* fopencookie */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* ---------------------------------------------------------------------
 * The way out. What azapply prints is written by many hands: diagnostics
 * here, the HTTP trace in providers/http, progress lines in cmd_apply.c,
 * plans in planner/render.c; any of it may carry a secret Azure echoed (a
 * password that "does not meet the complexity requirements"). Blanking
 * secrets where diagnostics are made would cover those alone, and a
 * diagnostic's text is copied and rewritten on its way up. So redaction
 * sits where text leaves the process: stdout and stderr are replaced by
 * streams that pass every byte through az_secret_redact_into() before it
 * reaches the descriptor, whoever wrote it.
 */
typedef struct guard {
	int fd;
	FILE *original;
	FILE *stream;
	az_buf pending; /* a tail that may be the start of a secret */
	bool written;   /* anything at all was written */
} guard;

static guard guards[2];

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes what is pending, redacted; with `more`, keeps a tail that may be
 * the beginning of a secret until the next write shows the rest. */
static int guard_drain(guard *g, bool more)
{
	if (!g->pending.len)
		return 0;
	az_buf out = AZ_BUF_INIT;
	size_t used = az_secret_redact_into(&out, g->pending.data, g->pending.len, more);
	memmove(g->pending.data, g->pending.data + used, g->pending.len - used);
	g->pending.len -= used;
	g->pending.data[g->pending.len] = '\0';
	int rc = out.len ? write_all(g->fd, out.data, out.len) : 0;
	az_buf_free(&out);
	return rc;
}

static ssize_t guard_write(void *cookie, const char *buf, size_t size)
{
	guard *g = cookie;
	g->written |= size > 0;
	az_buf_add(&g->pending, buf, size);
	return guard_drain(g, true) == 0 ? (ssize_t)size : -1;
}

static int guard_close(void *cookie)
{
	guard *g = cookie;
	int rc = guard_drain(g, false);
	az_buf_free(&g->pending);
	return rc == 0 ? 0 : EOF;
}

void az_output_guard(void)
{
	static const cookie_io_functions_t io = {.write = guard_write, .close = guard_close};
	FILE **streams[2] = {&stdout, &stderr};
	for (int i = 0; i < 2; i++) {
		guard *g = &guards[i];
		fflush(*streams[i]);
		g->fd = fileno(*streams[i]);
		g->original = *streams[i];
		g->stream = fopencookie(g, "w", io);
		if (!g->stream) {
			/* Only out of memory; printing unguarded is no option. */
			fputs("azapply: fatal: cannot set up the output\n", g->original);
			abort();
		}
		/* A terminal sees each line as it is written, as before; stderr
		 * was unbuffered, and a line at a time keeps it as prompt. */
		setvbuf(g->stream, NULL, i == 1 || isatty(g->fd) ? _IOLBF : _IOFBF, BUFSIZ);
		*streams[i] = g->stream;
	}
}

int az_output_end(void)
{
	int rc = 0, stdout_errno = 0;
	FILE **streams[2] = {&stdout, &stderr};
	for (int i = 0; i < 2; i++) {
		guard *g = &guards[i];
		if (!g->stream || *streams[i] != g->stream)
			continue;
		if (fclose(g->stream) != 0 && i == 0) {
			rc = -1;
			stdout_errno = errno;
		}
		*streams[i] = g->original;
		g->stream = NULL;
	}
	if (rc)
		errno = stdout_errno;
	return rc;
}

bool az_output_stdout_written(void)
{
	return guards[0].written;
}

/* The descriptor under a stream, also a guarded one (whose fileno is -1). */
static int stream_fd(FILE *f)
{
	for (int i = 0; i < 2; i++)
		if (guards[i].stream && f == guards[i].stream)
			return guards[i].fd;
	return fileno(f);
}

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
	return isatty(stream_fd(f));
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
 * also escape ':' and ','. An escaped secret ("%3A" for its ':') would slip
 * past the filter on the way out, so it is blanked before escaping. */
static void gh_escape(FILE *out, const char *text, bool property)
{
	char *safe = az_secret_redact(text);
	for (const char *s = safe; *s; s++) {
		switch (*s) {
		case '%': fputs("%25", out); break;
		case '\r': fputs("%0D", out); break;
		case '\n': fputs("%0A", out); break;
		case ':': property ? fputs("%3A", out) : fputc(':', out); break;
		case ',': property ? fputs("%2C", out) : fputc(',', out); break;
		default: fputc(*s, out);
		}
	}
	free(safe);
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

/* A detail of several lines (what each credential tried, an ARM error's
 * details) keeps its lines under the first, not at the margin. */
static void put_detail(FILE *out, const char *detail, int indent)
{
	for (const char *p = detail; *p; p++) {
		fputc(*p, out);
		if (*p == '\n' && p[1])
			fprintf(out, "%*s", indent, "");
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
		fprintf(out, "  %s: ", x->address);
	else if (x->address)
		fprintf(out, "  in %s\n", x->address);
	else if (x->detail)
		fputs("  ", out);
	if (x->detail)
		put_detail(out, x->detail, x->address ? 4 : 2);
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

json_t *az_diag_json(const az_diag *x)
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

void az_print_diags_object(FILE *out, const az_diags *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < d->len; i++)
		json_array_append_new(arr, az_diag_json(&d->items[i]));
	json_t *o = json_pack("{s:o}", "diagnostics", arr);
	json_dumpf(o, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(o);
}

void az_print_diags(FILE *out, const az_diags *d, az_format format, bool color)
{
	if (format == AZ_FORMAT_JSON) {
		json_t *arr = json_array();
		for (size_t i = 0; i < d->len; i++)
			json_array_append_new(arr, az_diag_json(&d->items[i]));
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
	int error = az_file_source_dir(out, dir ? dir : ".", d);
	/* Components pinned to a commit come from the repository holding
	 * the directory. */
	if (!error)
		az_git_attach_revisions(out, dir ? dir : ".");
	return error;
}
