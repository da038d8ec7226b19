/*
 * delete_order.h - the order of deletes (delete_order.c): for every plan
 * item that is a delete, the items that must be deleted before it starts.
 * Private to planner/.
 */
#ifndef AZAPPLY_DELETE_ORDER_H
#define AZAPPLY_DELETE_ORDER_H

#include <azapply/plan.h>

#include "instance.h"

typedef struct az_delete_waits {
	size_t *items;  /* plan item indices */
	size_t len, cap;
} az_delete_waits;

az_delete_waits *az_delete_order(const az_plan *plan, const az_instance *inst);
void az_delete_waits_free(az_delete_waits *waits, size_t len);

#endif
