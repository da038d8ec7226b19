/*
 * manifest_int.h - what the files of the manifest loader share and nobody
 * else needs: the source map's extra facts (where a key stood, whether a
 * string's bytes match its source text one for one, so an error inside it
 * can point at the exact column), JSON Pointer building, and the template
 * parser variant that knows about that exactness.
 */
#ifndef AZAPPLY_MANIFEST_INT_H
#define AZAPPLY_MANIFEST_INT_H

#include <azapply/manifest.h>

/* One source map entry: the node's position, and for a mapping member the
 * position of its key (duplicate-key errors name the first key's line). */
typedef struct az_mf_loc {
	az_pos pos;
	int key_line; /* 0 when the node is not a mapping member */
	int key_col : 31;
	/* The string's bytes are its source text (a one-line plain scalar, or a
	 * quoted one without escapes): column = pos.col + characters before.
	 * A bit beside key_col: a stack holds a few hundred thousand of these. */
	unsigned exact : 1;
} az_mf_loc;

/* Sets the entry for pointer[0..len). */
void az_mf_map_put(az_srcmap *m, const char *pointer, size_t len, const az_mf_loc *loc);
/* The entries of `scratch` in a new map of their exact size, and `scratch`
 * emptied: the parser builds every document's map in one scratch map, so
 * a document's map is allocated once instead of grown a dozen times (the
 * growth was a tenth of validate's CPU at 50,001 resources). */
az_srcmap *az_mf_map_take(az_srcmap *scratch);
/* Empties `m`, keeping its allocations for reuse. */
void az_mf_map_clear(az_srcmap *m);
/* The entry for exactly pointer[0..len), or NULL (no ancestor fallback). */
const az_mf_loc *az_mf_map_find(const az_srcmap *m, const char *pointer, size_t len);
/* Where the key of the member at `pointer` was written, else the nearest
 * position the map has. */
az_pos az_mf_key_pos(const az_srcmap *m, const char *pointer);
/* az_mf_key_pos of member `key` of the mapping at JSON Pointer `parent`:
 * where an unknown or misspelt key was written. */
az_pos az_mf_member_key_pos(const az_srcmap *m, const char *parent, const char *key);
/* Copies every entry of `src` whose pointer starts with `src_prefix` (as a
 * whole segment) to `dst`, with that prefix replaced by `dst_prefix`. */
void az_mf_map_copy(az_srcmap *dst, const char *dst_prefix, const az_srcmap *src,
                    const char *src_prefix);

/* Records that the value at pointer[0..len) of `m` came from a secret
 * (az_manifest.sensitive), once. */
void az_mf_add_sensitive(az_manifest *m, const char *ptr, size_t len);
/* Appends "/" and `key` escaped per RFC 6901 ('~' -> "~0", '/' -> "~1"). */
void az_mf_ptr_push(az_buf *b, const char *key, size_t len);
void az_mf_ptr_push_index(az_buf *b, size_t index);

/* The position of byte `offset` of a string that starts at `loc`: exact when
 * the string maps one to one onto its source line, else the string's start. */
az_pos az_mf_pos_at(const az_pos *start, bool exact, const char *s, size_t offset);

/* az_mf_pos_at for increasing offsets into one string, in one pass: each
 * call carries the column on from the last. Finding each expression's
 * column from the string's start made 200,000 expressions in one string
 * take minutes. */
typedef struct az_mf_cursor {
	az_pos start;
	const char *s;
	bool exact;
	size_t offset; /* scanned up to here */
	int chars;     /* characters in s[0..offset) */
	bool newline;  /* s[0..offset) holds a newline */
} az_mf_cursor;

void az_mf_cursor_init(az_mf_cursor *c, const az_pos *start, bool exact, const char *s);
/* A cursor over string `s`, the value at pointer[0..len) of `map`. */
void az_mf_string_cursor(az_mf_cursor *c, const az_srcmap *map, const char *pointer, size_t len,
                         const char *s);
/* `offset` may not be less than the one asked for before. */
az_pos az_mf_cursor_pos(az_mf_cursor *c, size_t offset);

/* az_template_parse, told whether `pos` allows exact columns. */
int az_mf_template_parse(az_template **out, const char *s, const az_pos *pos, bool exact,
                         az_diags *d);

/* The variables of one environment (vardefs.c): every definition in
 * azapply.yaml is checked (${env} and ${ref} are not allowed in one) and
 * the cycles among the environment's definitions are reported at each
 * variable's definition. */
typedef struct az_mf_vars az_mf_vars;
az_mf_vars *az_mf_vars_new(const az_project *p, const char *env, az_diags *d);
void az_mf_vars_free(az_mf_vars *vs);
/* Variable `name`'s value for the environment, resolved on first use
 * (plain text, not template syntax); borrowed. NULL when it has none (said
 * at `at`) or when a definition it needs failed (said there). */
json_t *az_mf_vars_get(az_mf_vars *vs, const char *name, const az_pos *at);
/* Appends a variable's value to a string being built, as template syntax
 * (`escape`) or plain text; false after reporting a mapping or a sequence,
 * which cannot be part of a string. */
bool az_mf_vars_put(az_mf_vars *vs, az_buf *out, const char *name, json_t *v, const az_pos *at,
                    bool escape);
/* "dev, prod", or "none", for messages; caller frees. */
char *az_mf_known_environments(const az_project *p);
/* Appends literal text in template syntax: '{' after '$' gets one more '$'
 * (vars.c). */
void az_mf_put_text(az_buf *out, const char *s, size_t len);

/* Copies template text s[*i..] to `out` up to the next expression that
 * starts with `prefix` ("${each.") and has its '}' (a literal "$${" is
 * copied as it is); returns that '}' with *i at the expression's '$', or
 * NULL with *i at the end of `s` (vars.c). */
const char *az_mf_next_expr(const char *s, size_t *i, const char *prefix, az_buf *out);

/* A copy of `v` whose strings are in template syntax (vars.c). */
json_t *az_mf_escaped_copy(json_t *v);

/* Calls `fn` on every string below `v`, whose JSON Pointer is in `ptr`
 * (restored on return), and puts what it returns (a new reference) in the
 * string's place; returns fn's replacement for `v` itself when `v` is a
 * string (vars.c). */
typedef json_t *(*az_mf_string_fn)(void *ud, json_t *s, const char *ptr, size_t len);
json_t *az_mf_walk_strings(json_t *v, az_buf *ptr, az_mf_string_fn fn, void *ud);

/* az_mf_walk_strings over every member of a manifest body but kind and
 * apiVersion, which select code and are never templated (vars.c). */
void az_mf_walk_body(json_t *body, az_mf_string_fn fn, void *ud);

/* An output's expression (NAME: EXPR or NAME: {value: EXPR}), borrowed,
 * with its JSON Pointer ("/outputs/NAME[/value]") in `ptr` (component.c). */
json_t *az_mf_output_expression(json_t *output, const char *name, az_buf *ptr);

/* Frees what a manifest owns (load.c). */
void az_mf_manifest_clear(az_manifest *m);

/* A forEach key or a component instance, input or output name: letters,
 * digits, '-' and '_', because it becomes part of an address and of Azure
 * names (foreach.c). False for NULL and "". */
bool az_mf_plain_name(const char *s);

/* metadata.forEach (foreach.c): replaces every manifest that has one by
 * an instance per key, ${each...} replaced in its strings. */
int az_mf_foreach_expand(az_manifest_set *set, az_diags *d);

/* Sets kind, name and address from the body (again, after the body changed:
 * the old strings may have been freed). */
void az_mf_refresh_identity(az_manifest *m);

/* The loader's own bookkeeping, shared with studio.c: the display path
 * "<root>/<rel>" (caller frees); a file the set has read (returns its
 * display path, owned by the set); a new zeroed manifest at the end of
 * the set (moves the others); `ref` joined to the folder of
 * `manifest_rel`, or NULL when it would leave the root. */
char *az_mf_display_path(const az_manifest_set *set, const char *rel);
const char *az_mf_add_file(az_manifest_set *set, const char *rel);
az_manifest *az_mf_add_manifest(az_manifest_set *set);
char *az_mf_join_inside(const char *manifest_rel, const char *ref);

/* A file read and parsed into documents: its display path (owned by the
 * set) and the documents and their maps (the caller frees them). */
typedef struct az_mf_parsed {
	const char *shown;
	json_t **docs;
	az_srcmap **maps;
	size_t n;
} az_mf_parsed;
int az_mf_read_parse(az_manifest_set *set, const az_file_source *src, const char *rel,
                     const az_load_limits *limits, az_mf_parsed *out, az_diags *d);

/* Synapse Studio folders (studio.c): replaces every SynapseArtifacts
 * manifest of the set by a manifest per artifact file of its folder.
 * `paths` are every file of the source; `files` counts the files read
 * against limits->max_files. */
int az_mf_studio_expand(az_manifest_set *set, const az_file_source *src, char **paths,
                        size_t npaths, const az_load_limits *limits, size_t *files,
                        az_diags *d);
/* Studio's template-parameters-definition.json (studio_params.c): read
 * from the root of a Studio folder (*out NULL when the folder has none);
 * the parameters it makes of one artifact file of `folder` (pipeline, ...)
 * as az_manifest.parameters, or NULL; and, per environment, an error at
 * each parameter's value that the environment's overrides leave without
 * the value it must give. */
typedef struct az_mf_studio_params az_mf_studio_params;
int az_mf_studio_params_read(az_mf_studio_params **out, az_manifest_set *set,
                             const az_file_source *src, const char *folder,
                             const az_load_limits *limits, az_diags *d);
json_t *az_mf_studio_params_match(const az_mf_studio_params *p, const char *folder,
                                  json_t *doc);
void az_mf_studio_params_free(az_mf_studio_params *p);
void az_mf_studio_check_overrides(const az_manifest_set *set, const char *env,
                                  json_t *env_obj, az_diags *d);

/* `s` with every "${" that is no ${var.}, ${env.} or ${ref.} expression
 * made literal ("$${"); NULL when nothing changes. */
char *az_mf_studio_escape(const char *s);

/* Loads every document of manifest file `rel` into the set (load.c). */
int az_mf_load_manifest_file(az_manifest_set *set, const az_file_source *src, const char *rel,
                             const az_load_limits *limits, az_diags *d);
/* A *.yaml / *.yml that is not azapply.yaml (load.c). */
bool az_mf_is_manifest_path(const char *rel);

/* Components (component.c). A file in a folder (or below one) holding a
 * component.yaml belongs to that component, not to the stack. */
json_t *az_mf_component_folders(char **paths, size_t npaths); /* folder -> true */
bool az_mf_is_component_file(json_t *folders, const char *rel);
/* Reads the folder of every Component manifest of the set, once each;
 * `files` counts the files read against limits->max_files. */
int az_mf_components_load(az_manifest_set *set, const az_file_source *src, char **paths,
                          size_t npaths, json_t *folders, const az_load_limits *limits,
                          size_t *files, az_diags *d);
void az_mf_components_free(struct az_mf_components *cs);
bool az_mf_has_components(const az_manifest_set *set);
/* Replaces every Component manifest by its instance's manifests (forEach
 * inside them expanded), then ${component.X.outputs.Y} in every string.
 * Call sites must have their variables resolved. */
int az_mf_components_instantiate(az_manifest_set *set, az_diags *d);
/* `s` (at `ptr` of `map`) with ${component...} replaced, or NULL when it
 * has none or after reporting; *sensitive set when an output used is. */
json_t *az_mf_components_output_string(az_manifest_set *set, const az_srcmap *map,
                                       const char *s, const char *ptr, bool *sensitive,
                                       az_diags *d);
/* Adds every instance's outputs to set->outputs as "instance.NAME". */
void az_mf_components_add_outputs(az_manifest_set *set, az_diags *d);

/* Number of UTF-8 characters in s[0..len). */
size_t az_mf_utf8_chars(const char *s, size_t len);

#endif
