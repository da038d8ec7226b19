/*
 * instance.c - one stack instance's working state: which subscription and
 * environment it is, and a node per resource for the stages to fill.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "instance.h"

az_node *az_instance_node(az_instance *inst, const az_node *from, const char *kind,
                          const char *name)
{
	char *address = az_xasprintf("%s/%s", kind, name);
	const az_resource *r = az_stack_find_from(inst->stack, from ? from->res : NULL, address);
	free(address);
	return r ? &inst->nodes[r - inst->stack->resources] : NULL;
}

az_node *az_instance_node_at(az_instance *inst, const char *address)
{
	const az_resource *r = az_stack_find(inst->stack, address);
	return r ? &inst->nodes[r - inst->stack->resources] : NULL;
}

const char *az_instance_collection(az_instance *inst, char *collection)
{
	json_t *kept = json_object_get(inst->collections, collection);
	if (!kept) {
		kept = json_string(collection);
		json_object_set_new(inst->collections, collection, kept);
	}
	free(collection);
	return json_string_value(kept);
}

int az_instance_init(az_instance *inst, az_stack *stack, az_session *s, az_diags *d)
{
	memset(inst, 0, sizeof(*inst));
	inst->stack = stack;
	inst->session = s;
	inst->len = stack->len;
	inst->nodes = az_xcalloc(inst->len ? inst->len : 1, sizeof(az_node));
	inst->lists = json_object();
	inst->list_kinds = json_object();
	inst->unmanaged = json_array();
	inst->legacy = json_array();
	inst->unopened = json_object();
	inst->closed = json_object();
	inst->prune_only = json_object();
	inst->refusals_said = json_object();
	inst->collections = json_object();
	const az_project *p = &stack->set->project;
	/* A stack without environments is one instance, "default". */
	inst->name.env = stack->env ? stack->env : "default";
	inst->name.subscription = az_project_setting(p, stack->env, "subscription");
	inst->name.stack = p->stack ? p->stack : "default";
	for (size_t i = 0; i < inst->len; i++) {
		inst->nodes[i].res = &stack->resources[i];
		inst->nodes[i].kind = stack->resources[i].kind;
	}
	if (!inst->name.subscription) {
		az_pos pos = {p->file, 1, 1};
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, p->present ? &pos : NULL, NULL,
					    "no subscription is set%s%s", inst->name.env ? " for environment " : "",
					    inst->name.env ? inst->name.env : "");
		az_diag_set_detail(diag, "set subscription in azapply.yaml, or environments.<env>.subscription");
		return AZ_EINVALID;
	}
	return 0;
}

void az_instance_free(az_instance *inst)
{
	for (size_t i = 0; i < inst->len; i++) {
		az_node *n = &inst->nodes[i];
		free(n->id);
		json_decref(n->desired);
		json_decref(n->live);
		az_marker_info_free(&n->marker);
	}
	for (size_t i = 0; i < inst->orphans_len; i++) {
		az_node *n = &inst->orphans[i];
		free(n->id);
		json_decref(n->live);
		az_marker_info_free(&n->marker);
	}
	free(inst->orphans);
	free(inst->nodes);
	json_decref(inst->lists);
	json_decref(inst->list_kinds);
	json_decref(inst->unmanaged);
	json_decref(inst->legacy);
	json_decref(inst->unopened);
	json_decref(inst->closed);
	json_decref(inst->prune_only);
	json_decref(inst->refusals_said);
	json_decref(inst->collections);
	memset(inst, 0, sizeof(*inst));
}
