#ifndef AZAPPLY_CMD_HEAP_H
#define AZAPPLY_CMD_HEAP_H

#include <stdbool.h>

/* Grows the heap once by a reservation backed by huge pages where the kernel
 * offers them (heap.c says why). Call first thing in main. Returns whether the
 * reservation is in place; either way the process carries on as normal. */
bool az_heap_reserve(void);

#endif
