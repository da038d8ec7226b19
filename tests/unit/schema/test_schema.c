/*
 * test_schema.c - unit tests of the JSON Schema validator (planner/schema):
 * one test per keyword family, the error pointers and messages users see,
 * the skip callback, $ref resolution, compile errors, and the shipped
 * schemas (every one compiles; good and bad sample documents per kind in
 * samples/<Kind>.json).
 */
#include <azapply/schema.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>


static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
	if (!j)
		fail_msg("bad JSON in test: %s: %s", text, err.text);
	return j;
}

static az_schema *compile(const char *text)
{
	json_t *js = parse(text);
	az_diags d = AZ_DIAGS_INIT;
	az_schema *s = NULL;
	int rc = az_schema_compile(&s, "test", js, &d);
	if (rc != 0)
		fail_msg("schema does not compile: %s", d.items[0].summary);
	az_diags_clear(&d);
	json_decref(js);
	return s;
}

/* Validates `instance` and returns the errors (caller clears them). */
static az_schema_errors check(const az_schema *s, const char *instance)
{
	az_schema_errors errs = {NULL, 0, 0};
	json_t *j = parse(instance);
	size_t n = az_schema_validate(s, j, NULL, NULL, &errs);
	assert_int_equal(n, errs.len);
	json_decref(j);
	return errs;
}

static bool valid(const az_schema *s, const char *instance)
{
	az_schema_errors errs = check(s, instance);
	bool ok = errs.len == 0;
	az_schema_errors_clear(&errs);
	return ok;
}

/* Asserts exactly one error, at `pointer`, for `keyword`, whose message
 * contains `fragment`. */
static void expect_one(const az_schema *s, const char *instance, const char *pointer,
                       const char *keyword, const char *fragment)
{
	az_schema_errors errs = check(s, instance);
	if (errs.len != 1) {
		for (size_t i = 0; i < errs.len; i++)
			fprintf(stderr, "  %s [%s] %s\n", errs.items[i].pointer,
			        errs.items[i].keyword, errs.items[i].message);
		fail_msg("%s: expected 1 error, got %zu", instance, errs.len);
	}
	assert_string_equal(errs.items[0].pointer, pointer);
	assert_string_equal(errs.items[0].keyword, keyword);
	if (!strstr(errs.items[0].message, fragment))
		fail_msg("message '%s' lacks '%s'", errs.items[0].message, fragment);
	az_schema_errors_clear(&errs);
}

static void test_type_integer_accepts_whole_reals(void **state)
{
	(void)state;
	az_schema *s = compile("{\"type\":\"integer\"}");
	assert_true(valid(s, "1"));
	assert_true(valid(s, "1.0"));
	assert_false(valid(s, "1.5"));
	expect_one(s, "\"1\"", "", "type", "is a string, expected integer");
	az_schema_free(s);

	s = compile("{\"type\":[\"string\",\"null\"]}");
	assert_true(valid(s, "null"));
	assert_true(valid(s, "\"x\""));
	expect_one(s, "true", "", "type", "expected null or string");
	az_schema_free(s);
}

static void test_required_names_the_missing_property(void **state)
{
	(void)state;
	az_schema *s = compile("{\"type\":\"object\",\"properties\":{\"spec\":"
	                       "{\"required\":[\"resourceGroup\",\"location\"]}}}");
	expect_one(s, "{\"spec\":{\"resourceGroup\":\"rg\"}}", "/spec", "required",
	           "missing required property 'location'");
	az_schema_errors errs = check(s, "{\"spec\":{}}");
	assert_int_equal(errs.len, 2);
	az_schema_errors_clear(&errs);
	az_schema_free(s);
}

static void test_additional_properties_false_lists_allowed(void **state)
{
	(void)state;
	az_schema *s = compile("{\"properties\":{\"location\":{},\"tags\":{}},"
	                       "\"additionalProperties\":false}");
	expect_one(s, "{\"locaton\":\"x\"}", "/locaton", "additionalProperties",
	           "property 'locaton' is not allowed here (did you mean 'location'?)");
	expect_one(s, "{\"sku\":\"x\"}", "/sku", "additionalProperties",
	           "property 'sku' is not allowed here (allowed: location, tags)");
	az_schema_free(s);

	s = compile("{\"additionalProperties\":{\"type\":\"string\"}}");
	expect_one(s, "{\"a\":\"x\",\"b\":1}", "/b", "type", "is an integer, expected string");
	az_schema_free(s);
}

static void test_pattern_properties(void **state)
{
	(void)state;
	az_schema *s = compile("{\"patternProperties\":{\"^x-\":{\"type\":\"string\"}},"
	                       "\"additionalProperties\":false}");
	assert_true(valid(s, "{\"x-a\":\"1\"}"));
	expect_one(s, "{\"x-a\":1}", "/x-a", "type", "expected string");
	expect_one(s, "{\"y\":1}", "/y", "additionalProperties", "'y' is not allowed");
	az_schema_free(s);
}

static void test_enum_lists_the_choices(void **state)
{
	(void)state;
	az_schema *s = compile("{\"properties\":{\"sku\":{\"properties\":{\"name\":"
	                       "{\"enum\":[\"Standard_LRS\",\"Standard_GRS\"]}}}}}");
	expect_one(s, "{\"sku\":{\"name\":\"Standard_XX\"}}", "/sku/name", "enum",
	           "'Standard_XX' is not one of: Standard_LRS, Standard_GRS");
	assert_true(valid(s, "{\"sku\":{\"name\":\"Standard_GRS\"}}"));
	az_schema_free(s);

	/* 1 and 1.0 are the same JSON value; true and 1 are not. */
	s = compile("{\"enum\":[1,[2]]}");
	assert_true(valid(s, "1.0"));
	assert_true(valid(s, "[2.0]"));
	assert_false(valid(s, "true"));
	az_schema_free(s);
}

static void test_const(void **state)
{
	(void)state;
	az_schema *s = compile("{\"properties\":{\"apiVersion\":{\"const\":\"azapply.dev/v1\"}}}");
	expect_one(s, "{\"apiVersion\":\"v1\"}", "/apiVersion", "const",
	           "must be 'azapply.dev/v1', not 'v1'");
	assert_true(valid(s, "{\"apiVersion\":\"azapply.dev/v1\"}"));
	az_schema_free(s);
}

static void test_pattern_is_an_unanchored_search(void **state)
{
	(void)state;
	az_schema *s = compile("{\"pattern\":\"[0-9]\"}");
	assert_true(valid(s, "\"ab1\""));
	expect_one(s, "\"abc\"", "", "pattern", "'abc' does not match the pattern [0-9]");
	assert_true(valid(s, "5")); /* pattern only applies to strings */
	az_schema_free(s);
}

static void test_secret_values_are_never_echoed(void **state)
{
	(void)state;
	az_schema *s = compile("{\"properties\":{\"sqlAdministratorLoginPassword\":"
	                       "{\"pattern\":\"^x\"},\"clientSecret\":{\"enum\":[\"a\"]}}}");
	az_schema_errors errs = check(s, "{\"sqlAdministratorLoginPassword\":\"hunter2\","
	                                 "\"clientSecret\":\"s3cr3t\"}");
	assert_int_equal(errs.len, 2);
	for (size_t i = 0; i < errs.len; i++) {
		assert_null(strstr(errs.items[i].message, "hunter2"));
		assert_null(strstr(errs.items[i].message, "s3cr3t"));
	}
	az_schema_errors_clear(&errs);
	az_schema_free(s);

	/* Nested under a key-like name, and a plain key name still shown. */
	s = compile("{\"properties\":{\"accountKey\":{\"properties\":{\"value\":"
	            "{\"const\":\"x\"}}},\"keySource\":{\"enum\":[\"Microsoft.Storage\"]}}}");
	expect_one(s, "{\"accountKey\":{\"value\":\"abc123\"}}", "/accountKey/value", "const",
	           "must be 'x', not the value");
	expect_one(s, "{\"keySource\":\"Other\"}", "/keySource", "enum",
	           "'Other' is not one of: Microsoft.Storage");
	az_schema_free(s);
}

static void test_long_values_are_cut_on_character_boundaries(void **state)
{
	(void)state;
	az_schema *s = compile("{\"enum\":[\"a\"]}");
	/* 74 ASCII bytes after the quote: the cut falls inside a two-byte character. */
	az_buf text = AZ_BUF_INIT;
	az_buf_puts(&text, "\"");
	for (int i = 0; i < 74; i++)
		az_buf_putc(&text, 'x');
	for (int i = 0; i < 10; i++)
		az_buf_puts(&text, "\u00e9");
	az_buf_puts(&text, "\"");
	az_schema_errors errs = check(s, text.data);
	assert_int_equal(errs.len, 1);
	json_t *round = json_string(errs.items[0].message); /* NULL if not UTF-8 */
	assert_non_null(round);
	assert_non_null(strstr(errs.items[0].message, "xxx..."));
	json_decref(round);
	az_schema_errors_clear(&errs);
	az_buf_free(&text);
	az_schema_free(s);
}

static void test_lengths_count_code_points(void **state)
{
	(void)state;
	az_schema *s = compile("{\"minLength\":2,\"maxLength\":3}");
	assert_true(valid(s, "\"\\u00e9\\u00e9\\u00e9\""));        /* 6 bytes, 3 characters */
	assert_true(valid(s, "\"\\ud83d\\ude00\\ud83d\\ude00\"")); /* 2 emoji */
	expect_one(s, "\"\\u00e9\"", "", "minLength", "is 1 characters long, at least 2");
	expect_one(s, "\"abcd\"", "", "maxLength", "is 4 characters long, at most 3 allowed");
	az_schema_free(s);
}

static void test_numeric_bounds(void **state)
{
	(void)state;
	az_schema *s = compile("{\"properties\":{\"n\":{\"minimum\":3,\"maximum\":200},"
	                       "\"x\":{\"exclusiveMinimum\":0,\"exclusiveMaximum\":1}}}");
	assert_true(valid(s, "{\"n\":3,\"x\":0.5}"));
	expect_one(s, "{\"n\":2}", "/n", "minimum", "must be at least 3");
	expect_one(s, "{\"n\":200.5}", "/n", "maximum", "must be at most 200");
	expect_one(s, "{\"x\":0}", "/x", "exclusiveMinimum", "greater than 0");
	expect_one(s, "{\"x\":1}", "/x", "exclusiveMaximum", "less than 1");
	az_schema_free(s);
}

static void test_arrays(void **state)
{
	(void)state;
	az_schema *s = compile("{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
	                       "\"minItems\":1,\"maxItems\":3,\"uniqueItems\":true}");
	assert_true(valid(s, "[\"a\",\"b\"]"));
	expect_one(s, "[]", "", "minItems", "has 0 items, at least 1 required");
	expect_one(s, "[\"a\",\"b\",\"c\",\"d\"]", "", "maxItems", "at most 3");
	expect_one(s, "[\"a\",1]", "/1", "type", "expected string");
	expect_one(s, "[\"a\",\"a\"]", "", "uniqueItems", "items 0 and 1 are equal");
	az_schema_free(s);

	s = compile("{\"prefixItems\":[{\"type\":\"integer\"},{\"type\":\"string\"}],"
	            "\"items\":false}");
	assert_true(valid(s, "[1,\"a\"]"));
	expect_one(s, "[1,2]", "/1", "type", "expected string");
	expect_one(s, "[1,\"a\",null]", "/2", "false", "no value is allowed here");
	az_schema_free(s);
}

static void test_one_of_reports_the_discriminated_branch(void **state)
{
	(void)state;
	az_schema *s =
	    compile("{\"oneOf\":["
	            "{\"properties\":{\"type\":{\"const\":\"AzureMLService\"},\"typeProperties\":"
	            "{\"required\":[\"mlWorkspaceName\"]}},\"required\":[\"type\"]},"
	            "{\"properties\":{\"type\":{\"const\":\"AzureKeyVault\"},\"typeProperties\":"
	            "{\"required\":[\"baseUrl\"]}},\"required\":[\"type\"]}]}");
	/* Only the AzureMLService branch speaks, and it speaks precisely. */
	expect_one(s, "{\"type\":\"AzureMLService\",\"typeProperties\":{}}", "/typeProperties",
	           "required", "missing required property 'mlWorkspaceName'");
	expect_one(s, "{\"type\":\"AzureKeyVault\",\"typeProperties\":{}}", "/typeProperties",
	           "required", "'baseUrl'");
	assert_true(
	    valid(s, "{\"type\":\"AzureKeyVault\",\"typeProperties\":{\"baseUrl\":\"u\"}}"));
	az_schema_free(s);

	s = compile("{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}");
	expect_one(s, "3", "", "oneOf", "matches more than one of the allowed forms (1 and 2)");
	assert_true(valid(s, "1"));
	az_schema_free(s);

	s = compile("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"object\"}]}");
	expect_one(s, "1", "", "anyOf", "is an integer, expected object or string");
	az_schema_free(s);
}

static void test_all_of_and_not(void **state)
{
	(void)state;
	az_schema *s = compile("{\"allOf\":[{\"type\":\"string\"},{\"minLength\":3}],"
	                       "\"not\":{\"enum\":[\"admin\"]}}");
	assert_true(valid(s, "\"user\""));
	expect_one(s, "\"ab\"", "", "minLength", "at least 3");
	expect_one(s, "\"admin\"", "", "not", "'admin' is not allowed here");
	az_schema_free(s);
}

static void test_ref_to_defs_and_root(void **state)
{
	(void)state;
	az_schema *s =
	    compile("{\"$defs\":{\"name\":{\"type\":\"string\",\"maxLength\":3}},"
	            "\"properties\":{\"n\":{\"$ref\":\"#/$defs/name\"},"
	            "\"kids\":{\"items\":{\"$ref\":\"#\"}}},\"additionalProperties\":false}");
	assert_true(valid(s, "{\"n\":\"abc\",\"kids\":[{\"n\":\"x\",\"kids\":[]}]}"));
	expect_one(s, "{\"kids\":[{\"kids\":[{\"n\":\"abcd\"}]}]}", "/kids/0/kids/0/n", "maxLength",
	           "at most 3");
	expect_one(s, "{\"kids\":[{\"m\":1}]}", "/kids/0/m", "additionalProperties", "'m'");
	az_schema_free(s);
}

static void test_pointers_escape_tilde_and_slash(void **state)
{
	(void)state;
	az_schema *s = compile("{\"properties\":{\"a/b\":{\"properties\":{\"c~d\":"
	                       "{\"type\":\"string\"}}}}}");
	expect_one(s, "{\"a/b\":{\"c~d\":1}}", "/a~1b/c~0d", "type", "expected string");
	az_schema_free(s);
}

static bool skip_refs(const json_t *value, void *ud)
{
	int *calls = ud;
	(*calls)++;
	return json_is_string(value) && strstr(json_string_value(value), "${ref.") != NULL;
}

static void test_skip_callback_passes_every_check(void **state)
{
	(void)state;
	az_schema *s = compile("{\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":3},"
	                       "\"e\":{\"enum\":[\"a\"]},\"o\":{\"type\":\"object\"}}}");
	json_t *j = parse("{\"n\":\"${ref.SparkPool.p.properties.x}\","
	                  "\"e\":\"${ref.KeyVault.kv.id}\",\"o\":\"${ref.X.y.z}\"}");
	int calls = 0;
	az_schema_errors errs = {NULL, 0, 0};
	assert_int_equal(az_schema_validate(s, j, skip_refs, &calls, &errs), 0);
	assert_true(calls >= 4);
	json_decref(j);

	/* Strings without a reference are still checked. */
	j = parse("{\"n\":\"five\"}");
	assert_int_equal(az_schema_validate(s, j, skip_refs, &calls, &errs), 1);
	assert_string_equal(errs.items[0].pointer, "/n");
	az_schema_errors_clear(&errs);
	json_decref(j);
	az_schema_free(s);
}

static void expect_compile_error(const char *schema, const char *fragment)
{
	json_t *js = parse(schema);
	az_diags d = AZ_DIAGS_INIT;
	az_schema *s = NULL;
	assert_int_equal(az_schema_compile(&s, "broken", js, &d), AZ_EINVALID);
	assert_null(s);
	assert_true(d.len >= 1);
	if (!strstr(d.items[0].summary, fragment))
		fail_msg("'%s' lacks '%s'", d.items[0].summary, fragment);
	assert_non_null(strstr(d.items[0].summary, "broken"));
	az_diags_clear(&d);
	json_decref(js);
}

static void test_compile_errors(void **state)
{
	(void)state;
	expect_compile_error("{\"pattern\":\"([a-z\"}", "bad pattern '([a-z'");
	expect_compile_error("{\"properties\":{\"a\":{\"$ref\":\"#/$defs/missing\"}}}",
	                     "unknown $ref '#/$defs/missing' (only '#' and '#/...' within the "
	                     "document) at '#/properties/a'");
	expect_compile_error("{\"$ref\":\"other.json#/x\"}", "unknown $ref");
	expect_compile_error("{\"type\":\"text\"}", "unknown type 'text'");
	expect_compile_error("{\"minLength\":-1}", "'minLength' must be a non-negative integer");
	expect_compile_error("{\"required\":\"name\"}", "'required' must be an array");
	expect_compile_error("{\"items\":3}", "a schema must be an object or a boolean");
	expect_compile_error("{\"patternProperties\":{\"(\":{}}}", "bad pattern");
}

static void test_errors_accumulate_and_clear(void **state)
{
	(void)state;
	az_schema *s = compile("{\"type\":\"string\"}");
	az_schema_errors errs = {NULL, 0, 0};
	json_t *one = json_integer(1);
	assert_int_equal(az_schema_validate(s, one, NULL, NULL, &errs), 1);
	/* The count is of the errors this call appended. */
	assert_int_equal(az_schema_validate(s, one, NULL, NULL, &errs), 1);
	assert_int_equal(errs.len, 2);
	az_schema_errors_clear(&errs);
	assert_int_equal(errs.len, 0);
	az_schema_errors_clear(&errs);
	az_schema_errors_clear(NULL);
	az_schema_free(NULL);
	json_decref(one);
	az_schema_free(s);
}

/* Every kind in the kind table has a schema, and so do the envelope and the
 * project file; each compiles, and is cached. */
static void test_builtin_schemas_cover_every_kind(void **state)
{
	(void)state;
	az_diags d = AZ_DIAGS_INIT;
	size_t count;
	const az_kind *const *kinds = az_kinds(&count);
	assert_int_equal(count, 33);
	for (size_t i = 0; i < count; i++) {
		const az_schema *s = az_schema_builtin(kinds[i]->name, &d);
		if (!s)
			fail_msg("no built-in schema for %s (%s)", kinds[i]->name,
			         d.len ? d.items[0].summary : "missing");
		assert_ptr_equal(az_schema_builtin(kinds[i]->name, &d), s);
	}
	assert_non_null(az_schema_builtin("manifest", &d));
	assert_non_null(az_schema_builtin("project", &d));
	assert_null(az_schema_builtin("VirtualMachine", &d));
	assert_int_equal(d.len, 0);
	az_schema_builtin_release();
	az_schema_builtin_release();
	/* Usable again after a release. */
	assert_non_null(az_schema_builtin("manifest", &d));
	az_schema_builtin_release();
}

static void print_errors(const az_schema_errors *errs)
{
	for (size_t i = 0; i < errs->len; i++)
		fprintf(stderr, "    %s [%s] %s\n", errs->items[i].pointer, errs->items[i].keyword,
		        errs->items[i].message);
}

/* samples/<name>.json: documents that must pass, and documents that must
 * fail with an error at a given pointer for a given keyword. */
static void check_samples(const char *file, const char *name)
{
	char *path = az_xasprintf("%s/tests/unit/schema/samples/%s", AZAPPLY_SOURCE_DIR, file);
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	if (!doc)
		fail_msg("%s: %s", path, jerr.text);
	az_diags d = AZ_DIAGS_INIT;
	const az_schema *s = az_schema_builtin(name, &d);
	if (!s)
		fail_msg("no built-in schema '%s'", name);
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(doc, "valid"), i, item)
	{
		az_schema_errors errs = {NULL, 0, 0};
		if (az_schema_validate(s, item, NULL, NULL, &errs) != 0) {
			print_errors(&errs);
			fail_msg("%s: valid sample %zu fails", file, i);
		}
	}
	json_array_foreach(json_object_get(doc, "invalid"), i, item)
	{
		const char *pointer = json_string_value(json_object_get(item, "pointer"));
		const char *keyword = json_string_value(json_object_get(item, "keyword"));
		az_schema_errors errs = {NULL, 0, 0};
		az_schema_validate(s, json_object_get(item, "doc"), NULL, NULL, &errs);
		bool found = false;
		for (size_t k = 0; k < errs.len; k++)
			found = found || (strcmp(errs.items[k].pointer, pointer) == 0 &&
			                  strcmp(errs.items[k].keyword, keyword) == 0);
		if (getenv("AZAPPLY_SCHEMA_VERBOSE")) {
			fprintf(stderr, "%s invalid %zu:\n", file, i);
			print_errors(&errs);
		}
		if (!found || errs.len > 2) {
			print_errors(&errs);
			fail_msg("%s: invalid sample %zu: want one error at '%s' [%s], got %zu",
			         file, i, pointer, keyword, errs.len);
		}
		az_schema_errors_clear(&errs);
	}
	az_diags_clear(&d);
	json_decref(doc);
	free(path);
}

static void test_builtin_schemas_check_samples(void **state)
{
	(void)state;
	size_t count;
	const az_kind *const *kinds = az_kinds(&count);
	for (size_t i = 0; i < count; i++) {
		char *file = az_xasprintf("%s.json", kinds[i]->name);
		check_samples(file, kinds[i]->name);
		free(file);
	}
	check_samples("manifest.json", "manifest");
	check_samples("project.json", "project");
	check_samples("SynapseArtifacts.json", "SynapseArtifacts");
	check_samples("Component.json", "Component");
	az_schema_builtin_release();
}

/* The messages users see for the commonest mistakes in real manifests. */
static void test_builtin_messages_help_the_user(void **state)
{
	(void)state;
	az_diags d = AZ_DIAGS_INIT;
	const az_schema *s = az_schema_builtin("StorageAccount", &d);
	assert_non_null(s);
	json_t *j = parse("{\"apiVersion\":\"azapply.dev/v1\",\"kind\":\"StorageAccount\","
	                  "\"metadata\":{\"name\":\"lake\"},\"spec\":{\"resourceGroup\":\"rg\","
	                  "\"location\":\"westeurope\",\"kind\":\"StorageV2\","
	                  "\"sku\":{\"name\":\"Standard_XX\"}}}");
	az_schema_errors errs = {NULL, 0, 0};
	assert_int_equal(az_schema_validate(s, j, NULL, NULL, &errs), 1);
	assert_string_equal(errs.items[0].pointer, "/spec/sku/name");
	assert_non_null(strstr(errs.items[0].message,
	                       "'Standard_XX' is not one of: Standard_LRS, Standard_GRS"));
	az_schema_errors_clear(&errs);
	json_decref(j);

	s = az_schema_builtin("ResourceGroup", &d);
	j = parse("{\"apiVersion\":\"azapply.dev/v1\",\"kind\":\"ResourceGroup\","
	          "\"metadata\":{\"name\":\"rg\"},\"spec\":{\"locaton\":\"westeurope\"}}");
	assert_int_equal(az_schema_validate(s, j, NULL, NULL, &errs), 2);
	assert_string_equal(errs.items[0].message, "missing required property 'location'");
	assert_string_equal(errs.items[1].pointer, "/spec/locaton");
	az_schema_errors_clear(&errs);
	json_decref(j);

	/* A linked service of a known type: only its own branch speaks. */
	s = az_schema_builtin("LinkedService", &d);
	j = parse("{\"apiVersion\":\"azapply.dev/v1\",\"kind\":\"LinkedService\","
	          "\"metadata\":{\"name\":\"aml\"},\"spec\":{\"workspace\":\"syn\","
	          "\"properties\":{\"type\":\"AzureMLService\",\"typeProperties\":"
	          "{\"subscriptionId\":\"s\",\"resourceGroupName\":\"rg\"}}}}");
	assert_int_equal(az_schema_validate(s, j, NULL, NULL, &errs), 1);
	assert_string_equal(errs.items[0].pointer, "/spec/properties/typeProperties");
	assert_string_equal(errs.items[0].message, "missing required property 'mlWorkspaceName'");
	az_schema_errors_clear(&errs);
	json_decref(j);
	az_diags_clear(&d);
	az_schema_builtin_release();
}

/* The warnings of `instance` (errors must be none), one "pointer|message"
 * line each; the caller frees the text. */
static char *warnings_of(const az_schema *s, const char *instance)
{
	az_schema_errors errs = {NULL, 0, 0}, warns = {NULL, 0, 0};
	json_t *j = parse(instance);
	az_schema_check(s, j, NULL, NULL, &errs, &warns);
	for (size_t i = 0; i < errs.len; i++)
		print_error("unexpected error at %s: %s\n", errs.items[i].pointer,
		            errs.items[i].message);
	assert_int_equal(errs.len, 0);
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, "");
	for (size_t i = 0; i < warns.len; i++)
		az_buf_printf(&b, "%s|%s\n", warns.items[i].pointer, warns.items[i].message);
	az_schema_errors_clear(&errs);
	az_schema_errors_clear(&warns);
	json_decref(j);
	return az_buf_detach(&b);
}

static void test_unknown_properties_warn_with_a_suggestion(void **state)
{
	(void)state;
	az_schema *s = compile(
	    "{\"type\":\"object\",\"x-azapply-unknownProperties\":\"warn\","
	    "\"properties\":{\"nodeSize\":{\"type\":\"string\"},\"nodeCount\":{},"
	    "\"tags\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}},"
	    "\"conf\":{\"type\":\"object\"}}}");
	char *w = warnings_of(s, "{\"nodeSzie\":\"Small\",\"NODECOUNT\":3,\"tags\":{\"any\":\"x\"},"
	                         "\"conf\":{\"spark.x\":1},\"zzz\":1}");
	/* Same letters in another case first, then the fewest edits; the
	 * permissible names on a second line; open objects say nothing. */
	assert_string_equal(w, "/nodeSzie|unknown property 'nodeSzie'; did you mean 'nodeSize'?\n"
	                       "permissible properties: conf, nodeCount, nodeSize, tags\n"
	                       "/NODECOUNT|unknown property 'NODECOUNT'; did you mean 'nodeCount'?\n"
	                       "permissible properties: conf, nodeCount, nodeSize, tags\n"
	                       "/zzz|unknown property 'zzz'\n"
	                       "permissible properties: conf, nodeCount, nodeSize, tags\n");
	free(w);
	/* Without a place for warnings, nothing changes. */
	assert_true(valid(s, "{\"nodeSzie\":\"Small\"}"));
	az_schema_free(s);
}

/* A discriminated union: the base knows the properties of the form that
 * applies, a form the specs do not know is open, and a typo inside a form
 * is said once, by the form that applies. */
static void test_unknown_properties_follow_the_form_that_applies(void **state)
{
	(void)state;
	az_schema *s = compile(
	    "{\"type\":\"object\",\"x-azapply-unknownProperties\":\"warn\","
	    "\"properties\":{\"type\":{\"type\":\"string\"},\"name\":{}},"
	    "\"anyOf\":[{\"properties\":{\"type\":{\"const\":\"A\"},\"typeProperties\":{"
	    "\"type\":\"object\",\"x-azapply-unknownProperties\":\"warn\","
	    "\"properties\":{\"alpha\":{}}}}},"
	    "{\"properties\":{\"type\":{\"const\":\"B\"},\"beta\":{}}},"
	    "{\"properties\":{\"type\":{\"not\":{\"enum\":[\"A\",\"B\"]}}},"
	    "\"additionalProperties\":true}]}");
	char *w = warnings_of(s, "{\"type\":\"A\",\"typeProperties\":{\"alpah\":1},\"beta\":2}");
	assert_string_equal(w, "/beta|unknown property 'beta'\n"
	                       "permissible properties: name, type, typeProperties\n"
	                       "/typeProperties/alpah|unknown property 'alpah'; did you mean "
	                       "'alpha'?\npermissible properties: alpha\n");
	free(w);
	w = warnings_of(s, "{\"type\":\"B\",\"beta\":2}");
	assert_string_equal(w, "");
	free(w);
	w = warnings_of(s, "{\"type\":\"Custom\",\"anything\":{\"at\":\"all\"}}");
	assert_string_equal(w, "");
	free(w);
	az_schema_free(s);
}

static void test_enum_case_and_formats(void **state)
{
	(void)state;
	az_schema *s = compile(
	    "{\"type\":\"object\",\"properties\":{"
	    "\"size\":{\"enum\":[\"Small\",\"Large\"],\"x-azapply-enumCase\":\"insensitive\"},"
	    "\"exact\":{\"enum\":[\"Small\"]},"
	    "\"id\":{\"type\":\"string\",\"format\":\"uuid\"},"
	    "\"at\":{\"type\":\"string\",\"format\":\"date-time\"},"
	    "\"every\":{\"type\":\"string\",\"format\":\"duration\"},"
	    "\"timeout\":{\"type\":\"string\",\"format\":\"timespan\"},"
	    "\"where\":{\"type\":\"string\",\"format\":\"azure-location\"},"
	    "\"password\":{\"type\":\"string\",\"format\":\"uuid\"},"
	    "\"other\":{\"type\":\"string\",\"format\":\"email\"}}}");
	char *w = warnings_of(s, "{\"size\":\"small\",\"id\":\"6A1C6E2B-1f0b-4c8e-9d54-2f3f4b5c6d7e\","
	                         "\"at\":\"2026-01-01T02:00:00\",\"every\":\"P1DT12H\","
	                         "\"timeout\":\"7.00:00:00\",\"where\":\"West Europe\","
	                         "\"other\":\"not checked\"}");
	assert_string_equal(w, "/size|'small' is written 'Small' by Azure\n");
	free(w);
	w = warnings_of(s, "{\"where\":\"westeurpe\",\"at\":\"2026-01-01T02:00:00.5+01:00\","
	                   "\"timeout\":\"0:05:00\",\"every\":\"PT0.5S\",\"id\":\"${ref.X.y.id}\"}");
	assert_string_equal(w, "/where|unknown Azure region 'westeurpe'; did you mean "
	                       "'westeurope'?\n");
	free(w);
	assert_false(valid(s, "{\"exact\":\"small\"}"));
	expect_one(s, "{\"id\":\"6a1c6e2b-1f0b-4c8e-9d54\"}", "/id", "format",
	           "'6a1c6e2b-1f0b-4c8e-9d54' is not a GUID");
	expect_one(s, "{\"at\":\"2026-13-01T02:00:00Z\"}", "/at", "format",
	           "is not a date and time (ISO 8601");
	expect_one(s, "{\"at\":\"tomorrow\"}", "/at", "format", "'tomorrow' is not a date");
	expect_one(s, "{\"every\":\"PT\"}", "/every", "format", "is not an ISO 8601 duration");
	expect_one(s, "{\"every\":\"P1H\"}", "/every", "format", "is not an ISO 8601 duration");
	expect_one(s, "{\"timeout\":\"2 hours\"}", "/timeout", "format", "is not a time span");
	expect_one(s, "{\"timeout\":\"0.25:00:00\"}", "/timeout", "format", "is not a time span");
	/* A secret's value is never echoed. */
	expect_one(s, "{\"password\":\"hunter2-secret\"}", "/password", "format",
	           "'(sensitive)' is not a GUID");
	az_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_type_integer_accepts_whole_reals),
	    cmocka_unit_test(test_required_names_the_missing_property),
	    cmocka_unit_test(test_additional_properties_false_lists_allowed),
	    cmocka_unit_test(test_pattern_properties),
	    cmocka_unit_test(test_enum_lists_the_choices),
	    cmocka_unit_test(test_const),
	    cmocka_unit_test(test_pattern_is_an_unanchored_search),
	    cmocka_unit_test(test_secret_values_are_never_echoed),
	    cmocka_unit_test(test_long_values_are_cut_on_character_boundaries),
	    cmocka_unit_test(test_lengths_count_code_points),
	    cmocka_unit_test(test_numeric_bounds),
	    cmocka_unit_test(test_arrays),
	    cmocka_unit_test(test_one_of_reports_the_discriminated_branch),
	    cmocka_unit_test(test_all_of_and_not),
	    cmocka_unit_test(test_ref_to_defs_and_root),
	    cmocka_unit_test(test_pointers_escape_tilde_and_slash),
	    cmocka_unit_test(test_skip_callback_passes_every_check),
	    cmocka_unit_test(test_compile_errors),
	    cmocka_unit_test(test_errors_accumulate_and_clear),
	    cmocka_unit_test(test_builtin_schemas_cover_every_kind),
	    cmocka_unit_test(test_builtin_schemas_check_samples),
	    cmocka_unit_test(test_builtin_messages_help_the_user),
	    cmocka_unit_test(test_unknown_properties_warn_with_a_suggestion),
	    cmocka_unit_test(test_unknown_properties_follow_the_form_that_applies),
	    cmocka_unit_test(test_enum_case_and_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
