/*
 * server.c - the emulator's state from start to shutdown: defaults, the
 * built-in tenant, subscription, service principal and managed identity,
 * the TLS material, and the cloud configuration file clients read to find
 * every host (see the shared contract in tests/emulator/README.md).
 */
#define _DEFAULT_SOURCE /* P_tmpdir */
#include "emu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

static void seed_identities(emu_server *s)
{
	free(s->tenant_id);
	free(s->client_id);
	free(s->client_secret);
	free(s->sp_object_id);
	s->tenant_id = emu_uuid(s);
	s->client_id = emu_uuid(s);
	s->sp_object_id = emu_uuid(s);
	char *a = emu_uuid(s), *b = emu_uuid(s);
	/* Shaped like an Entra secret: a prefix, "~", 34 random characters. */
	s->client_secret = az_xasprintf("emu8Q~%.8s%.26s", a, b);
	for (char *p = s->client_secret; *p; p++)
		if (*p == '-')
			*p = 'x';
	free(a);
	free(b);
	emu_client_add_secret(s, s->client_id, s->client_secret, s->sp_object_id);
	emu_principal_add(s, s->sp_object_id, "ServicePrincipal", 0);

	char *msi_client = emu_uuid(s), *msi_oid = emu_uuid(s);
	char *header = emu_uuid(s);
	json_object_set_new(s->store, "msi",
			    json_pack("{s:s,s:s,s:s}", "clientId", msi_client, "objectId", msi_oid,
				      "identityHeader", header));
	emu_principal_add(s, msi_oid, "ServicePrincipal", 0);
	free(msi_client);
	free(msi_oid);
	free(header);
}

int emu_server_init(emu_server *s, const emu_config *cfg)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->verified_lock, NULL);
	s->cfg = *cfg;
	s->rng = cfg->seed ? cfg->seed : ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	if (RAND_bytes(s->token_key, sizeof(s->token_key)) != 1 ||
	    RAND_bytes(s->federation_key, sizeof(s->federation_key)) != 1)
		return -1;
	s->store = json_object();
	s->log = (az_buf)AZ_BUF_INIT;
	s->counters = json_object();
	json_t *subs = emu_store_obj(s, "subscriptions");
	json_object_set_new(subs, EMU_DEFAULT_SUBSCRIPTION, json_object());
	seed_identities(s);
	return emu_tls_generate(s);
}

void emu_server_fini(emu_server *s)
{
	emu_faults_clear(s);
	for (size_t i = 0; i < s->nbuckets; i++)
		free(s->buckets[i].subscription);
	free(s->buckets);
	json_decref(s->store);
	emu_arm_index_drop(s);
	az_buf_free(&s->log);
	json_decref(s->counters);
	free(s->dir);
	free(s->cloud_path);
	free(s->ca_path);
	free(s->ca_pem);
	free(s->cert_pem);
	if (s->key_pem)
		OPENSSL_cleanse(s->key_pem, strlen(s->key_pem));
	free(s->key_pem);
	free(s->tenant_id);
	free(s->client_id);
	if (s->client_secret)
		OPENSSL_cleanse(s->client_secret, strlen(s->client_secret));
	free(s->client_secret);
	free(s->sp_object_id);
	emu_auth_forget_verified(s);
	pthread_mutex_destroy(&s->verified_lock);
	pthread_mutex_destroy(&s->lock);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int ok = fputs(text, f) >= 0;
	ok = (fclose(f) == 0) && ok;
	return ok ? 0 : -1;
}

int emu_write_cloud_config(emu_server *s)
{
	int error = -1;
	char *text = NULL;
	json_t *cfg = NULL;
	if (s->cfg.dir) {
		if (mkdir(s->cfg.dir, 0700) && errno != EEXIST)
			goto done;
		s->dir = realpath(s->cfg.dir, NULL);
		if (!s->dir)
			goto done;
	} else {
		const char *tmp = getenv("TMPDIR");
		char *templ = az_xasprintf("%s/azapply-emulator-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
		if (!mkdtemp(templ)) {
			free(templ);
			goto done;
		}
		s->dir = templ;
	}
	s->ca_path = az_xasprintf("%s/ca.pem", s->dir);
	s->cloud_path = az_xasprintf("%s/cloud.json", s->dir);
	if (write_file(s->ca_path, s->ca_pem))
		goto done;
	int port = s->cfg.port;
	char *arm = az_xasprintf("https://management.localhost:%d", port);
	char *login = az_xasprintf("https://login.localhost:%d", port);
	char *graph = az_xasprintf("https://graph.localhost:%d", port);
	char *dev = az_xasprintf("https://{workspace}.dev.localhost:%d", port);
	char *msi = az_xasprintf("https://imds.localhost:%d/metadata/identity/oauth2/token", port);
	cfg = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s},s:s}", "name",
			"azapply-emulator", "endpoints", "resourceManager", arm, "activeDirectory",
			login, "microsoftGraph", graph, "synapseDev", dev, "managedIdentity", msi,
			"audiences", "resourceManager", EMU_ARM_AUDIENCE, "microsoftGraph",
			EMU_GRAPH_AUDIENCE, "synapseDev", EMU_SYNAPSE_AUDIENCE, "caCertificate",
			s->ca_path);
	free(arm);
	free(login);
	free(graph);
	free(dev);
	free(msi);
	text = json_dumps(cfg, JSON_INDENT(2));
	if (!text || write_file(s->cloud_path, text))
		goto done;
	error = 0;
done:
	free(text);
	json_decref(cfg);
	return error;
}
