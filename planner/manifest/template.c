/*
 * template.c - expressions inside manifest strings.
 *
 * Grammar (no nesting, no whitespace inside the braces):
 *   ${var.NAME}               a variable from azapply.yaml
 *   ${env.NAME}               the process environment (CI secrets)
 *   ${ref.Kind.name}          the Azure id of another resource
 *   ${ref.Kind.name.a.b.c}    a property of its live body
 *   ${each.key}, ${each.value.x} only with metadata.forEach (foreach.c)
 *   ${component.INSTANCE.outputs.NAME}  an output of a component instance,
 *                             replaced by the loader (component.c)
 *   ${ref.INSTANCE/Kind.name[.path]}  a resource inside a component
 *                             instance: only the loader writes this form,
 *                             when it instantiates a component
 *   $${                       a literal "${" (read left to right)
 *   NAME, Kind: [A-Za-z_][A-Za-z0-9_]*
 *   name, path segments: [A-Za-z0-9_-]+
 *
 * A resource name inside a reference may not contain '.', because the dot
 * separates the path: ${ref.Kind.a.b} could otherwise mean name "a.b" or
 * name "a" with path "b". Names with dots cannot be referenced; the Azure
 * names azapply manages (Synapse artifacts, workspaces, pools, storage
 * accounts) cannot contain dots anyway.
 *
 * Errors point at the column of the offending character when the string
 * maps one to one onto its source line (see az_mf_pos_at).
 */
#include "manifest_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct tparse {
	const char *s;
	const az_pos *pos;
	bool exact;
	az_diags *d;
	az_template *t;
	size_t cap;
} tparse;

static int fail_at(tparse *p, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(tparse *p, size_t offset, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = az_xvasprintf(fmt, ap);
	va_end(ap);
	az_pos at = p->pos ? az_mf_pos_at(p->pos, p->exact, p->s, offset) : (az_pos){0};
	az_diag_add(p->d, AZ_SEV_ERROR, p->pos ? &at : NULL, NULL, "%s", msg);
	free(msg);
	return AZ_EINVALID;
}

static az_part *add_part(tparse *p, az_part_type type, size_t offset, size_t length)
{
	az_template *t = p->t;
	if (t->len == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		t->parts = az_xrealloc(t->parts, p->cap * sizeof(*t->parts));
	}
	az_part *part = &t->parts[t->len++];
	memset(part, 0, sizeof(*part));
	part->type = type;
	part->offset = offset;
	part->length = length;
	return part;
}

static bool ident_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

static bool name_char(char c)
{
	return ident_char(c) || c == '-';
}

/* Checks s[from..to) as one segment; false with *bad at the first bad
 * character (at `from` for an empty segment). */
static bool segment_ok(const char *s, size_t from, size_t to, bool identifier, size_t *bad)
{
	*bad = from;
	if (from == to)
		return false;
	for (size_t i = from; i < to; i++) {
		bool ok = identifier ? (i == from ? ident_start(s[i]) : ident_char(s[i]))
		                     : name_char(s[i]);
		if (!ok) {
			*bad = i;
			return false;
		}
	}
	return true;
}

static int bad_segment(tparse *p, size_t at, size_t end, const char *what)
{
	char c = p->s[at];
	if (at == end || c == '.')
		return fail_at(p, at, "empty %s in expression", what);
	if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
		return fail_at(p, at, "invalid character '%c' in %s", c, what);
	return fail_at(p, at, "invalid character (byte 0x%02X) in %s", (unsigned)(unsigned char)c,
	               what);
}

/* component.INSTANCE.outputs.NAME, s[start..end). */
static int parse_component(tparse *p, size_t open, size_t start, size_t end)
{
	const char *s = p->s;
	size_t a = start + 10, bad;
	const char *d1 = a <= end ? memchr(s + a, '.', end - a) : NULL;
	size_t inst_end = d1 ? (size_t)(d1 - s) : end;
	if (a > end || !d1 || !segment_ok(s, a, inst_end, false, &bad) ||
	    end - inst_end < 9 || memcmp(s + inst_end, ".outputs.", 9))
		return fail_at(p, start, "%s",
		               "expected ${component.INSTANCE.outputs.NAME} (inside a component, "
		               "${component.name})");
	size_t b = inst_end + 9;
	if (!segment_ok(s, b, end, false, &bad))
		return bad_segment(p, bad, end, "output name");
	az_part *part = add_part(p, AZ_PART_COMPONENT, open, end + 1 - open);
	part->text = az_xstrndup(s + start, end - start);
	part->ref_instance = az_xstrndup(s + a, inst_end - a);
	part->ref_name = az_xstrndup(s + b, end - b);
	return 0;
}

/* s[start..end) is what stands between "${" and "}". */
static int parse_expr(tparse *p, size_t open, size_t start, size_t end)
{
	const char *s = p->s;
	if (start == end)
		return fail_at(p, open, "%s", "empty expression '${}'");
	const char *dot = memchr(s + start, '.', end - start);
	size_t ns_end = dot ? (size_t)(dot - s) : end;
	size_t ns_len = ns_end - start;
	az_part_type type;
	if (ns_len == 3 && !memcmp(s + start, "var", 3))
		type = AZ_PART_VAR;
	else if (ns_len == 3 && !memcmp(s + start, "env", 3))
		type = AZ_PART_ENV;
	else if (ns_len == 3 && !memcmp(s + start, "ref", 3))
		type = AZ_PART_REF;
	else if (ns_len == 9 && !memcmp(s + start, "component", 9))
		return parse_component(p, open, start, end);
	else if (ns_len == 5 && !memcmp(s + start, "input", 5))
		/* Replaced by manifest/component.c inside a component. */
		return fail_at(p, start, "%s",
		               "${input...} outside a component (a component's inputs are "
		               "declared in its component.yaml)");
	else if (ns_len == 4 && !memcmp(s + start, "each", 4))
		/* Left by manifest/foreach.c only where there is no forEach. */
		return fail_at(p, start, "%s",
		               "${each...} in a manifest without metadata.forEach (expected "
		               "var., env. or ref.)");
	else {
		char *ns = az_xstrndup(s + start, ns_len);
		char q[AZ_QUOTE_SIZE];
		fail_at(p, start, "unknown expression '%s' (expected var., env. or ref.)",
		        az_quote(q, ns));
		free(ns);
		return AZ_EINVALID;
	}
	if (!dot)
		return fail_at(p, ns_end, "expected '.' and a name after '%s'",
		               type == AZ_PART_VAR   ? "var"
		               : type == AZ_PART_ENV ? "env"
		                                     : "ref");
	size_t a = ns_end + 1;
	if (type != AZ_PART_REF) {
		size_t bad;
		if (!segment_ok(s, a, end, true, &bad))
			return bad_segment(p, bad, end,
			                   type == AZ_PART_VAR ? "variable name"
			                                       : "environment variable name");
		az_part *part = add_part(p, type, open, end + 1 - open);
		part->text = az_xstrndup(s + a, end - a);
		return 0;
	}
	/* ref.[INSTANCE/]Kind.name[.path] */
	const char *d2 = memchr(s + a, '.', end - a);
	size_t kind_end = d2 ? (size_t)(d2 - s) : end;
	size_t bad, instance_start = a, instance_end = a;
	const char *slash = memchr(s + a, '/', kind_end - a);
	if (slash) {
		instance_end = (size_t)(slash - s);
		if (!segment_ok(s, instance_start, instance_end, false, &bad))
			return bad_segment(p, bad, end, "component instance of a reference");
		a = instance_end + 1;
	}
	if (!segment_ok(s, a, kind_end, true, &bad))
		return bad_segment(p, bad, end, "kind of a reference");
	if (!d2)
		return fail_at(p, kind_end, "%s",
		               "expected '.' and a resource name after the kind "
		               "(${ref.Kind.name[.path]})");
	size_t b = kind_end + 1;
	const char *d3 = memchr(s + b, '.', end - b);
	size_t name_end = d3 ? (size_t)(d3 - s) : end;
	if (!segment_ok(s, b, name_end, false, &bad))
		return bad_segment(p, bad, end, "resource name of a reference");
	size_t path_start = d3 ? name_end + 1 : end;
	if (d3) {
		size_t seg = path_start;
		for (size_t i = path_start; i <= end; i++) {
			if (i < end && s[i] != '.')
				continue;
			if (!segment_ok(s, seg, i, false, &bad))
				return bad_segment(p, bad, end, "path of a reference");
			seg = i + 1;
		}
	}
	az_part *part = add_part(p, AZ_PART_REF, open, end + 1 - open);
	part->text = az_xstrndup(s + start, end - start);
	part->ref_kind = az_xstrndup(s + a, kind_end - a);
	part->ref_name = az_xstrndup(s + b, name_end - b);
	part->ref_path = az_xstrndup(s + path_start, end - path_start);
	if (slash)
		part->ref_instance = az_xstrndup(s + instance_start, instance_end - instance_start);
	return 0;
}

static void flush_literal(tparse *p, az_buf *lit, size_t lit_start, size_t here)
{
	if (here == lit_start)
		return;
	az_part *part = add_part(p, AZ_PART_LITERAL, lit_start, here - lit_start);
	part->text = az_buf_detach(lit);
}

int az_mf_template_parse(az_template **out, const char *s, const az_pos *pos, bool exact,
                         az_diags *d)
{
	tparse p = {.s = s, .pos = pos, .exact = exact, .d = d};
	az_buf lit = AZ_BUF_INIT;
	size_t lit_start = 0, i = 0;
	int error = 0;

	*out = NULL;
	p.t = az_xcalloc(1, sizeof(az_template));
	while (s[i]) {
		if (s[i] == '$' && s[i + 1] == '$' && s[i + 2] == '{') {
			az_buf_add(&lit, "${", 2);
			i += 3;
			continue;
		}
		if (s[i] == '$' && s[i + 1] == '{') {
			const char *close = strchr(s + i + 2, '}');
			if (!close) {
				error = fail_at(&p, i, "%s",
				                "unterminated '${' (no closing '}'; write $${ "
				                "for a literal ${)");
				goto done;
			}
			flush_literal(&p, &lit, lit_start, i);
			size_t end = (size_t)(close - s);
			error = parse_expr(&p, i, i + 2, end);
			if (error)
				goto done;
			i = end + 1;
			lit_start = i;
			continue;
		}
		az_buf_putc(&lit, s[i++]);
	}
	flush_literal(&p, &lit, lit_start, i);
	*out = p.t;
	p.t = NULL;
done:
	az_buf_free(&lit);
	az_template_free(p.t);
	return error;
}

int az_template_parse(az_template **out, const char *s, const az_pos *pos, az_diags *d)
{
	return az_mf_template_parse(out, s, pos, true, d);
}

bool az_template_has_refs(const az_template *t)
{
	for (size_t i = 0; t && i < t->len; i++)
		if (t->parts[i].type == AZ_PART_REF)
			return true;
	return false;
}

bool az_template_is_literal(const az_template *t)
{
	for (size_t i = 0; t && i < t->len; i++)
		if (t->parts[i].type != AZ_PART_LITERAL)
			return false;
	return true;
}

void az_template_free(az_template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->len; i++) {
		free(t->parts[i].text);
		free(t->parts[i].ref_kind);
		free(t->parts[i].ref_name);
		free(t->parts[i].ref_path);
		free(t->parts[i].ref_instance);
	}
	free(t->parts);
	free(t);
}

char *az_ref_address(const az_part *p)
{
	if (p->ref_instance)
		return az_xasprintf("%s/%s/%s", p->ref_instance, p->ref_kind, p->ref_name);
	return az_xasprintf("%s/%s", p->ref_kind, p->ref_name);
}

bool az_string_has_expr(const char *s)
{
	return strstr(s, "${") != NULL;
}
