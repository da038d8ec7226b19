/*
 * fuzz_arm_resource.c - the shapes of an ArmResource's type and
 * api-version, and the kind made from them. The input is three lines:
 * type, api-version, placement (g, c or e: group, child, extension). A
 * type and version validate accepts must make a kind whose id template and
 * collection hold the type's last segment, that its key finds again, and
 * that a second request returns unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <azapply/provider.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *version = strchr(text, '\n');
	char *placement = version ? strchr(version + 1, '\n') : NULL;
	if (version)
		*version++ = '\0';
	if (placement)
		*placement++ = '\0';
	int depth = az_arm_type_depth(text);
	bool valid = version && az_arm_api_version_valid(version);
	if (depth > 0 && valid) {
		az_scope scope = depth > 1 ? AZ_SCOPE_PARENT
				 : placement && *placement == 'e' ? AZ_SCOPE_ANY
								   : AZ_SCOPE_RESOURCE_GROUP;
		const az_kind *k = az_kind_arm(text, version, scope, placement && *placement == 't');
		const char *last = strrchr(text, '/') + 1;
		if (!k->generic || strcmp(k->type, text) || !strstr(k->id_template, last) ||
		    (k->list_path && !strstr(k->list_path, last)) ||
		    az_kind_find(az_kind_key(k)) != k ||
		    az_kind_arm(text, version, scope, placement && *placement == 't') != k)
			abort();
		az_kind_arm_release();
	}
	free(text);
	return 0;
}
