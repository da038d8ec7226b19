/*
 * manifest.h - manifests as the planner sees them.
 *
 * The loader is the only code that touches libyaml. It turns a tree of
 * YAML files (from disk, or from a git tree through the same file-source
 * interface) into jansson documents, and remembers where every node came
 * from: a source map from JSON Pointer ("/spec/properties/sku") to
 * file:line:col, so any later stage (schema check, reference check, the
 * planner, even an Azure error) can point at the line the user wrote.
 *
 * Strings may hold expressions (${var.X}, ${env.X}, ${ref.Kind.name.path},
 * $${ for a literal "${"). They are parsed into small templates with source
 * offsets; see az_template_parse.
 */
#ifndef AZAPPLY_MANIFEST_H
#define AZAPPLY_MANIFEST_H

#include <stdint.h>

#include <azapply/provider.h>

/* ---------------------------------------------------------------------
 * Source maps: JSON Pointer (RFC 6901) -> position of the node's first
 * character (for quoted scalars, the first character inside the quote).
 */
typedef struct az_srcmap az_srcmap;

az_srcmap *az_srcmap_new(void);
void az_srcmap_free(az_srcmap *m);
/* `file` is borrowed and must outlive the map. */
void az_srcmap_set(az_srcmap *m, const char *pointer, az_pos pos);
/* The position of `pointer`, or of its nearest ancestor that has one.
 * Never NULL once the root ("") has been set. */
const az_pos *az_srcmap_get(const az_srcmap *m, const char *pointer);

/* ---------------------------------------------------------------------
 * Where manifest bytes come from. The directory source reads the disk; the
 * git module provides one that reads a commit's tree.
 */
typedef struct az_file_source az_file_source;
struct az_file_source {
	void *ctx;
	/* Every regular file below the root, as sorted relative paths with '/'
	 * separators. The caller frees the array and each string. */
	int (*list)(void *ctx, char ***paths_out, size_t *count_out, az_diags *d);
	/* The whole file. A file of more than `max_bytes` is refused before
	 * it is read (az_file_too_big). The caller frees *data_out
	 * (NUL-terminated). */
	int (*read)(void *ctx, const char *path, size_t max_bytes, char **data_out, size_t *len_out,
	            az_diags *d);
	void (*free)(void *ctx);
	/* How to show the root to the user, e.g. "examples/synapse-ml" or "HEAD:infra". */
	const char *display_root;
	/* A pinned component source ({git: REF, path: PATH}): opens folder
	 * PATH (from the repository's root) of the commit REF names in the
	 * repository this source lives in, as a source of its own whose files
	 * show as "REF:PATH/file.yaml", and gives that commit's full id.
	 * AZ_ENOTFOUND when REF names no commit, AZ_EINVALID when PATH is no
	 * folder of it, AZ_ERROR when the source is in no repository
	 * (az_pin_needs_repository); its diagnostics carry no position (the
	 * loader adds the manifest's). The loader cannot reach git
	 * (planner/git owns libgit2), so whoever opens the source and owns git
	 * sets the hook: az_git_source_open for its own repository,
	 * az_git_attach_revisions for a directory. NULL: no repository, and a
	 * pinned source is an error at the manifest that asks for one. */
	int (*open_revision)(void *revisions, az_file_source *out, char **commit_out,
			     const char *ref, const char *path, az_diags *d);
	void *revisions;
	void (*revisions_free)(void *revisions);
};

int az_file_source_dir(az_file_source *out, const char *dir, az_diags *d);
/* How a component pinned to `ref` is refused when `root`, the stack's
 * directory, is in no git repository: with the fix, without a position. */
void az_pin_needs_repository(az_diags *d, const char *ref, const char *root);
void az_file_source_free(az_file_source *src);
/* How every source refuses a file over the limit: names it, its size and
 * the limit. Returns AZ_EINVALID. */
int az_file_too_big(az_diags *d, const char *path, uintmax_t size, size_t limit);

/* ---------------------------------------------------------------------
 * Loader limits: defences against hostile or broken input.
 */
typedef struct az_load_limits {
	size_t max_files;      /* manifest files in the tree */
	size_t max_file_bytes; /* one file */
	size_t max_documents;  /* documents in one file */
	size_t max_depth;      /* nesting of mappings and sequences */
	size_t max_nodes;      /* nodes in one document after alias expansion */
	/* Not a limit: from this many bytes of manifest files on, the files
	 * are parsed on several threads (0: always on one). */
	size_t parallel_parse_bytes;
} az_load_limits;

extern const az_load_limits AZ_LOAD_LIMITS_DEFAULT;

/* ---------------------------------------------------------------------
 * The model.
 */
typedef struct az_manifest {
	const char *file;  /* path relative to the root, owned by the set */
	int doc;           /* 0-based index of the document in its file */
	az_pos pos;        /* start of the document */
	json_t *body;      /* apiVersion, kind, metadata, spec (specFile merged in) */
	az_srcmap *map;    /* JSON Pointer into body -> position */
	const char *kind;  /* borrowed from body; NULL when missing or not a string */
	const char *name;  /* borrowed from body; NULL when missing or not a string */
	char *address;     /* "Kind/name", or NULL when either is missing */
	/* JSON Pointers of values that came from ${env.X}: treated as secrets
	 * by every output (CI passes secrets that way). Array of strings, NULL
	 * when there are none (most manifests: an empty array each was 5 MB
	 * of a 50,001-resource stack). */
	json_t *sensitive;
	/* The metadata.forEach key this manifest is the instance for (owned),
	 * or NULL for a manifest written out (manifest/foreach.c). */
	char *each_key;
	/* An artifact read from a Synapse Studio folder (manifest/studio.c):
	 * the SynapseArtifacts address it came from (owned), whether that
	 * manifest owns its workspace entirely (prune: all-in-workspace: what
	 * the folder does not hold is deleted, marked or not), and the values
	 * Studio's template-parameters-definition.json makes per-environment
	 * parameters: [{"ptr": JSON Pointer into body, "path": the dotted
	 * override path that reaches it, "keep": false when the definition
	 * keeps no default ('-', '|')}] (owned). NULL and false otherwise. */
	char *studio;
	bool prune_workspace;
	json_t *parameters;
	/* The component instance this manifest belongs to (owned), or NULL for
	 * a manifest of the stack itself (manifest/component.c). The address
	 * is then "instance/Kind/name". */
	char *instance;
	/* In an instance of a component pinned to a commit ({git: REF, path:
	 * PATH}): that commit's id, borrowed from the set; NULL otherwise. The
	 * marker's provenance records it beside the stack's commit. */
	const char *pin;
} az_manifest;

/* Where `pointer` (a JSON Pointer into the body) was written: the nearest
 * ancestor that has a position, else the document's start. */
const az_pos *az_manifest_pos(const az_manifest *m, const char *pointer);

/* azapply.yaml at the root of the tree. */
typedef struct az_project {
	bool present;
	const char *file;  /* owned by the set */
	json_t *body;      /* the whole document */
	az_srcmap *map;
	/* Borrowed from body (NULL when absent). */
	const char *stack;
	const char *subscription;
	const char *tenant;
	const char *cloud;
	const char *location;
	json_t *variables;    /* object: name -> default value (may be null = required) */
	json_t *environments; /* object: env -> {variables, subscription, location, overrides} */
} az_project;

typedef struct az_manifest_set {
	az_manifest *items;
	size_t len;
	az_project project;
	char **files; /* every file read, owned (az_pos.file points here) */
	size_t files_len;
	char *root;   /* display root */
	/* Outputs after variables and components are resolved: name ->
	 * {"value": template string (only ${ref...} left), "description"?};
	 * the stack's own (azapply.yaml), then every component instance's as
	 * "instance.NAME". An object, never NULL after resolving. */
	json_t *outputs;
	/* The pinned component sources read ({git: REF, path: PATH}): "REF:PATH"
	 * -> the full id of the commit REF named when the stack was loaded, for
	 * the plan's provenance. An object, never NULL after loading. */
	json_t *pins;
	/* Component folders read for the stack (component.c); private. */
	struct az_mf_components *components;
} az_manifest_set;

/* Loads every *.yaml / *.yml below the source's root (azapply.yaml is the
 * project file, not a manifest), in sorted path order, resolving specFile
 * references relative to the manifest's file. Reports every problem it
 * finds in `d` and returns AZ_EINVALID if any is an error; the set is still
 * returned with what could be loaded so later checks can run. */
int az_manifests_load(az_manifest_set **out, const az_file_source *src,
		      const az_load_limits *limits, az_diags *d);
/* A set holding only the project (azapply.yaml), without reading a single
 * manifest: for what a command must know before it loads the stack (its
 * environments, `strict`). No project file: an empty, absent project. */
int az_manifests_load_project(az_manifest_set **out, const az_file_source *src, az_diags *d);
void az_manifest_set_free(az_manifest_set *set);

/* Parses one YAML buffer into documents (used by the loader and the fuzz
 * target). `file` is borrowed and must outlive the returned documents. */
int az_yaml_parse(const char *file, const char *data, size_t len, const az_load_limits *limits,
		  json_t ***docs_out, az_srcmap ***maps_out, size_t *count_out, az_diags *d);

/* ---------------------------------------------------------------------
 * Expressions in strings.
 */
typedef enum az_part_type {
	AZ_PART_LITERAL, /* text, with $${ already turned into ${ */
	AZ_PART_VAR,     /* ${var.NAME} */
	AZ_PART_ENV,     /* ${env.NAME} */
	AZ_PART_REF,     /* ${ref.Kind.name.path.to.attr} */
	AZ_PART_COMPONENT, /* ${component.INSTANCE.outputs.NAME}: ref_instance, ref_name */
} az_part_type;

typedef struct az_part {
	az_part_type type;
	char *text;      /* literal text, or the variable / environment name */
	char *ref_kind;  /* AZ_PART_REF */
	char *ref_name;
	char *ref_path;  /* dotted path; may be empty for the whole resource id */
	char *ref_instance; /* the component instance the resource is in, or NULL */
	size_t offset;   /* byte offset of the part in the source string */
	size_t length;
} az_part;

typedef struct az_template {
	az_part *parts;
	size_t len;
} az_template;

/* Parses `s`. `pos` is where the string starts in the source (may be NULL);
 * errors are reported at pos + offset when the string is on one line. */
/* Grammar: NAME and Kind are [A-Za-z_][A-Za-z0-9_]*; a reference's name and
 * each dotted path segment are [A-Za-z0-9_-]+, so a resource whose name has
 * a '.' cannot be referenced (the dot separates the path). No whitespace
 * inside ${...}. "$${" is a literal "${", read left to right. */
int az_template_parse(az_template **out, const char *s, const az_pos *pos, az_diags *d);
bool az_template_has_refs(const az_template *t);
/* The address a reference names: "Kind/name", or "instance/Kind/name"
 * inside a component instance. Caller frees. */
char *az_ref_address(const az_part *p);
bool az_template_is_literal(const az_template *t);
void az_template_free(az_template *t);
/* True when `s` contains anything that looks like an expression. Cheap. */
bool az_string_has_expr(const char *s);

/* ---------------------------------------------------------------------
 * Quoting user input in messages. A manifest may hold a 1 MB key or
 * variable name; a message shows at most AZ_QUOTE_CHARS characters of it,
 * then "...", and control characters as \n, \t or \xNN so the summary
 * stays one line. Every loader message that quotes input goes through it.
 */
#define AZ_QUOTE_CHARS 64
#define AZ_QUOTE_SIZE (AZ_QUOTE_CHARS * 4 + 4) /* 4 bytes a character, "...", NUL */

/* Writes the bounded form of `s` into `buf` and returns `buf`. */
const char *az_quote(char buf[AZ_QUOTE_SIZE], const char *s);

/* ---------------------------------------------------------------------
 * Variables and environments.
 *
 * Substitutes ${var.X} and ${env.X} in every manifest for environment `env`
 * (NULL = no environment selected), applies the environment's overrides and
 * leaves ${ref...} in place for the planner. A string that is exactly one
 * ${var.X} takes the variable's JSON type (so a number stays a number).
 * A variable used but not set for the environment is an error at the place
 * it is used; there are no silent defaults unless azapply.yaml gives one.
 * `getenv_fn` reads the process environment (tests pass their own).
 */
typedef const char *(*az_getenv_fn)(const char *name, void *ud);
int az_manifests_resolve_vars(az_manifest_set *set, const char *env, az_getenv_fn getenv_fn,
			      void *getenv_ud, az_diags *d);
/* After az_manifests_resolve_vars every string is still a template holding
 * only ${ref...} parts and literal text: a literal "${" is written "$${"
 * (also when it came from a variable's value), so whoever renders the final
 * value parses it with az_template_parse and concatenates the parts.
 * Resolving also refreshes kind, name and address (metadata.name may use
 * variables): pointers taken before it are stale. */

/* ---------------------------------------------------------------------
 * Synapse Studio's git layout (studio.c): a manifest of kind
 * SynapseArtifacts names a workspace and a folder, and the loader turns
 * each artifact file of the folder into a manifest of its kind. The kind
 * of a folder ("pipeline" -> "Pipeline") and the folder of a kind; NULL
 * for what azapply does not manage.
 */
const char *az_studio_folder_kind(const char *folder);
const char *az_studio_kind_folder(const char *kind);

/* A project setting for an environment: environments.<env>.<key> when it is
 * a string, else the top-level <key> ("subscription", "location", ...).
 * Borrowed from the project body; NULL when neither is set. */
const char *az_project_setting(const az_project *p, const char *env, const char *key);

#endif
