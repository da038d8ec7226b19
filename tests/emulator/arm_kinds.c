/*
 * arm_kinds.c - one table entry per ARM resource type the emulator serves:
 * accepted api-versions, how writes answer (synchronous, 201/202 with
 * Azure-AsyncOperation, 202 with Location), required properties,
 * create-only and write-only paths, enum checks and the defaults Azure
 * fills in (taken from the spec examples in shared/azure-specs), plus a
 * small hook for computed fields such as endpoints. A new type should be a
 * new entry, not new code in arm.c.
 */
#include "arm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define DEFAULTS(...) ((const az_server_default[]){__VA_ARGS__, {NULL, NULL}})
#define ENUMS(...) ((const emu_enum[]){__VA_ARGS__, {NULL, NULL}})

const emu_role emu_builtin_roles[] = {
	{"Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
	 "Grants full access to manage all resources, including the ability to assign roles in "
	 "Azure RBAC."},
	{"Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c",
	 "Grants full access to manage all resources, but does not allow you to assign roles in "
	 "Azure RBAC."},
	{"Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7",
	 "View all resources, but does not allow you to make any changes."},
	{"Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
	 "Read, write, and delete Azure Storage containers and blobs."},
	{"Storage Blob Data Reader", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
	 "Read and list Azure Storage containers and blobs."},
	{"Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6",
	 "Read secret contents. Only works for key vaults that use the 'Azure role-based access "
	 "control' permission model."},
	{"AzureML Data Scientist", "f6c7c914-8db3-469d-8ca1-694a8f32e121",
	 "Can perform all actions within an Azure Machine Learning workspace, except for creating "
	 "or deleting compute resources and modifying the workspace itself."},
};
const size_t emu_builtin_roles_count = sizeof(emu_builtin_roles) / sizeof(emu_builtin_roles[0]);

static void set_str(json_t *res, const char *path, const char *value)
{
	emu_json_set_path(res, path, json_string(value));
}

static void set_if_absent(json_t *res, const char *path, json_t *value)
{
	if (!emu_json_path(res, path))
		emu_json_set_path(res, path, value);
	else
		json_decref(value);
}

static void now_string(char *buf, size_t n)
{
	emu_iso8601(buf, n, emu_now_ms());
}

static void fill_storage(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)s;
	static const char *const services[] = {"blob", "dfs", "file", "queue", "table", "web"};
	json_t *ep = json_object();
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		char *url = az_xasprintf("https://%s.%s.core.windows.net/", name, services[i]);
		json_object_set_new(ep, services[i], json_string(url));
		free(url);
	}
	json_object_set_new(json_object_get(res, "properties"), "primaryEndpoints", ep);
	const char *loc = json_string_value(json_object_get(res, "location"));
	set_str(res, "properties.primaryLocation", loc ? loc : "");
	const char *sku = json_string_value(emu_json_path(res, "sku.name"));
	set_str(res, "sku.tier", sku && !strncasecmp(sku, "Premium", 7) ? "Premium" : "Standard");
	const char *kind = json_string_value(json_object_get(res, "kind"));
	if (kind && (!strcmp(kind, "StorageV2") || !strcmp(kind, "BlobStorage")))
		set_if_absent(res, "properties.accessTier", json_string("Hot"));
	if (create) {
		char ts[40];
		now_string(ts, sizeof(ts));
		set_str(res, "properties.creationTime", ts);
		set_str(res, "properties.keyCreationTime.key1", ts);
		set_str(res, "properties.keyCreationTime.key2", ts);
	}
}

static void fill_container(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)s;
	(void)name;
	(void)create;
	char ts[40];
	now_string(ts, sizeof(ts));
	set_str(res, "properties.lastModifiedTime", ts);
}

static void fill_vault(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)s;
	(void)create;
	char *uri = az_xasprintf("https://%s.vault.azure.net/", name);
	set_str(res, "properties.vaultUri", uri);
	free(uri);
}

/* Application Insights answers with its own copies of the name, the tenant
 * and the retention as a duration ("P120D", only when the request set the
 * days), and keeps its keys across writes (recordings; Ver and a null
 * SamplingPercentage are left out, see README, "Divergences that stay"). */
static void fill_insights(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)create;
	set_str(res, "properties.ApplicationId", name);
	set_str(res, "properties.Name", name);
	set_str(res, "properties.TenantId", s->tenant_id);
	char ts[40];
	now_string(ts, sizeof(ts));
	set_if_absent(res, "properties.CreationDate", json_string(ts));
	json_t *days = emu_json_path(res, "properties.RetentionInDays");
	if (json_is_integer(days)) {
		char *iso = az_xasprintf("P%lldD", (long long)json_integer_value(days));
		set_str(res, "properties.Retention", iso);
		free(iso);
	} else {
		emu_json_set_path(res, "properties.RetentionInDays", json_integer(90));
		emu_json_del_path(res, "properties.Retention");
	}
	char *key = emu_uuid(s), *app = emu_uuid(s);
	char *conn = az_xasprintf("InstrumentationKey=%s;IngestionEndpoint=https://"
				  "eastus-0.in.applicationinsights.azure.com/",
				  key);
	set_if_absent(res, "properties.InstrumentationKey", json_string(key));
	set_if_absent(res, "properties.AppId", json_string(app));
	set_if_absent(res, "properties.ConnectionString", json_string(conn));
	free(key);
	free(app);
	free(conn);
}

static void fill_ml_workspace(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)name;
	const char *loc = json_string_value(json_object_get(res, "location"));
	char *disc = az_xasprintf("https://%s.api.azureml.ms/discovery", loc ? loc : "eastus");
	set_str(res, "properties.discoveryUrl", disc);
	free(disc);
	char *mlflow = az_xasprintf("azureml://%s.api.azureml.ms/mlflow/v1.0%s", loc ? loc : "eastus",
				    json_string_value(json_object_get(res, "id")));
	set_str(res, "properties.mlFlowTrackingUri", mlflow);
	free(mlflow);
	set_str(res, "properties.tenantId", s->tenant_id);
	if (create || !emu_json_path(res, "properties.workspaceId")) {
		char *id = emu_uuid(s);
		set_str(res, "properties.workspaceId", id);
		free(id);
	}
}

static void fill_ml_compute(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)s;
	(void)name;
	char ts[40];
	now_string(ts, sizeof(ts));
	if (create)
		set_str(res, "properties.createdOn", ts);
	set_str(res, "properties.modifiedOn", ts);
	const char *type = json_string_value(emu_json_path(res, "properties.computeType"));
	bool attached = type && strcmp(type, "AmlCompute") && strcmp(type, "ComputeInstance");
	emu_json_set_path(res, "properties.isAttachedCompute", json_boolean(attached));
	/* Where it runs: the compute's own location (recordings). */
	json_t *loc = json_object_get(res, "location");
	if (json_is_string(loc))
		emu_json_set_path(res, "properties.computeLocation", json_incref(loc));
}

/* The scoring and swagger URIs of a managed online endpoint
 * (OnlineEndpoint/get.json): https://{name}.{region}.inference.ml.azure.com. */
static void fill_online_endpoint(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)s;
	(void)create;
	const char *loc = json_string_value(json_object_get(res, "location"));
	char *host = az_xasprintf("https://%s.%s.inference.ml.azure.com", name, loc ? loc : "global");
	char *lower = emu_lower(host);
	char *scoring = az_xasprintf("%s/score", lower);
	char *swagger = az_xasprintf("%s/swagger.json", lower);
	set_str(res, "properties.scoringUri", scoring);
	set_str(res, "properties.swaggerUri", swagger);
	free(swagger);
	free(scoring);
	free(lower);
	free(host);
}

/* An online endpoint's traffic may only name deployments it has, with
 * shares that are whole percents summing to 100 (or none at all): Azure
 * answers 400 otherwise. */
static bool online_traffic_valid(emu_server *s, const char *lid, json_t *res, emu_resp *r)
{
	json_t *traffic = emu_json_path(res, "properties.traffic");
	if (!traffic || json_is_null(traffic))
		return true;
	if (!json_is_object(traffic)) {
		emu_resp_arm_error(r, 400, "BadArgument", "Traffic must be a map of deployment "
				   "names to percentages.");
		return false;
	}
	const char *name;
	json_t *share;
	json_int_t sum = 0;
	json_object_foreach(traffic, name, share) {
		if (!json_is_integer(share) || json_integer_value(share) < 0 ||
		    json_integer_value(share) > 100) {
			emu_resp_arm_error(r, 400, "BadArgument", "Traffic for deployment '%s' must "
					   "be a whole percentage from 0 to 100.", name);
			return false;
		}
		sum += json_integer_value(share);
		char *dep = az_xasprintf("%s/deployments/%s", lid, name);
		char *ldep = emu_lower(dep);
		json_t *meta = json_object_get(emu_store_obj(s, "meta"), ldep);
		bool found = json_object_get(emu_store_obj(s, "arm"), ldep) &&
			     !json_is_true(json_object_get(meta, "hidden"));
		free(ldep);
		free(dep);
		if (!found) {
			emu_resp_arm_error(r, 400, "BadArgument", "Deployment '%s' does not exist on "
					   "this endpoint: traffic can only be set for existing "
					   "deployments.", name);
			return false;
		}
	}
	if (sum != 0 && sum != 100) {
		emu_resp_arm_error(r, 400, "BadArgument", "Traffic values must sum to 100 (they "
				   "sum to %lld).", (long long)sum);
		return false;
	}
	return true;
}

/* A deployment the endpoint's traffic still names cannot be deleted. */
static bool online_deployment_unrouted(emu_server *s, const char *lid, json_t *res, emu_resp *r)
{
	(void)res;
	const char *slash = strstr(lid, "/deployments/");
	if (!slash)
		return true;
	char *endpoint = az_xasprintf("%.*s", (int)(slash - lid), lid);
	json_t *ep = json_object_get(emu_store_obj(s, "arm"), endpoint);
	free(endpoint);
	const char *name = slash + strlen("/deployments/");
	const char *key;
	json_t *share;
	json_object_foreach(emu_json_path(ep, "properties.traffic"), key, share) {
		if (strcasecmp(key, name) == 0) {
			emu_resp_arm_error(r, 400, "BadArgument", "Deployment '%s' has traffic "
					   "allocated (%lld%%): remove it from the endpoint's "
					   "traffic before deleting it.", key,
					   (long long)json_integer_value(share));
			return false;
		}
	}
	return true;
}

static void fill_synapse_ws(emu_server *s, json_t *res, const char *name, bool create)
{
	char *dev = az_xasprintf("https://%s.dev.localhost:%d", name, s->cfg.port);
	char *sql = az_xasprintf("%s.sql.azuresynapse.net", name);
	char *od = az_xasprintf("%s-ondemand.sql.azuresynapse.net", name);
	char *web = az_xasprintf("https://web.azuresynapse.net?workspace=%%2f%s",
				 json_string_value(json_object_get(res, "id")));
	json_object_set_new(json_object_get(res, "properties"), "connectivityEndpoints",
			    json_pack("{s:s,s:s,s:s,s:s}", "dev", dev, "sql", sql, "sqlOnDemand",
				      od, "web", web));
	free(dev);
	free(sql);
	free(od);
	free(web);
	set_if_absent(res, "properties.defaultDataLakeStorage.createManagedPrivateEndpoint",
		      json_false());
	json_t *who = emu_json_path(res, "systemData.createdBy");
	if (json_is_string(who))
		set_if_absent(res, "properties.cspWorkspaceAdminProperties.initialWorkspaceAdminObjectId",
			      json_incref(who));
	if (create || !emu_json_path(res, "properties.workspaceUID")) {
		char *uid = emu_uuid(s);
		set_str(res, "properties.workspaceUID", uid);
		if (!emu_json_path(res, "properties.managedResourceGroupName")) {
			char *mrg = az_xasprintf("synapseworkspace-managedrg-%s", uid);
			set_str(res, "properties.managedResourceGroupName", mrg);
			free(mrg);
		}
		free(uid);
	}
}

static void fill_dates(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)s;
	(void)name;
	char ts[40];
	now_string(ts, sizeof(ts));
	if (create)
		set_str(res, "properties.creationDate", ts);
	if (emu_json_path(res, "properties.sparkVersion"))
		set_str(res, "properties.lastSucceededTimestamp", ts);
}

/* A Spark pool's autoScale and autoPause come back whole: {} is answered
 * {"enabled":false,"minNodeCount":0,"maxNodeCount":0} (recordings). */
static void fill_pool(emu_server *s, json_t *res, const char *name, bool create)
{
	static const char *const zeros[] = {"properties.autoScale.enabled",
					    "properties.autoScale.minNodeCount",
					    "properties.autoScale.maxNodeCount",
					    "properties.autoPause.enabled",
					    "properties.autoPause.delayInMinutes"};
	for (size_t i = 0; i < sizeof(zeros) / sizeof(zeros[0]); i++)
		set_if_absent(res, zeros[i],
			      strstr(zeros[i], "enabled") ? json_false() : json_integer(0));
	fill_dates(s, res, name, create);
}

/* A user-assigned identity's service principal: clientId, principalId
 * and tenantId come back on create (IdentityCreate.json, 2023-01-31) and
 * stay; the principal exists for role assignments at once. */
static void fill_identity(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)name;
	if (!create && emu_json_path(res, "properties.principalId"))
		return;
	char *principal = emu_uuid(s), *client = emu_uuid(s);
	set_str(res, "properties.principalId", principal);
	set_str(res, "properties.clientId", client);
	set_str(res, "properties.tenantId", s->tenant_id);
	emu_principal_add(s, principal, "ServicePrincipal", emu_now_ms());
	free(principal);
	free(client);
}

/* A Log Analytics workspace's customerId is its own GUID, made on create
 * (WorkspacesCreate.json); createdDate and modifiedDate are the service's. */
static void fill_log_analytics(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)name;
	char ts[40];
	now_string(ts, sizeof(ts));
	if (create || !emu_json_path(res, "properties.customerId")) {
		char *customer = emu_uuid(s);
		set_str(res, "properties.customerId", customer);
		set_str(res, "properties.createdDate", ts);
		free(customer);
	}
	set_str(res, "properties.modifiedDate", ts);
}

/* A private DNS zone is global: the service answers "global" whatever the
 * case asked (PrivateZonePut.json asks "Global"), and counts its SOA. */
static void fill_private_zone(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)s;
	(void)name;
	(void)create;
	json_object_set_new(res, "location", json_string("global"));
}

/* A datastore's storage endpoint and protocol, for the types that have
 * them (the Datastore examples answer core.windows.net and https); the
 * identity the service uses for previews is None unless asked. Ours: the
 * defaults where a request leaves them out (see README). */
static void fill_datastore(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)s;
	(void)name;
	(void)create;
	const char *type = json_string_value(emu_json_path(res, "properties.datastoreType"));
	if (type && (!strcmp(type, "AzureBlob") || !strcmp(type, "AzureDataLakeGen2") ||
		     !strcmp(type, "AzureFile"))) {
		set_if_absent(res, "properties.endpoint", json_string("core.windows.net"));
		set_if_absent(res, "properties.protocol", json_string("https"));
		set_if_absent(res, "properties.serviceDataAccessAuthIdentity", json_string("None"));
	}
}

/* The last segment of an id, for names made from it. */
static const char *last_segment(const char *id)
{
	const char *slash = id ? strrchr(id, '/') : NULL;
	return slash ? slash + 1 : id ? id : "";
}

/* A private endpoint's connections get their ids and states, and the
 * endpoint its network interface (PrivateEndpointCreate.json). Every
 * connection of privateLinkServiceConnections is approved at once, as
 * Azure approves one the caller may approve on its target; a manual one
 * waits, Pending (ours: the emulator knows no other owner). */
static void fill_private_endpoint(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)s;
	(void)create;
	const char *id = json_string_value(json_object_get(res, "id"));
	static const char *const lists[] = {"properties.privateLinkServiceConnections",
					    "properties.manualPrivateLinkServiceConnections"};
	for (size_t l = 0; l < 2; l++) {
		size_t i;
		json_t *conn;
		json_array_foreach(emu_json_path(res, lists[l]), i, conn) {
			if (!json_is_object(conn))
				continue;
			set_if_absent(conn, "name", json_string(name));
			const char *cname = json_string_value(json_object_get(conn, "name"));
			char *cid = az_xasprintf("%s/%s/%s", id ? id : "", last_segment(lists[l]),
						 cname);
			set_str(conn, "id", cid);
			free(cid);
			set_str(conn, "type",
				"Microsoft.Network/privateEndpoints/privateLinkServiceConnections");
			set_str(conn, "properties.provisioningState", "Succeeded");
			set_if_absent(conn, "properties.privateLinkServiceConnectionState",
				      l == 0 ? json_pack("{s:s,s:s,s:s}", "status", "Approved",
							 "description", "Auto-Approved",
							 "actionsRequired", "None")
					     : json_pack("{s:s,s:s,s:s}", "status", "Pending",
							 "description", "", "actionsRequired",
							 "None"));
		}
	}
	if (!json_array_size(emu_json_path(res, "properties.networkInterfaces"))) {
		const char *nic = json_string_value(
			emu_json_path(res, "properties.customNetworkInterfaceName"));
		const char *rg = id ? strstr(id, "/providers/") : NULL;
		char *nic_id = az_xasprintf("%.*s/providers/Microsoft.Network/networkInterfaces/%s%s%s",
					    rg ? (int)(rg - id) : 0, id ? id : "",
					    nic ? nic : name, nic ? "" : ".nic.", nic ? "" : "0a1b2c3d");
		emu_json_set_path(res, "properties.networkInterfaces",
				  json_pack("[{s:s}]", "id", nic_id));
		free(nic_id);
	}
}

/* A zone group registers its endpoint's address in each zone: an A
 * record named after the endpoint (PrivateEndpointDnsZoneGroupCreate.json
 * answers recordSets per config; the name and address are ours). */
static void fill_zone_group(emu_server *s, json_t *res, const char *name, bool create)
{
	(void)s;
	(void)name;
	(void)create;
	const char *id = json_string_value(json_object_get(res, "id"));
	const char *groups = id ? strstr(id, "/privateDnsZoneGroups/") : NULL;
	char *endpoint = groups ? az_xstrndup(id, (size_t)(groups - id)) : az_xstrdup("");
	size_t i;
	json_t *config;
	json_array_foreach(emu_json_path(res, "properties.privateDnsZoneConfigs"), i, config) {
		const char *zone = json_string_value(
			emu_json_path(config, "properties.privateDnsZoneId"));
		const char *record = last_segment(endpoint);
		char *fqdn = az_xasprintf("%s.%s", record, last_segment(zone));
		emu_json_set_path(config, "properties.recordSets",
				  json_pack("[{s:s,s:s,s:s,s:i,s:[s],s:s}]", "recordType", "A",
					    "recordSetName", record, "fqdn", fqdn, "ttl", 10,
					    "ipAddresses", "10.0.0.4", "provisioningState",
					    "Succeeded"));
		free(fqdn);
	}
	free(endpoint);
}

/* Azure allows one DNS zone group per private endpoint: a PUT of a group
 * under another name while one exists (also one being deleted) is refused
 * with Azure's words ("Cannot create more than one private dns zone
 * groups in the private endpoint ...", quoted by
 * pulumi/pulumi-azure-native#2179); the status and code are ours. */
static bool one_zone_group(emu_server *s, const char *lid, json_t *res, emu_resp *r)
{
	(void)res;
	const char *slash = strrchr(lid, '/');
	char *groups = az_xstrndup(lid, slash ? (size_t)(slash - lid) : 0);
	const char *other;
	json_t *v;
	bool alone = true;
	json_object_foreach(emu_arm_collection(s, groups), other, v)
		alone = alone && !strcmp(other, lid);
	if (!alone) {
		const char *end = strstr(groups, "/privatednszonegroups");
		char *endpoint = az_xstrndup(groups, end ? (size_t)(end - groups) : strlen(groups));
		emu_resp_arm_error(r, 400, "BadRequest",
				   "Cannot create more than one private dns zone groups in the "
				   "private endpoint %s.",
				   last_segment(endpoint));
		free(endpoint);
	}
	free(groups);
	return alone;
}

#define STORAGE_VERSIONS LIST("2025-06-01", "2025-01-01", "2024-01-01", "2023-05-01", "2023-01-01")
#define ML_VERSIONS LIST("2025-09-01", "2025-06-01", "2025-04-01", "2024-10-01", "2024-04-01")
/* Online endpoints and deployments (mfe.json): PUT answers 200/201 with
 * the resource "Creating" and runs on behind Azure-AsyncOperation; PATCH
 * and DELETE answer 202 with Location, DELETE ending in 200. */
#define ML_ONLINE_WRITES                                                                          \
	.api_versions = ML_VERSIONS, .put_lro = EMU_LRO_ASYNC, .patch_lro = EMU_LRO_LOCATION,      \
	.delete_lro = EMU_LRO_LOCATION, .delete_final_status = 200, .creating_state = "Creating"
#define SYNAPSE_VERSIONS LIST("2021-06-01", "2021-05-01", "2021-03-01")
#define NETWORK_VERSIONS LIST("2024-05-01", "2024-03-01", "2024-01-01", "2023-11-01", "2023-09-01")

static const emu_arm_kind kinds[] = {
	{
		.type = "Microsoft.Resources/resourceGroups",
		.api_versions = LIST("2021-04-01", "2022-09-01", "2023-07-01", "2024-03-01"),
		.put_lro = EMU_LRO_SYNC,
		.patch_lro = EMU_LRO_SYNC,
		/* Resource group delete: 202 + Location
		 * /subscriptions/{s}/operationresults/{id}, polled to 200. */
		.delete_lro = EMU_LRO_LOCATION,
		.delete_final_status = 200,
		.status_on_subscription = true,
		.required = LIST("location"),
		.provisioning = true,
	},
	{
		.type = "Microsoft.Storage/storageAccounts",
		.api_versions = STORAGE_VERSIONS,
		/* Create: 202, empty body, Location .../asyncoperations/{id}?monitor=true. */
		.put_lro = EMU_LRO_LOCATION,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_SYNC,
		.delete_final_status = 200,
		.monitor_url = true,
		.required = LIST("location", "sku.name", "kind"),
		.create_only = LIST("properties.isHnsEnabled"),
		.enums = ENUMS({"kind", "|Storage|StorageV2|BlobStorage|FileStorage|BlockBlobStorage|"},
			       {"sku.name", "|Standard_LRS|Standard_GRS|Standard_RAGRS|Standard_ZRS|"
					    "Premium_LRS|Premium_ZRS|Standard_GZRS|Standard_RAGZRS|"},
			       {"properties.minimumTlsVersion", "|TLS1_0|TLS1_1|TLS1_2|TLS1_3|"},
			       {"properties.accessTier", "|Hot|Cool|Cold|Premium|"},
			       {"properties.publicNetworkAccess", "|Enabled|Disabled|SecuredByPerimeter|"}),
		.defaults = DEFAULTS(
			{"properties.minimumTlsVersion", "\"TLS1_2\""},
			{"properties.supportsHttpsTrafficOnly", "true"},
			{"properties.allowBlobPublicAccess", "false"},
			{"properties.allowSharedKeyAccess", "true"},
			{"properties.isHnsEnabled", "false"},
			{"properties.statusOfPrimary", "\"available\""},
			{"properties.networkAcls",
			 "{\"bypass\":\"AzureServices\",\"virtualNetworkRules\":[],\"ipRules\":[],"
			 "\"defaultAction\":\"Allow\"}"},
			{"properties.encryption",
			 "{\"services\":{\"file\":{\"keyType\":\"Account\",\"enabled\":true},"
			 "\"blob\":{\"keyType\":\"Account\",\"enabled\":true}},"
			 "\"requireInfrastructureEncryption\":false,\"keySource\":\"Microsoft.Storage\"}"}),
		.provisioning = true,
		.fill = fill_storage,
	},
	{
		.type = "Microsoft.Storage/storageAccounts/blobServices",
		.api_versions = STORAGE_VERSIONS,
		.implicit = true,
	},
	{
		.type = "Microsoft.Storage/storageAccounts/blobServices/containers",
		.api_versions = STORAGE_VERSIONS,
		.put_lro = EMU_LRO_SYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_SYNC,
		.delete_final_status = 200,
		.enums = ENUMS({"properties.publicAccess", "|None|Container|Blob|"}),
		.defaults = DEFAULTS({"properties.publicAccess", "\"None\""},
				     {"properties.hasImmutabilityPolicy", "false"},
				     {"properties.hasLegalHold", "false"},
				     {"properties.deleted", "false"},
				     {"properties.remainingRetentionDays", "0"},
				     {"properties.defaultEncryptionScope", "\"$account-encryption-key\""},
				     {"properties.denyEncryptionScopeOverride", "false"},
				     {"properties.leaseStatus", "\"Unlocked\""},
				     {"properties.leaseState", "\"Available\""}),
		.etag = true,
		.etag_form = EMU_ETAG_STORAGE,
		.missing_code = "ContainerNotFound",
		.missing_message = "The specified container does not exist.",
		.fill = fill_container,
	},
	{
		.type = "Microsoft.KeyVault/vaults",
		.api_versions = LIST("2023-07-01", "2022-07-01", "2024-11-01"),
		.put_lro = EMU_LRO_SYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_SYNC,
		.delete_final_status = 200,
		.required = LIST("location", "properties.tenantId", "properties.sku.name",
				 "properties.sku.family"),
		.enums = ENUMS({"properties.sku.name", "|standard|premium|"},
			       {"properties.sku.family", "|A|"}),
		.defaults = DEFAULTS({"properties.enableSoftDelete", "true"},
				     {"properties.softDeleteRetentionInDays", "90"},
				     {"properties.enableRbacAuthorization", "false"},
				     {"properties.accessPolicies", "[]"},
				     {"properties.publicNetworkAccess", "\"Enabled\""}),
		.provisioning = true,
		.fill = fill_vault,
	},
	{
		.type = "Microsoft.Insights/components",
		.api_versions = LIST("2020-02-02", "2015-05-01"),
		.put_lro = EMU_LRO_SYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_SYNC,
		.delete_final_status = 200,
		.required = LIST("location", "kind", "properties.Application_Type"),
		.enums = ENUMS({"properties.Application_Type", "|web|other|"}),
		.defaults = DEFAULTS({"tags", "{}"},
				     {"properties.IngestionMode", "\"ApplicationInsights\""},
				     {"properties.publicNetworkAccessForIngestion", "\"Enabled\""},
				     {"properties.publicNetworkAccessForQuery", "\"Enabled\""}),
		.kept = LIST("properties.InstrumentationKey", "properties.AppId",
			     "properties.ConnectionString", "properties.CreationDate"),
		/* Create and update both answer 200 (recordings). */
		.put_status = 200,
		.etag = true,
		.etag_form = EMU_ETAG_QUOTED,
		.provisioning = true,
		.fill = fill_insights,
	},
	{
		.type = "Microsoft.MachineLearningServices/workspaces",
		.api_versions = ML_VERSIONS,
		.put_lro = EMU_LRO_BOTH,
		/* PATCH: 202, no body, both headers on
		 * .../locations/{l}/workspaceOperationsStatus/{id} (recordings). */
		.patch_lro = EMU_LRO_BOTH,
		.patch_no_body = true,
		.status_segment = "workspaceOperationsStatus",
		.delete_lro = EMU_LRO_BOTH,
		.delete_final_status = 200,
		.required = LIST("location", "properties.storageAccount", "properties.keyVault",
				 "properties.applicationInsights"),
		.create_only = LIST("properties.storageAccount", "properties.keyVault"),
		.defaults = DEFAULTS({"properties.hbiWorkspace", "false"},
				     {"properties.publicNetworkAccess", "\"Enabled\""},
				     {"properties.allowPublicAccessWhenBehindVnet", "false"},
				     {"properties.v1LegacyMode", "false"},
				     {"properties.storageHnsEnabled", "false"},
				     {"properties.managedNetwork", "{\"isolationMode\":\"Disabled\"}"},
				     {"kind", "\"Default\""},
				     {"sku", "{\"name\":\"Basic\",\"tier\":\"Basic\"}"}),
		.provisioning = true,
		.fill = fill_ml_workspace,
	},
	{
		.type = "Microsoft.MachineLearningServices/workspaces/computes",
		.api_versions = ML_VERSIONS,
		/* Create: 201, delete: 202 with no body, both with Azure-AsyncOperation
		 * .../locations/{l}/computeOperationsStatus/{id} alone (recordings). */
		.put_lro = EMU_LRO_ASYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_ASYNC,
		.status_segment = "computeOperationsStatus",
		.creating_state = "Creating",
		.delete_final_status = 200,
		.required = LIST("properties.computeType"),
		.enums = ENUMS({"properties.computeType",
				"|AKS|Kubernetes|AmlCompute|ComputeInstance|DataFactory|"
				"VirtualMachine|HDInsight|Databricks|DataLakeAnalytics|SynapseSpark|"}),
		.provisioning = true,
		.fill = fill_ml_compute,
	},
	{
		/* OnlineEndpoint/createOrUpdate.json, update.json, delete.json. */
		.type = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
		ML_ONLINE_WRITES,
		.required = LIST("location", "properties.authMode"),
		.enums = ENUMS({"properties.authMode", "|AMLToken|Key|AADToken|"},
			       {"properties.publicNetworkAccess", "|Enabled|Disabled|"}),
		.defaults = DEFAULTS({"properties.traffic", "{}"},
				     {"properties.publicNetworkAccess", "\"Enabled\""}),
		.provisioning = true,
		.fill = fill_online_endpoint,
		.check_write = online_traffic_valid,
	},
	{
		/* ManagedOnlineDeployment/createOrUpdate.json, update.json,
		 * OnlineDeployment/delete.json. */
		.type = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
		ML_ONLINE_WRITES,
		.required = LIST("location", "properties.endpointComputeType"),
		.create_only = LIST("properties.endpointComputeType"),
		.enums = ENUMS({"properties.endpointComputeType", "|Managed|Kubernetes|AzureMLCompute|"}),
		.defaults = DEFAULTS({"properties.appInsightsEnabled", "false"},
				     {"properties.egressPublicNetworkAccess", "\"Enabled\""},
				     {"properties.scaleSettings", "{\"scaleType\":\"Default\"}"}),
		.provisioning = true,
		.check_delete = online_deployment_unrouted,
	},
	{
		/* mfe.json: PUT answers 200 or 201 with the datastore (the Datastore
		 * examples), DELETE 200 or 204; neither is long-running. Secrets are
		 * taken and never returned (the examples answer secretsType alone). */
		.type = "Microsoft.MachineLearningServices/workspaces/datastores",
		.api_versions = ML_VERSIONS,
		.put_lro = EMU_LRO_SYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_SYNC,
		.delete_final_status = 200,
		.required = LIST("properties.datastoreType", "properties.credentials.credentialsType"),
		.write_only = LIST("properties.credentials.secrets.key",
				   "properties.credentials.secrets.sasToken",
				   "properties.credentials.secrets.clientSecret",
				   "properties.credentials.secrets.certificate"),
		.enums = ENUMS({"properties.datastoreType",
				"|AzureBlob|AzureDataLakeGen1|AzureDataLakeGen2|AzureFile|OneLake|"},
			       {"properties.credentials.credentialsType",
				"|AccountKey|Certificate|None|Sas|ServicePrincipal|"}),
		.defaults = DEFAULTS({"properties.isDefault", "false"}),
		.fill = fill_datastore,
	},
	{
		.type = "Microsoft.Synapse/workspaces",
		.api_versions = SYNAPSE_VERSIONS,
		/* PUT and PATCH: 201 + Azure-AsyncOperation only. */
		.put_lro = EMU_LRO_ASYNC,
		.patch_lro = EMU_LRO_ASYNC,
		.delete_lro = EMU_LRO_BOTH,
		.delete_final_status = 200,
		.required = LIST("location", "properties.defaultDataLakeStorage.accountUrl"),
		.create_only = LIST("properties.defaultDataLakeStorage.accountUrl",
				    "properties.managedVirtualNetwork"),
		.write_only = LIST("properties.sqlAdministratorLoginPassword"),
		.enums = ENUMS({"properties.publicNetworkAccess", "|Enabled|Disabled|"}),
		.defaults = DEFAULTS({"properties.publicNetworkAccess", "\"Enabled\""},
				     {"properties.privateEndpointConnections", "[]"},
				     {"properties.encryption", "{\"doubleEncryptionEnabled\":false}"},
				     {"properties.extraProperties",
				      "{\"WorkspaceType\":\"Normal\",\"IsScopeEnabled\":false}"},
				     {"properties.trustedServiceBypassEnabled", "false"}),
		.provisioning = true,
		.patch_status = 201,
		.status_on_workspace = true,
		.fill = fill_synapse_ws,
	},
	{
		.type = "Microsoft.Synapse/workspaces/firewallRules",
		.api_versions = SYNAPSE_VERSIONS,
		.patch_lro = EMU_LRO_ASYNC,
		.delete_lro = EMU_LRO_BOTH,
		.delete_final_status = 200,
		.required = LIST("properties.startIpAddress", "properties.endIpAddress"),
		.provisioning = true,
		/* PUT: 201 with Azure-AsyncOperation and Location (recordings). */
		.put_lro = EMU_LRO_BOTH,
		.put_status = 201,
		.status_on_workspace = true,
	},
	{
		/* integrationRuntime.json: PUT and DELETE are long-running, 200 or
		 * 202 (no body); the resource has an etag and no provisioningState
		 * (IntegrationRuntimes_Get.json, _ListByWorkspace.json, _Delete.json). */
		.type = "Microsoft.Synapse/workspaces/integrationRuntimes",
		.api_versions = SYNAPSE_VERSIONS,
		.put_lro = EMU_LRO_LOCATION,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_LOCATION,
		.delete_final_status = 200,
		.required = LIST("properties.type"),
		.enums = ENUMS({"properties.type", "|Managed|SelfHosted|"}),
		.etag = true,
		.etag_form = EMU_ETAG_PLAIN,
		.status_on_workspace = true,
	},
	{
		.type = "Microsoft.Synapse/workspaces/bigDataPools",
		.api_versions = SYNAPSE_VERSIONS,
		/* Create: 202 with both headers; delete: 202 Location only, ends in 204. */
		.put_lro = EMU_LRO_BOTH,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_LOCATION,
		.delete_final_status = 204,
		.patch_tags_only = true,
		.required = LIST("location"),
		.enums = ENUMS({"properties.nodeSize",
				"|None|Small|Medium|Large|XLarge|XXLarge|XXXLarge|"},
			       {"properties.nodeSizeFamily",
				"|None|MemoryOptimized|HardwareAcceleratedFPGA|HardwareAcceleratedGPU|"}),
		.defaults = DEFAULTS({"properties.autoPause", "{\"enabled\":false,\"delayInMinutes\":15}"},
				     {"properties.autoScale",
				      "{\"enabled\":false,\"minNodeCount\":3,\"maxNodeCount\":10}"},
				     {"properties.isComputeIsolationEnabled", "false"},
				     {"properties.sessionLevelPackagesEnabled", "false"},
				     {"properties.dynamicExecutorAllocation", "{\"enabled\":false}"},
				     {"properties.cacheSize", "0"}),
		/* Recorded answers carry no sparkEventsFolder, defaultSparkLogFolder
		 * or isAutotuneEnabled, even when the request set the first. */
		.write_only = LIST("properties.sparkEventsFolder", "properties.defaultSparkLogFolder",
				   "properties.isAutotuneEnabled"),
		.provisioning = true,
		.updating_state = "Provisioning",
		.status_on_workspace = true,
		.fill = fill_pool,
	},
	{
		.type = "Microsoft.Synapse/workspaces/sqlPools",
		.api_versions = SYNAPSE_VERSIONS,
		.put_lro = EMU_LRO_BOTH,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_BOTH,
		.delete_final_status = 200,
		.required = LIST("location"),
		.enums = ENUMS({"properties.storageAccountType", "|GRS|LRS|"},
			       {"properties.createMode",
				"|Default|PointInTimeRestore|Recovery|Restore|"}),
		.defaults = DEFAULTS({"properties.collation", "\"SQL_Latin1_General_CP1_CI_AS\""},
				     {"properties.maxSizeBytes", "263882790666240"},
				     {"properties.storageAccountType", "\"GRS\""},
				     {"properties.status", "\"Online\""},
				     {"properties.restorePointInTime", "\"0001-01-01T00:00:00Z\""},
				     {"sku", "{\"name\":\"DW100c\",\"tier\":\"DataWarehouse\"}"},
				     {"sku.capacity", "0"}),
		/* createMode is never returned (sqlPool.json: no read mutability;
		 * recordings: neither the PUT's answer nor a GET has it). */
		.write_only = LIST("properties.createMode"),
		.absent_while_creating = LIST("properties.status"),
		.provisioning = true,
		.status_on_workspace = true,
		.fill = fill_dates,
	},
	{
		.type = "Microsoft.Authorization/roleAssignments",
		.api_versions = LIST("2022-04-01", "2020-10-01-preview", "2020-04-01-preview",
				     "2018-09-01-preview"),
		.put_lro = EMU_LRO_SYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_SYNC,
		.delete_final_status = 200,
		.required = LIST("properties.roleDefinitionId", "properties.principalId"),
		.enums = ENUMS({"properties.principalType",
				"|User|Group|ServicePrincipal|ForeignGroup|Device|"}),
		.defaults = DEFAULTS({"properties.principalType", "\"User\""}),
	},
	/* Types only ArmResource manifests name (no table kind in azapply). */
	{
		.type = "Microsoft.ManagedIdentity/userAssignedIdentities",
		.api_versions = LIST("2023-01-31", "2024-11-30", "2018-11-30"),
		/* ManagedIdentity.json: PUT 200/201, DELETE 200/204, not long-running. */
		.put_lro = EMU_LRO_SYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_SYNC,
		.delete_final_status = 200,
		.required = LIST("location"),
		.fill = fill_identity,
	},
	{
		.type = "Microsoft.Network/privateDnsZones",
		.api_versions = LIST("2020-06-01", "2024-06-01", "2020-01-01", "2018-09-01"),
		/* PrivateZonePut.json: 202 with Location and Azure-AsyncOperation
		 * (privateDnsOperationStatuses); the zone has an etag. */
		.put_lro = EMU_LRO_BOTH,
		.patch_lro = EMU_LRO_BOTH,
		.delete_lro = EMU_LRO_BOTH,
		.delete_final_status = 200,
		.required = LIST("location"),
		.defaults = DEFAULTS({"properties.maxNumberOfRecordSets", "5000"},
				     {"properties.numberOfRecordSets", "1"},
				     {"properties.maxNumberOfVirtualNetworkLinks", "100"},
				     {"properties.numberOfVirtualNetworkLinks", "0"},
				     {"properties.maxNumberOfVirtualNetworkLinksWithRegistration", "50"},
				     {"properties.numberOfVirtualNetworkLinksWithRegistration", "0"}),
		.etag = true,
		.provisioning = true,
		.fill = fill_private_zone,
	},
	{
		/* privateEndpoint.json: PUT 200/201 and DELETE 200/202/204, both
		 * long-running through Azure-AsyncOperation (PrivateEndpointDelete.json;
		 * the emulator's status URL is operationStatuses, not the example's
		 * operationResults). */
		.type = "Microsoft.Network/privateEndpoints",
		.api_versions = NETWORK_VERSIONS,
		.put_lro = EMU_LRO_ASYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_ASYNC,
		.delete_final_status = 200,
		.required = LIST("location", "properties.subnet.id"),
		/* Ours: Azure refuses to move an endpoint or rename its interface. */
		.create_only = LIST("properties.subnet.id", "properties.customNetworkInterfaceName"),
		.defaults = DEFAULTS({"properties.privateLinkServiceConnections", "[]"},
				     {"properties.manualPrivateLinkServiceConnections", "[]"},
				     {"properties.applicationSecurityGroups", "[]"},
				     {"properties.ipConfigurations", "[]"},
				     {"properties.customDnsConfigs", "[]"}),
		.etag = true,
		.provisioning = true,
		.fill = fill_private_endpoint,
	},
	{
		/* privateEndpoint.json PrivateDnsZoneGroups: PUT 200/201, DELETE
		 * 200/202/204, long-running as the endpoint's. */
		.type = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
		.api_versions = NETWORK_VERSIONS,
		.put_lro = EMU_LRO_ASYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_ASYNC,
		.delete_final_status = 200,
		.required = LIST("properties.privateDnsZoneConfigs"),
		.etag = true,
		.provisioning = true,
		.fill = fill_zone_group,
		.check_write = one_zone_group,
	},
	{
		.type = "Microsoft.OperationalInsights/workspaces",
		.api_versions = LIST("2022-10-01", "2023-09-01", "2020-08-01"),
		/* Workspaces.json: PUT 200/201/202, long-running. */
		.put_lro = EMU_LRO_ASYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_SYNC,
		.delete_final_status = 200,
		.required = LIST("location"),
		.enums = ENUMS({"properties.sku.name",
				"|Free|Standard|Premium|PerNode|PerGB2018|Standalone|"
				"CapacityReservation|LACluster|"}),
		.defaults = DEFAULTS({"properties.sku", "{\"name\":\"PerGB2018\"}"},
				     {"properties.retentionInDays", "30"},
				     {"properties.publicNetworkAccessForIngestion", "\"Enabled\""},
				     {"properties.publicNetworkAccessForQuery", "\"Enabled\""}),
		.provisioning = true,
		.fill = fill_log_analytics,
	},
	{
		.type = "Microsoft.Synapse/workspaces/administrators",
		.api_versions = SYNAPSE_VERSIONS,
		/* workspace.json WorkspaceAadAdmins: PUT 200/202 with the body
		 * (CreateOrUpdateWorkspaceAadAdmin.json), DELETE 200/202/204,
		 * final state via Location; no list operation. */
		.put_lro = EMU_LRO_BOTH,
		.patch_lro = EMU_LRO_BOTH,
		.delete_lro = EMU_LRO_LOCATION,
		.delete_final_status = 204,
		.required = LIST("properties.login", "properties.sid"),
		.status_on_workspace = true,
	},
	{
		.type = "Microsoft.Insights/diagnosticSettings",
		.api_versions = LIST("2021-05-01-preview", "2017-05-01-preview"),
		/* An extension resource without tags or location; PUT answers 200
		 * with the setting (createOrUpdateDiagnosticSetting.json). */
		.put_lro = EMU_LRO_SYNC,
		.patch_lro = EMU_LRO_SYNC,
		.delete_lro = EMU_LRO_SYNC,
		.delete_final_status = 200,
	},
	{
		.type = "Microsoft.Authorization/roleDefinitions",
		.api_versions = LIST("2022-04-01", "2018-01-01-preview", "2015-07-01"),
	},
};

const emu_arm_kind *emu_arm_kind_find(const char *type)
{
	if (!type)
		return NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcasecmp(kinds[i].type, type))
			return &kinds[i];
	return NULL;
}

const emu_arm_kind *const *emu_arm_kinds(size_t *count)
{
	static const emu_arm_kind *ptrs[sizeof(kinds) / sizeof(kinds[0])];
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		ptrs[i] = &kinds[i];
	*count = sizeof(kinds) / sizeof(kinds[0]);
	return ptrs;
}

static const char *const lro_names[] = {"sync", "async", "location", "both"};

emu_lro emu_lro_parse(const char *s, emu_lro fallback)
{
	for (size_t i = 0; s && i < 4; i++)
		if (!strcasecmp(s, lro_names[i]))
			return (emu_lro)i;
	return fallback;
}

const char *emu_lro_name(emu_lro l)
{
	return lro_names[l];
}
