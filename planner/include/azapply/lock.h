/*
 * lock.h - one writer per stack instance at a time.
 *
 * apply, destroy and import hold the lock of their stack instance (stack
 * and environment) from before they read live state until they end; plan,
 * drift and diff take none. The lock is a lease on a blob container in a
 * storage account every runner can reach (lock.c says why), with who holds
 * it, since when and from which commit in the container's metadata, so a
 * second runner is told exactly what it waits for.
 */
#ifndef AZAPPLY_LOCK_H
#define AZAPPLY_LOCK_H

#include <azapply/planner.h>

typedef struct az_lock az_lock;

typedef struct az_lock_options {
	const char *operation; /* "apply", "destroy", "import": shown to a second runner */
	const char *commit;    /* provenance label of what is applied; may be NULL */
	int timeout_s;         /* wait this long for a holder to finish (--lock-timeout) */
	volatile const int *interrupted; /* stop waiting when set (Ctrl-C) */
} az_lock_options;

/* Takes the lock of the stack's instance. On success *out is the held lock,
 * or NULL when the stack has no place for one yet (its lock storage account
 * does not exist: a warning says so). A lock held by another run is an
 * error naming the holder, its start, its commit and the lock ID. */
int az_lock_acquire(az_lock **out, az_stack *stack, az_session *s, const az_lock_options *o,
		    az_diags *d);
/* Releases and frees the lock; NULL-safe. A failed release is a warning
 * with the `azapply unlock` command that frees it. */
void az_lock_release(az_lock *lock, az_session *s, az_diags *d);
/* The lock ID of a held lock (to print). */
const char *az_lock_id(const az_lock *lock);
/* Whether `id` is the lock container of stack instance stack/env: it is
 * the instance's own, never unmanaged, and goes with its storage account. */
bool az_lock_container_is(const char *id, const char *stack, const char *env);
/* `azapply unlock ID`: breaks the instance's lock when its ID is `id`
 * (the holder died). */
int az_lock_break(az_stack *stack, az_session *s, const char *id, az_diags *d);

#endif
