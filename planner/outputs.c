/*
 * outputs.c - the stack's outputs, read from live Azure.
 *
 * There is no state file: an output (azapply.yaml's `outputs`, or a
 * component instance's as "instance.NAME") is an expression over
 * ${ref...}, evaluated against what a refresh just read, so the next CI
 * step gets the workspace's endpoint or the pool's id as Azure has it.
 * A resource an output needs that does not exist yet is an error naming
 * it, never an empty value a deployment script would carry on with.
 */
#include <azapply/plan.h>

#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "resolve.h"

/* The addresses the outputs in `names` (or all) refer to, for a refresh
 * that reads only those. */
int az_outputs_targets(const az_stack *stack, const char *name, char ***out, size_t *len,
                       az_diags *d)
{
	json_t *outputs = stack->set->outputs;
	json_t *seen = json_object();
	*out = NULL;
	*len = 0;
	if (name && !json_object_get(outputs, name)) {
		size_t n = json_object_size(outputs);
		const char *hint = az_suggest_key(name, outputs);
		az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "no output '%s'", name);
		if (hint)
			az_diag_set_detail(dg, "did you mean '%s'?", hint);
		else if (n)
			az_diag_set_detail(dg, "%s", "`azapply output` lists them all");
		else
			az_diag_set_detail(dg, "%s",
			                   "declare outputs: in azapply.yaml (or in a component's "
			                   "component.yaml)");
		json_decref(seen);
		return AZ_EINVALID;
	}
	const char *key;
	json_t *entry;
	json_object_foreach(outputs, key, entry)
	{
		if (name && strcmp(name, key))
			continue;
		az_template *t = NULL;
		az_diags scratch = AZ_DIAGS_INIT;
		az_template_parse(&t, json_string_value(json_object_get(entry, "value")), NULL,
		                  &scratch);
		az_diags_clear(&scratch);
		for (size_t i = 0; t && i < t->len; i++) {
			if (t->parts[i].type != AZ_PART_REF)
				continue;
			char *address = az_ref_address(&t->parts[i]);
			if (!json_object_get(seen, address)) {
				json_object_set_new(seen, address, json_true());
				*out = az_xrealloc(*out, (*len + 1) * sizeof(**out));
				(*out)[(*len)++] = az_xstrdup(address);
			}
			free(address);
		}
		az_template_free(t);
	}
	json_decref(seen);
	return 0;
}

/* One output's value from the refreshed instance; NULL after reporting. */
static json_t *evaluate(az_instance *inst, const char *name, json_t *entry, az_diags *d)
{
	const char *text = json_string_value(json_object_get(entry, "value"));
	az_template *t = NULL;
	json_t *value = NULL;
	if (az_template_parse(&t, text, NULL, d))
		return NULL;
	bool ok = true;
	for (size_t i = 0; i < t->len && ok; i++) {
		const az_part *p = &t->parts[i];
		if (p->type != AZ_PART_REF)
			continue;
		char *address = az_ref_address(p);
		az_node *n = az_instance_node_at(inst, address);
		if (!n) {
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, NULL, address,
			                          "output '%s' refers to %s, which no manifest declares",
			                          name, address);
			az_diag_set_detail(dg, "%s", "fix the reference in the output's expression");
			ok = false;
		} else if (n->state != AZ_NODE_PRESENT) {
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, NULL, address,
			                          "output '%s': %s does not exist in Azure yet", name,
			                          address);
			az_diag_set_detail(dg, "run `azapply apply%s%s` first; outputs are read from "
			                       "live Azure",
			                   inst->stack->env ? " --env " : "",
			                   inst->stack->env ? inst->stack->env : "");
			ok = false;
		}
		free(address);
	}
	if (ok) {
		json_t *s = json_string(text);
		value = az_resolve(inst, s);
		json_decref(s);
		if (az_json_has_refs(value)) {
			az_diag *dg = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
			                          "output '%s': Azure's body has no value at '%s'", name,
			                          text);
			az_diag_set_detail(dg, "%s", "check the property path against `azapply plan "
			                             "--output json` or the resource's REST body");
			json_decref(value);
			value = NULL;
		}
	}
	az_template_free(t);
	return value;
}

int az_plan_outputs(json_t **out, const az_plan *plan, const char *name, az_diags *d)
{
	az_instance *inst = plan->instance;
	json_t *outputs = inst->stack->set->outputs;
	json_t *result = json_object();
	int error = 0;
	const char *key;
	json_t *entry;
	json_object_foreach(outputs, key, entry)
	{
		if (name && strcmp(name, key))
			continue;
		json_t *value = evaluate(inst, key, entry, d);
		if (!value) {
			error = AZ_EINVALID;
			continue;
		}
		json_t *o = json_pack("{s:o}", "value", value);
		json_t *desc = json_object_get(entry, "description");
		if (desc)
			json_object_set(o, "description", desc);
		if (json_is_true(json_object_get(entry, "sensitive"))) {
			/* Never printed: the CI step reads the secret where it
			 * came from. */
			json_object_set_new(o, "value", json_null());
			json_object_set_new(o, "sensitive", json_true());
		}
		json_object_set_new(result, key, o);
	}
	if (error) {
		json_decref(result);
		result = NULL;
	}
	*out = result;
	return error;
}
