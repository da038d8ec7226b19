/*
 * lock.c - the lock of a stack instance: a lease on a blob container.
 *
 * Azure is the state, so the lock must live in Azure too, somewhere every
 * runner (a laptop, two CI jobs) reaches with the credentials it already
 * has. Of what ARM offers, only a blob container lease is a real mutual
 * exclusion: Acquire is atomic and answers 409 LeaseAlreadyPresent to the
 * second caller, an infinite lease never lapses under a long apply, and
 * Break frees the lease of a holder that died. Tags with If-Match would
 * need an etag that resource groups do not have, and a management lock
 * (Microsoft.Authorization/locks) guards against deletes, not against a
 * second writer. Terraform's azurerm backend made the same choice. The
 * lease is taken through the Storage resource provider
 * (POST .../blobServices/default/containers/{c}/lease), so it needs no
 * storage data-plane token or role: the ARM token and Contributor suffice.
 *
 * The container is azapply-lock-<stack>-<env> in the storage account named
 * by lockStorageAccount (azapply.yaml, per environment), by default the
 * stack's first StorageAccount. A first apply that creates that account has
 * nothing to lock yet and says so. Who holds the lock (operation, user,
 * host, pid, start, commit, lock ID) is written in the container's metadata
 * right after the lease is taken, and cleared before it is released.
 */
#include <openssl/evp.h>
#include <ctype.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <azapply/lock.h>

#include "identity.h"

#define LOCK_PREFIX "azapply-lock-"
#define CONTAINER_NAME_MAX 63
#define RETRY_SECONDS 2

struct az_lock {
	char *container_id;
	char *lease_id;
	char *instance;  /* "stack/env" */
};

/* ---------------------------------------------------------------------
 * One request at a time: the lock is taken before anything else runs.
 */
typedef struct call {
	bool done;
	int err;
	json_t *body;
	az_diags diags;
} call;

static void call_done(void *ud, int err, json_t *live, az_diags *d)
{
	call *c = ud;
	c->done = true;
	c->err = err;
	c->body = live;
	if (d)
		az_diags_move(&c->diags, d);
}

static bool call_finished(void *ud)
{
	return ((call *)ud)->done;
}

static void call_wait(az_session *s, call *c)
{
	az_session_run_until(s, call_finished, c);
}

static void call_free(call *c)
{
	json_decref(c->body);
	az_diags_clear(&c->diags);
}

static const char *diag_code(const az_diags *d)
{
	for (size_t i = 0; i < d->len; i++)
		if (d->items[i].code)
			return d->items[i].code;
	return NULL;
}

/* ---------------------------------------------------------------------
 * Where the lock lives.
 */

/* A container name from the instance: lower-case letters, digits and
 * single dashes, at most 63 characters (Azure's rule); a hash when the
 * readable form does not fit. */
static char *container_name(const char *stack, const char *env)
{
	az_buf b = AZ_BUF_INIT;
	az_buf_puts(&b, LOCK_PREFIX);
	char *instance = az_xasprintf("%s-%s", stack, env);
	for (const char *p = instance; *p; p++) {
		char c = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)c))
			c = '-';
		if (c == '-' && b.data[b.len - 1] == '-')
			continue;
		az_buf_putc(&b, c);
	}
	while (b.data[b.len - 1] == '-')
		az_buf_truncate(&b, b.len - 1);
	if (b.len > CONTAINER_NAME_MAX) {
		unsigned char digest[EVP_MAX_MD_SIZE];
		unsigned int len = 0;
		EVP_Digest(instance, strlen(instance), digest, &len, EVP_sha256(), NULL);
		az_buf_truncate(&b, 0);
		az_buf_puts(&b, LOCK_PREFIX);
		for (int i = 0; i < 16; i++)
			az_buf_printf(&b, "%02x", digest[i]);
	}
	free(instance);
	return az_buf_detach(&b);
}

/* The id of the storage account that holds the lock, or NULL (a warning
 * says why) when there is none. */
static char *lock_account(az_stack *stack, az_session *s, const char *env, az_diags *d)
{
	const az_project *p = &stack->set->project;
	const char *setting = az_project_setting(p, stack->env, "lockStorageAccount");
	if (setting && setting[0] == '/')
		return az_xstrdup(setting);
	const az_resource *account = setting ? az_stack_find(stack, setting) : NULL;
	if (setting && !account) {
		az_pos pos = {p->file, 1, 1};
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, p->present ? &pos : NULL, NULL,
					 "lockStorageAccount names %s, which this stack does not declare",
					 setting);
		az_diag_set_detail(x, "name a StorageAccount of the stack (StorageAccount/NAME, "
				      "INSTANCE/StorageAccount/NAME in a component instance) or "
				      "the Azure id of an existing storage account");
		return NULL;
	}
	for (size_t i = 0; !account && i < stack->len; i++)
		if (stack->resources[i].kind &&
		    strcmp(stack->resources[i].kind->name, "StorageAccount") == 0)
			account = &stack->resources[i];
	if (!account) {
		az_diag *x = az_diag_add(d, AZ_SEV_WARNING, NULL, NULL,
					 "stack instance %s/%s has no storage account for its lock: "
					 "two runs at once are not prevented",
					 p->stack ? p->stack : "default", env);
		az_diag_set_detail(x, "set lockStorageAccount in azapply.yaml to the Azure id of a "
				      "storage account every runner can reach");
		return NULL;
	}
	/* Its id as planning derives it (scope and names, no live state). */
	az_instance inst;
	az_diags scratch = AZ_DIAGS_INIT;
	char *id = NULL;
	if (az_instance_init(&inst, stack, s, &scratch) == 0) {
		az_identity_compute_all(&inst, &scratch);
		const char *computed = inst.nodes[account - stack->resources].id;
		id = computed ? az_xstrdup(computed) : NULL;
	}
	az_instance_free(&inst);
	az_diags_clear(&scratch);
	return id;
}

/* ---------------------------------------------------------------------
 * The holder, as the container's metadata tells a second runner.
 */
static json_t *holder_metadata(const az_lock *lock, const az_lock_options *o)
{
	char host[256] = "unknown";
	gethostname(host, sizeof(host) - 1);
	const struct passwd *pw = getpwuid(getuid());
	char started[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *m = json_object();
	json_object_set_new(m, "azapply_lock_instance", json_string(lock->instance));
	json_object_set_new(m, "azapply_lock_id", json_string(lock->lease_id));
	json_object_set_new(m, "azapply_lock_operation",
			    json_string(o && o->operation ? o->operation : "apply"));
	char *who = az_xasprintf("%s@%s pid %ld", pw ? pw->pw_name : "unknown", host,
				 (long)getpid());
	json_object_set_new(m, "azapply_lock_holder", json_string(who));
	free(who);
	json_object_set_new(m, "azapply_lock_started", json_string(started));
	if (o && o->commit)
		json_object_set_new(m, "azapply_lock_commit", json_string(o->commit));
	return m;
}

static int write_metadata(az_session *s, const char *container_id, json_t *metadata_take,
			  az_diags *d)
{
	const az_kind *kind = az_kind_find("StorageContainer");
	json_t *body = json_pack("{s:{s:o}}", "properties", "metadata", metadata_take);
	call c = {0};
	az_provider_get(kind->provider)->put(s, kind, container_id, body, NULL, call_done, &c);
	call_wait(s, &c);
	json_decref(body);
	int err = c.err;
	if (err)
		az_diags_move(d, &c.diags);
	call_free(&c);
	return err;
}

static const char *meta_str(const json_t *container, const char *key)
{
	return json_string_value(
		json_object_get(json_object_get(json_object_get(container, "properties"), "metadata"),
				key));
}

/* "locked by apply of alice@build-7 pid 4242 since ..., commit ...; lock ID X". */
static void describe_holder(az_buf *out, const json_t *container)
{
	const char *id = meta_str(container, "azapply_lock_id");
	if (!id) {
		az_buf_puts(out, "held by a run that has not said who it is yet (it is starting), "
				 "or by something other than azapply");
		return;
	}
	const char *op = meta_str(container, "azapply_lock_operation");
	const char *holder = meta_str(container, "azapply_lock_holder");
	const char *started = meta_str(container, "azapply_lock_started");
	const char *commit = meta_str(container, "azapply_lock_commit");
	az_buf_printf(out, "held by %s of %s since %s", op ? op : "a run",
		      holder ? holder : "an unknown holder", started ? started : "an unknown time");
	if (commit)
		az_buf_printf(out, ", commit %s", commit);
	az_buf_printf(out, "; lock ID %s", id);
}

/* ---------------------------------------------------------------------
 * Acquire, release, break.
 */

/* The container exists (it is created once, without a marker, so no
 * stack ever prunes it). AZ_ENOTFOUND when its storage account does not. */
static int ensure_container(az_session *s, const char *container_id, const char *instance,
			    json_t **live, az_diags *d)
{
	const az_kind *kind = az_kind_find("StorageContainer");
	const az_provider *prov = az_provider_get(kind->provider);
	call c = {0};
	prov->read(s, kind, container_id, call_done, &c);
	call_wait(s, &c);
	if (c.err == 0 && c.body) {
		*live = json_incref(c.body);
		call_free(&c);
		return 0;
	}
	int err = c.err;
	if (err && err != AZ_ENOTFOUND) {
		az_diags_move(d, &c.diags);
		call_free(&c);
		return err;
	}
	call_free(&c);
	json_t *body = json_pack("{s:{s:{s:s}}}", "properties", "metadata", "azapply_lock_instance",
				 instance);
	call put = {0};
	prov->put(s, kind, container_id, body, NULL, call_done, &put);
	call_wait(s, &put);
	json_decref(body);
	err = put.err;
	if (err == AZ_ENOTFOUND) {
		az_diags_clear(&put.diags);
	} else if (err) {
		az_diags_move(d, &put.diags);
	} else {
		*live = json_incref(put.body);
	}
	call_free(&put);
	return err;
}

static int lease(az_session *s, const char *container_id, json_t *request_take, json_t **answer,
		 az_diags *d)
{
	const az_kind *kind = az_kind_find("StorageContainer");
	call c = {0};
	az_provider_get(kind->provider)->action(s, kind, container_id, "lease", request_take,
						call_done, &c);
	call_wait(s, &c);
	json_decref(request_take);
	int err = c.err;
	if (answer)
		*answer = json_incref(c.body);
	az_diags_move(d, &c.diags);
	call_free(&c);
	return err;
}

int az_lock_acquire(az_lock **out, az_stack *stack, az_session *s, const az_lock_options *o,
		    az_diags *d)
{
	*out = NULL;
	const az_project *p = &stack->set->project;
	const char *stack_name = p->stack ? p->stack : "default";
	const char *env = stack->env ? stack->env : "default";
	size_t errors_before = az_diags_errors(d);
	char *account = lock_account(stack, s, env, d);
	if (!account)
		return az_diags_errors(d) > errors_before ? AZ_EINVALID : 0;
	az_lock *lock = az_xcalloc(1, sizeof(*lock));
	lock->instance = az_xasprintf("%s/%s", stack_name, env);
	char *name = container_name(stack_name, env);
	lock->container_id = az_xasprintf("%s/blobServices/default/containers/%s", account, name);
	free(name);
	int rc = 0;
	json_t *container = NULL;
	rc = ensure_container(s, lock->container_id, lock->instance, &container, d);
	if (rc == AZ_ENOTFOUND) {
		az_diag *x = az_diag_add(d, AZ_SEV_WARNING, NULL, NULL,
					 "the lock's storage account %s does not exist yet: this run "
					 "holds no lock",
					 account);
		az_diag_set_detail(x, "the runs after the one that creates it are locked");
		rc = 0;
		goto done;
	}
	if (rc)
		goto done;

	time_t deadline = time(NULL) + (o ? o->timeout_s : 0);
	bool said_waiting = false;
	for (;;) {
		az_diags attempt = AZ_DIAGS_INIT;
		json_t *answer = NULL;
		rc = lease(s, lock->container_id,
			   json_pack("{s:s,s:i}", "action", "Acquire", "leaseDuration", -1), &answer,
			   &attempt);
		if (rc == 0) {
			const char *id = json_string_value(json_object_get(answer, "leaseId"));
			lock->lease_id = az_xstrdup(id ? id : "");
			json_decref(answer);
			az_diags_clear(&attempt);
			break;
		}
		json_decref(answer);
		bool held = rc == AZ_ECONFLICT && diag_code(&attempt) &&
			    strcmp(diag_code(&attempt), "LeaseAlreadyPresent") == 0;
		if (!held) {
			az_diags_move(d, &attempt);
			goto done;
		}
		az_diags_clear(&attempt);
		/* Held: who by, then wait or give up. */
		json_decref(container);
		container = NULL;
		ensure_container(s, lock->container_id, lock->instance, &container, d);
		az_buf who = AZ_BUF_INIT;
		describe_holder(&who, container);
		bool stop = o && o->interrupted && *o->interrupted;
		if (time(NULL) + RETRY_SECONDS > deadline || stop) {
			const char *id = meta_str(container, "azapply_lock_id");
			const char *root = stack->set->root;
			bool here = !root || strcmp(root, ".") == 0;
			az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
						 "stack instance %s is locked: %s", lock->instance,
						 who.data);
			az_diag_set_detail(
				x,
				"wait for that run to finish, or wait for it with --lock-timeout "
				"DURATION; if it died, free the lock with `azapply unlock %s%s%s%s%s`",
				id ? id : "LOCK_ID", here ? "" : " --dir ", here ? "" : root,
				stack->env ? " --env " : "", stack->env ? stack->env : "");
			az_buf_free(&who);
			rc = AZ_ECONFLICT;
			goto done;
		}
		if (!said_waiting) {
			fprintf(stderr, "azapply: stack instance %s is locked (%s); waiting...\n",
				lock->instance, who.data);
			said_waiting = true;
		}
		az_buf_free(&who);
		sleep(RETRY_SECONDS);
	}
	rc = write_metadata(s, lock->container_id, holder_metadata(lock, o), d);
	if (rc) {
		/* The lease is ours: give it back rather than leave it unnamed. */
		lease(s, lock->container_id,
		      json_pack("{s:s,s:s}", "action", "Release", "leaseId", lock->lease_id), NULL, d);
		goto done;
	}
	*out = lock;
	lock = NULL;
done:
	json_decref(container);
	free(account);
	if (lock) {
		free(lock->container_id);
		free(lock->lease_id);
		free(lock->instance);
		free(lock);
	}
	return rc;
}

bool az_lock_container_is(const char *id, const char *stack, const char *env)
{
	const char *slash = strrchr(id, '/');
	char *name = container_name(stack, env);
	bool same = slash && strstr(id, "/blobServices/default/containers/") &&
		    strcasecmp(slash + 1, name) == 0;
	free(name);
	return same;
}

const char *az_lock_id(const az_lock *lock)
{
	return lock ? lock->lease_id : NULL;
}

void az_lock_release(az_lock *lock, az_session *s, az_diags *d)
{
	if (!lock)
		return;
	az_diags failed = AZ_DIAGS_INIT;
	int rc = write_metadata(s, lock->container_id,
				json_pack("{s:s}", "azapply_lock_instance", lock->instance), &failed);
	if (rc == 0)
		rc = lease(s, lock->container_id,
			   json_pack("{s:s,s:s}", "action", "Release", "leaseId", lock->lease_id),
			   NULL, &failed);
	/* Gone with its storage account (destroy): so is the lease. */
	if (rc && rc != AZ_ENOTFOUND) {
		az_diags_move(d, &failed);
		az_diag *x = az_diag_add(d, AZ_SEV_WARNING, NULL, NULL,
					 "the lock of stack instance %s could not be released",
					 lock->instance);
		az_diag_set_detail(x, "free it with `azapply unlock %s`", lock->lease_id);
	}
	az_diags_clear(&failed);
	free(lock->container_id);
	free(lock->lease_id);
	free(lock->instance);
	free(lock);
}

int az_lock_break(az_stack *stack, az_session *s, const char *id, az_diags *d)
{
	const az_project *p = &stack->set->project;
	const char *stack_name = p->stack ? p->stack : "default";
	const char *env = stack->env ? stack->env : "default";
	size_t errors_before = az_diags_errors(d);
	char *account = lock_account(stack, s, env, d);
	if (!account) {
		if (az_diags_errors(d) == errors_before)
			az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
				    "stack instance %s/%s has no lock to free", stack_name, env);
		return AZ_EINVALID;
	}
	char *name = container_name(stack_name, env);
	char *container_id = az_xasprintf("%s/blobServices/default/containers/%s", account, name);
	free(name);
	const az_kind *kind = az_kind_find("StorageContainer");
	call c = {0};
	az_provider_get(kind->provider)->read(s, kind, container_id, call_done, &c);
	call_wait(s, &c);
	int rc = c.err;
	const char *state = json_string_value(
		json_object_get(json_object_get(c.body, "properties"), "leaseState"));
	const char *held_id = meta_str(c.body, "azapply_lock_id");
	if (rc) {
		az_diags_move(d, &c.diags);
	} else if (!c.body || !state || strcmp(state, "Leased") != 0) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "stack instance %s/%s is not locked",
			    stack_name, env);
		rc = AZ_ENOTFOUND;
	} else if (!held_id || strcmp(held_id, id) != 0) {
		az_buf who = AZ_BUF_INIT;
		describe_holder(&who, c.body);
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					 "the lock of stack instance %s/%s is not %s: it is %s",
					 stack_name, env, id, who.data);
		az_diag_set_detail(x, "unlock takes the lock ID a second run printed; a lock is "
				      "freed only by its own ID, so a run still working keeps it");
		az_buf_free(&who);
		rc = AZ_ECONFLICT;
	} else {
		rc = lease(s, container_id, json_pack("{s:s,s:i}", "action", "Break", "breakPeriod", 0),
			   NULL, d);
		char *instance = az_xasprintf("%s/%s", stack_name, env);
		if (rc == 0)
			rc = write_metadata(s, container_id,
					    json_pack("{s:s}", "azapply_lock_instance", instance), d);
		free(instance);
	}
	call_free(&c);
	free(container_id);
	free(account);
	return rc;
}
