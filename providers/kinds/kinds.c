/*
 * kinds.c - the table of resource kinds azapply manages.
 *
 * A kind is data: which provider serves it, its api-version (the newest
 * stable one in the Azure REST specs we follow), how its Azure id is built,
 * which properties Azure fills in, which force a replacement, which are
 * write-only secrets, where the ownership marker lives and what names Azure
 * accepts. Code that is truly specific to one kind lives in its provider,
 * in a file named after the kind; everything else reads this table.
 *
 * Naming rules come from the Azure resource naming rules documentation and,
 * where a spec states one, from the spec's pattern (cited per entry).
 */
#include <azapply/provider.h>

#include <string.h>

#include "arm_resource.h"

#define PATHS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define DEFAULTS(...) ((const az_server_default[]){__VA_ARGS__, {NULL, NULL}})

/* Read-only fields every ARM resource carries. */
#define ARM_READ_ONLY "id", "name", "type", "etag", "systemData", "properties.provisioningState"

/* Synapse artifact names (artifacts.json, e.g. LinkedServiceName). A macro,
 * not a const object: C initializers need constant expressions. */
#define ARTIFACT_NAMING                                                                           \
	{1, 260, "[A-Za-z0-9_][^<>*#.%&:\\\\+?/]*",                                                 \
	 "1-260 characters; starts with a letter, digit or underscore; none of < > * # . % & : \\ + ? /"}

/* Objects whose Azure name is not chosen by the user (GUIDs, Graph ids):
 * the manifest name is only an address, so it just has to read well. */
#define ADDRESS_NAMING                                                                            \
	{1, 128, "[A-Za-z0-9][A-Za-z0-9._-]*",                                                    \
	 "1-128 characters: letters, digits, '.', '_' and '-', starting with a letter or digit"}

/* Any ARM type (arm_resource.c). This entry is what a manifest's kind
 * names, what its schema and references go by; each resource gets the
 * kind made for its type, api-version and placement. */
static const az_kind ARM_RESOURCE = {
	.name = "ArmResource",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "",
	.type = "",
	.id_template = "",
	.scope = AZ_SCOPE_RESOURCE_GROUP,
	.list_path = "",
	.read_only_paths = PATHS(ARM_READ_ONLY),
	/* Every type's location is fixed at creation. */
	.create_only_paths = PATHS("location"),
	.case_insensitive_paths = PATHS("location"),
	.marker = AZ_MARKER_TAGS,
	/* What it holds is unknown: replacing it is refused without
	 * lifecycle.allowReplace, as for a workspace. */
	.stateful = true,
	/* ARM's own limits for any resource name: 1-260 characters, none of
	 * the characters that end a path segment or a query. */
	.naming = {1, 260, "[^<>%&:\\\\?/#*\\x00-\\x1f]+",
		   "1-260 characters, none of < > % & : \\ ? / # *"},
	.create_timeout_s = 3600,
	.delete_timeout_s = 3600,
	.generic = true,
};

static const az_kind RESOURCE_GROUP = {
	.name = "ResourceGroup",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2021-04-01",
	.type = "Microsoft.Resources/resourceGroups",
	.id_template = "/subscriptions/{subscription}/resourceGroups/{name}",
	.scope = AZ_SCOPE_SUBSCRIPTION,
	.list_path = "/subscriptions/{subscription}/resourcegroups",
	.read_only_paths = PATHS(ARM_READ_ONLY, "managedBy"),
	.create_only_paths = PATHS("location"),
	.case_insensitive_paths = PATHS("location"),
	.marker = AZ_MARKER_TAGS,
	.stateful = true,
	/* common-types v5 ResourceGroupNameParameter: ^[-\w\._\(\)]+$, 1-90. */
	.naming = {1, 90, "[-\\w._()]*[-\\w_()]",
		   "1-90 characters: letters, digits, '_', '-', '.', '(' and ')', not ending in '.'"},
	.create_timeout_s = 300,
	.delete_timeout_s = 3600,
};

static const az_kind STORAGE_ACCOUNT = {
	.name = "StorageAccount",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2025-06-01",
	.type = "Microsoft.Storage/storageAccounts",
	.id_template = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.Storage/storageAccounts/{name}",
	.scope = AZ_SCOPE_RESOURCE_GROUP,
	.list_path = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.Storage/storageAccounts",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.primaryEndpoints", "properties.primaryLocation",
				 "properties.statusOfPrimary", "properties.creationTime",
				 "properties.keyCreationTime", "properties.secondaryLocation",
				 "properties.statusOfSecondary", "properties.secondaryEndpoints"),
	.create_only_paths = PATHS("location", "properties.isHnsEnabled"),
	.case_insensitive_paths = PATHS("location", "kind", "sku.name"),
	.server_defaults = DEFAULTS({"properties.accessTier", "\"Hot\""},
				    {"properties.supportsHttpsTrafficOnly", "true"},
				    {"properties.minimumTlsVersion", "\"TLS1_2\""},
				    {"properties.allowBlobPublicAccess", "false"}),
	.marker = AZ_MARKER_TAGS,
	.stateful = true,
	.naming = {3, 24, "[a-z0-9]+", "3-24 characters: lowercase letters and digits only, unique across Azure"},
	.create_timeout_s = 600,
	.delete_timeout_s = 600,
};

static const az_kind STORAGE_CONTAINER = {
	.name = "StorageContainer",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2025-06-01",
	.type = "Microsoft.Storage/storageAccounts/blobServices/containers",
	.id_template = "{parent}/blobServices/default/containers/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "StorageAccount",
	.parent_field = "storageAccount",
	.list_path = "{parent}/blobServices/default/containers",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.lastModifiedTime", "properties.leaseStatus",
				 "properties.leaseState", "properties.hasImmutabilityPolicy",
				 "properties.hasLegalHold", "properties.deleted", "properties.remainingRetentionDays"),
	.server_defaults = DEFAULTS({"properties.publicAccess", "\"None\""}),
	/* Containers carry no tags; their metadata holds the marker. */
	.marker = AZ_MARKER_METADATA,
	.stateful = true,
	/* BlobContainer is an AzureEntityResource: it has an etag (blob.json). */
	.create_if_absent = true,
	.naming = {3, 63, "[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]",
		   "3-63 characters: lowercase letters, digits and single hyphens, starting and ending with a letter or digit"},
	.create_timeout_s = 300,
	.delete_timeout_s = 300,
};

static const az_kind KEY_VAULT = {
	.name = "KeyVault",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2023-07-01",
	.type = "Microsoft.KeyVault/vaults",
	.id_template = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.KeyVault/vaults/{name}",
	.scope = AZ_SCOPE_RESOURCE_GROUP,
	.list_path = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.KeyVault/vaults",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.vaultUri", "properties.hsmPoolResourceId"),
	.create_only_paths = PATHS("location"),
	.case_insensitive_paths = PATHS("location", "properties.sku.name"),
	.id_paths = PATHS("properties.tenantId"),
	.server_defaults = DEFAULTS({"properties.enableSoftDelete", "true"},
				    {"properties.softDeleteRetentionInDays", "90"}),
	.marker = AZ_MARKER_TAGS,
	.stateful = true,
	.naming = {3, 24, "[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]",
		   "3-24 characters: letters, digits and single hyphens, starting with a letter and ending with a letter or digit"},
	.create_timeout_s = 600,
	.delete_timeout_s = 600,
};

static const az_kind APPLICATION_INSIGHTS = {
	.name = "ApplicationInsights",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2020-02-02",
	.type = "Microsoft.Insights/components",
	.id_template = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.Insights/components/{name}",
	.scope = AZ_SCOPE_RESOURCE_GROUP,
	.list_path = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.Insights/components",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.AppId", "properties.ApplicationId",
				 "properties.InstrumentationKey", "properties.ConnectionString",
				 "properties.CreationDate", "properties.TenantId", "properties.Name"),
	.create_only_paths = PATHS("location"),
	.case_insensitive_paths = PATHS("location", "kind"),
	.marker = AZ_MARKER_TAGS,
	/* ApplicationInsightsComponent has an etag (components_API.json). */
	.create_if_absent = true,
	.naming = {1, 260, "[^%&\\\\?/\\x00-\\x1f]*[^%&\\\\?/\\x00-\\x1f. ]",
		   "1-260 characters, none of % & \\ ? /, not ending in '.' or a space"},
	.create_timeout_s = 300,
	.delete_timeout_s = 300,
};

static const az_kind ML_WORKSPACE = {
	.name = "MlWorkspace",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2025-09-01",
	.type = "Microsoft.MachineLearningServices/workspaces",
	.id_template = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/{name}",
	.scope = AZ_SCOPE_RESOURCE_GROUP,
	.list_path = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.workspaceId", "properties.discoveryUrl",
				 "properties.mlFlowTrackingUri", "properties.notebookInfo",
				 "properties.privateLinkCount", "properties.storageHnsEnabled",
				 "properties.tenantId", "properties.serviceProvisionedResourceGroup",
				 "identity.principalId", "identity.tenantId"),
	/* Azure rejects changes to the storage account and key vault. */
	.create_only_paths = PATHS("location", "properties.storageAccount", "properties.keyVault"),
	.case_insensitive_paths = PATHS("location", "sku.name", "identity.type"),
	.id_paths = PATHS("properties.storageAccount", "properties.keyVault", "properties.applicationInsights",
			  "properties.containerRegistry"),
	.marker = AZ_MARKER_TAGS,
	.stateful = true,
	/* workspaceRP.json WorkspaceNameParameter. */
	.naming = {3, 33, "[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}",
		   "3-33 characters: letters, digits, '_' and '-', starting with a letter or digit"},
	.create_timeout_s = 1200,
	.delete_timeout_s = 1200,
};

static const az_kind ML_COMPUTE = {
	.name = "MlCompute",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2025-09-01",
	.type = "Microsoft.MachineLearningServices/workspaces/computes",
	.id_template = "{parent}/computes/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "MlWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/computes",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.createdOn", "properties.modifiedOn",
				 "properties.provisioningErrors", "properties.isAttachedCompute",
				 "properties.properties.allocationState", "properties.properties.allocationStateTransitionTime",
				 "properties.properties.currentNodeCount", "properties.properties.targetNodeCount",
				 "properties.properties.nodeStateCounts", "properties.properties.errors"),
	.create_only_paths = PATHS("location", "properties.computeType", "properties.resourceId"),
	.case_insensitive_paths = PATHS("location"),
	.id_paths = PATHS("properties.resourceId"),
	.marker = AZ_MARKER_TAGS,
	.naming = {2, 16, "[a-zA-Z][a-zA-Z0-9-]*",
		   "2-16 characters: letters, digits and '-', starting with a letter"},
	.create_timeout_s = 1200,
	.delete_timeout_s = 1200,
};

/* Online endpoints and their deployments: 3-32 characters, a letter
 * first, letters, digits and '-' (an endpoint's name is part of its
 * scoring host name). Real ones take minutes to tens of minutes to create
 * or delete. */
#define ML_ONLINE_NAMING_AND_WAITS                                                                \
	.naming = {3, 32, "[a-zA-Z](?:[a-zA-Z0-9-]{1,30}[a-zA-Z0-9])",                             \
		   "3-32 characters: letters, digits and '-', starting with a letter and ending "    \
		   "with a letter or digit"},                                                        \
	.create_timeout_s = 3600, .delete_timeout_s = 3600

/* Managed online endpoints (mfe.json, OnlineEndpointTrackedResource):
 * PUT answers 200/201 and runs on (Azure-AsyncOperation), PATCH and DELETE
 * answer 202 with Location (OnlineEndpoint/update.json, delete.json). */
static const az_kind ML_ONLINE_ENDPOINT = {
	.name = "MlOnlineEndpoint",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2025-09-01",
	.type = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
	.id_template = "{parent}/onlineEndpoints/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "MlWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/onlineEndpoints",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.scoringUri", "properties.swaggerUri",
				 "identity.principalId", "identity.tenantId"),
	.create_only_paths = PATHS("location"),
	.case_insensitive_paths = PATHS("location", "identity.type", "properties.authMode"),
	.marker = AZ_MARKER_TAGS,
	/* Replacing it deletes its deployments and its keys with it. */
	.stateful = true,
	ML_ONLINE_NAMING_AND_WAITS,
	.routes_path = "properties.traffic",
	.routes_to = "MlOnlineDeployment",
};

/* Deployments of a managed online endpoint (mfe.json,
 * OnlineDeploymentTrackedResource with endpointComputeType Managed): PUT
 * 200/201 running on, PATCH and DELETE 202 with Location
 * (ManagedOnlineDeployment/createOrUpdate.json, update.json,
 * OnlineDeployment/delete.json). */
static const az_kind ML_ONLINE_DEPLOYMENT = {
	.name = "MlOnlineDeployment",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2025-09-01",
	.type = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
	.id_template = "{parent}/deployments/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "MlOnlineEndpoint",
	.parent_field = "endpoint",
	.list_path = "{parent}/deployments",
	.read_only_paths = PATHS(ARM_READ_ONLY, "identity.principalId", "identity.tenantId"),
	/* endpointComputeType is the body's discriminator: another is another
	 * kind of deployment. */
	.create_only_paths = PATHS("location", "properties.endpointComputeType"),
	.case_insensitive_paths = PATHS("location", "identity.type",
					"properties.endpointComputeType"),
	.marker = AZ_MARKER_TAGS,
	ML_ONLINE_NAMING_AND_WAITS,
};

/* An Azure ML datastore (mfe.json 2025-09-01, Datastore): a workspace's
 * named pointer at a storage account's container (AzureBlob) or file
 * system (AzureDataLakeGen2). The PUT answers 200 or 201 at once
 * (Datastore examples). Only identity-based datastores are declared
 * (credentials: {credentialsType: None}: the workspace's or the user's
 * identity reads the data): an account key, SAS token or client secret
 * would have to sit in git, so validate refuses them (stack.c). A
 * datastore is a proxy resource without tags, but DatastoreProperties
 * carries a tag dictionary of its own (properties.tags): the marker goes
 * there. isDefault is the service's: the workspace's own stores
 * (workspaceblobstore...) carry no marker and are never pruned. Its type
 * is the discriminator of the stored record: another type is another
 * datastore. */
static const az_kind ML_DATASTORE = {
	.name = "MlDatastore",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2025-09-01",
	.type = "Microsoft.MachineLearningServices/workspaces/datastores",
	.id_template = "{parent}/datastores/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "MlWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/datastores",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.isDefault"),
	.create_only_paths = PATHS("properties.datastoreType"),
	.case_insensitive_paths = PATHS("properties.credentials.credentialsType",
					"properties.serviceDataAccessAuthIdentity"),
	.id_paths = PATHS("properties.resourceGroup", "properties.subscriptionId"),
	.marker = AZ_MARKER_PROPERTY_TAGS,
	/* Azure ML: a datastore name holds letters, digits and underscores. */
	.naming = {1, 255, "[A-Za-z0-9_]+", "1-255 characters: letters, digits and '_'"},
	.create_timeout_s = 300,
	.delete_timeout_s = 300,
};

/* A private endpoint (privateEndpoint.json 2024-05-01): a network
 * interface in a subnet that reaches one sub-resource (groupIds: blob,
 * dfs, vault, Sql, amlworkspace...) of a resource over Private Link. PUT
 * and DELETE are long-running (Azure-AsyncOperation). Its private DNS zone
 * group, a child resource that registers the endpoint's address in private
 * DNS zones, is declared in the same manifest (privateDnsZoneGroup:
 * {name, zones}) and written after the endpoint (providers/arm/
 * privateendpoint.c): what the live body shows under that key is the
 * group as the provider reads it back, its record sets left out. The
 * subnet, the target and the interface's name cannot change: another is
 * another endpoint, with another address and perhaps another approval, so
 * replacing it needs allowReplace. */
static const az_kind PRIVATE_ENDPOINT = {
	.name = "PrivateEndpoint",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2024-05-01",
	.type = "Microsoft.Network/privateEndpoints",
	.id_template = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/privateEndpoints/{name}",
	.scope = AZ_SCOPE_RESOURCE_GROUP,
	.list_path = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/privateEndpoints",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.networkInterfaces",
				 "properties.privateLinkServiceConnections.*.id",
				 "properties.privateLinkServiceConnections.*.type",
				 "properties.privateLinkServiceConnections.*.etag",
				 "properties.privateLinkServiceConnections.*.properties.provisioningState",
				 "properties.privateLinkServiceConnections.*.properties.privateLinkServiceConnectionState",
				 "properties.manualPrivateLinkServiceConnections.*.id",
				 "properties.manualPrivateLinkServiceConnections.*.type",
				 "properties.manualPrivateLinkServiceConnections.*.etag",
				 "properties.manualPrivateLinkServiceConnections.*.properties.provisioningState",
				 "properties.manualPrivateLinkServiceConnections.*.properties.privateLinkServiceConnectionState"),
	.create_only_paths = PATHS("location", "properties.subnet", "properties.privateLinkServiceConnections",
				   "properties.manualPrivateLinkServiceConnections",
				   "properties.customNetworkInterfaceName"),
	.case_insensitive_paths = PATHS("location"),
	.id_paths = PATHS("properties.subnet.id",
			  "properties.privateLinkServiceConnections.*.properties.privateLinkServiceId",
			  "properties.manualPrivateLinkServiceConnections.*.properties.privateLinkServiceId",
			  "privateDnsZoneGroup.zones.*"),
	.set_paths = PATHS("privateDnsZoneGroup.zones",
			   "properties.privateLinkServiceConnections.*.properties.groupIds"),
	.marker = AZ_MARKER_TAGS,
	.stateful = true,
	/* Azure naming rules: 2-64 characters, alphanumerics, '_', '.' and
	 * '-', starting with an alphanumeric, ending with one or '_'. */
	.naming = {2, 64, "[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_]",
		   "2-64 characters: letters, digits, '_', '.' and '-', starting with a letter or digit "
		   "and ending with a letter, digit or '_'"},
	.create_timeout_s = 900,
	.delete_timeout_s = 900,
};

static const az_kind SYNAPSE_WORKSPACE = {
	.name = "SynapseWorkspace",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2021-06-01",
	.type = "Microsoft.Synapse/workspaces",
	.id_template = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.Synapse/workspaces/{name}",
	.scope = AZ_SCOPE_RESOURCE_GROUP,
	.list_path = "/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.Synapse/workspaces",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.connectivityEndpoints", "properties.workspaceUID",
				 "properties.extraProperties", "properties.adlaResourceId",
				 "properties.settings", "identity.principalId", "identity.tenantId"),
	.create_only_paths = PATHS("location", "properties.defaultDataLakeStorage.accountUrl",
				   "properties.defaultDataLakeStorage.filesystem",
				   "properties.managedVirtualNetwork", "properties.managedResourceGroupName",
				   "properties.sqlAdministratorLogin"),
	/* Not marked x-ms-secret in the spec, but never returned: write-only. */
	.secret_paths = PATHS("properties.sqlAdministratorLoginPassword"),
	.case_insensitive_paths = PATHS("location", "identity.type"),
	.marker = AZ_MARKER_TAGS,
	.stateful = true,
	.naming = {1, 50, "(?!.*-ondemand)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?",
		   "1-50 characters: lowercase letters, digits and '-', starting and ending with a letter or digit, not containing '-ondemand'"},
	.create_timeout_s = 3600,
	.delete_timeout_s = 3600,
};

static const az_kind SYNAPSE_FIREWALL_RULE = {
	.name = "SynapseFirewallRule",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2021-06-01",
	.type = "Microsoft.Synapse/workspaces/firewallRules",
	.id_template = "{parent}/firewallRules/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "SynapseWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/firewallRules",
	.read_only_paths = PATHS(ARM_READ_ONLY),
	.marker = AZ_MARKER_NONE,
	.naming = {1, 128, "[^<>*%&:\\\\/?\\x00-\\x1f]*[^<>*%&:\\\\/?\\x00-\\x1f.]",
		   "1-128 characters, none of < > * % & : \\ / ?, not ending in '.'"},
	.create_timeout_s = 600,
	.delete_timeout_s = 600,
};

static const az_kind SPARK_POOL = {
	.name = "SparkPool",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2021-06-01",
	.type = "Microsoft.Synapse/workspaces/bigDataPools",
	.id_template = "{parent}/bigDataPools/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "SynapseWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/bigDataPools",
	/* Recorded sessions: Azure takes sparkEventsFolder, defaultSparkLogFolder
	 * and isAutotuneEnabled on a PUT and never returns them. Set in a
	 * manifest, they are sent, and not compared: there is nothing to
	 * compare them with, and a change would be planned forever. */
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.creationDate", "properties.lastSucceededTimestamp",
				 "properties.libraryRequirements.time", "properties.sparkConfigProperties.time",
				 "properties.sparkEventsFolder", "properties.defaultSparkLogFolder",
				 "properties.isAutotuneEnabled"),
	.create_only_paths = PATHS("location"),
	.case_insensitive_paths = PATHS("location", "properties.nodeSize", "properties.nodeSizeFamily"),
	.marker = AZ_MARKER_TAGS,
	.naming = {1, 15, "[a-zA-Z][a-zA-Z0-9]*", "1-15 characters: letters and digits, starting with a letter"},
	.create_timeout_s = 1800,
	.delete_timeout_s = 1800,
};

static const az_kind SQL_POOL = {
	.name = "SqlPool",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2021-06-01",
	.type = "Microsoft.Synapse/workspaces/sqlPools",
	.id_template = "{parent}/sqlPools/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "SynapseWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/sqlPools",
	/* status (Online/Paused) is operational state: pause/resume is not a diff. */
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.status", "properties.creationDate",
				 "properties.restorePointInTime", "properties.sourceDatabaseDeletionDate"),
	.create_only_paths = PATHS("location", "properties.collation", "properties.createMode"),
	.case_insensitive_paths = PATHS("location", "sku.name"),
	/* createMode is write-only (sqlPool.json: x-ms-mutability create and
	 * update, no read): Azure's GET leaves it out, which is not a change
	 * of the "Default" a manifest wrote at creation. */
	.server_defaults = DEFAULTS({"properties.createMode", "\"Default\""}),
	.marker = AZ_MARKER_TAGS,
	.stateful = true,
	.naming = {1, 60, "[^<>*%&:\\\\/?@\\-\\x00-\\x1f]*[^<>*%&:\\\\/?@\\-\\x00-\\x1f. ]",
		   "1-60 characters, none of < > * % & : \\ / ? @ -, not ending in '.' or a space"},
	.create_timeout_s = 3600,
	.delete_timeout_s = 3600,
};

static const az_kind ROLE_ASSIGNMENT = {
	.name = "RoleAssignment",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2022-04-01",
	.type = "Microsoft.Authorization/roleAssignments",
	.id_template = "{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}",
	.scope = AZ_SCOPE_ANY,
	.list_path = "{scope}/providers/Microsoft.Authorization/roleAssignments",
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.scope", "properties.createdOn", "properties.updatedOn",
				 "properties.createdBy", "properties.updatedBy",
				 "properties.delegatedManagedIdentityResourceId"),
	/* Azure refuses to change an assignment's role or principal in place. */
	.create_only_paths = PATHS("properties.roleDefinitionId", "properties.principalId", "properties.scope"),
	.id_paths = PATHS("properties.roleDefinitionId", "properties.scope"),
	.case_insensitive_paths = PATHS("properties.principalId", "properties.principalType"),
	.server_defaults = DEFAULTS({"properties.principalType", "\"User\""}),
	.marker = AZ_MARKER_DESCRIPTION,
	.naming = ADDRESS_NAMING,
	.create_timeout_s = 300,
	.delete_timeout_s = 300,
};

static const az_kind ENTRA_APPLICATION = {
	.name = "EntraApplication",
	.provider = AZ_PROVIDER_GRAPH,
	.api_version = "v1.0",
	.type = "applications",
	.id_template = "/applications(uniqueName='{name}')",
	.scope = AZ_SCOPE_TENANT,
	.list_path = "/applications",
	.read_only_paths = PATHS("id", "appId", "createdDateTime", "deletedDateTime", "publisherDomain",
				 "passwordCredentials", "keyCredentials", "@odata.context"),
	.create_only_paths = PATHS("uniqueName"),
	.marker = AZ_MARKER_NOTES,
	.naming = ADDRESS_NAMING,
	.create_timeout_s = 300,
	.delete_timeout_s = 300,
};

static const az_kind SERVICE_PRINCIPAL = {
	.name = "ServicePrincipal",
	.provider = AZ_PROVIDER_GRAPH,
	.api_version = "v1.0",
	.type = "servicePrincipals",
	.id_template = "/servicePrincipals(appId='{appId}')",
	.scope = AZ_SCOPE_TENANT,
	.list_path = "/servicePrincipals",
	.read_only_paths = PATHS("id", "createdDateTime", "deletedDateTime", "appDisplayName",
				 "appOwnerOrganizationId", "servicePrincipalNames", "@odata.context"),
	.create_only_paths = PATHS("appId"),
	.id_paths = PATHS("appId"),
	.marker = AZ_MARKER_NOTES,
	.naming = ADDRESS_NAMING,
	.create_timeout_s = 300,
	.delete_timeout_s = 300,
};

/* A federated identity credential of an application (Graph v1.0
 * federatedIdentityCredential): CI signs in with its own token instead of
 * a secret. Its name is the key Graph lets a URL use in place of the id,
 * unique in its application, up to 120 characters and fixed at creation:
 * another name is another credential. Its description is the user's and
 * it has no other free-text field, so there is nowhere to keep a marker:
 * declared, never owned, never pruned; deleting its application deletes it. */
static const az_kind FEDERATED_IDENTITY_CREDENTIAL = {
	.name = "FederatedIdentityCredential",
	.provider = AZ_PROVIDER_GRAPH,
	.api_version = "v1.0",
	.type = "federatedIdentityCredentials",
	.id_template = "{parent}/federatedIdentityCredentials/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "EntraApplication",
	.parent_field = "application",
	.list_path = "{parent}/federatedIdentityCredentials",
	.read_only_paths = PATHS("id", "name", "@odata.context"),
	.marker = AZ_MARKER_NONE,
	/* Graph: up to 120 characters, URL-friendly (federatedIdentityCredential). */
	.naming = {1, 120, "[A-Za-z0-9][A-Za-z0-9._-]*",
		   "1-120 characters: letters, digits, '.', '_' and '-', starting with a letter or "
		   "digit"},
	.create_timeout_s = 300,
	.delete_timeout_s = 300,
};

/* integrationRuntime.json 2021-06-01: served by ARM, not the data plane,
 * though Synapse Studio writes them beside the artifacts (integrationRuntime/).
 * PUT and DELETE are long-running (200 or 202). An IntegrationRuntimeResource
 * is an AzureEntityResource: an etag, and no tags, so nowhere to keep an
 * ownership marker: declared, never owned, never pruned, unless a Studio
 * folder's prune: all-in-workspace says the workspace is the stack's alone.
 * The spec gives the name no pattern: an artifact's rule, as Studio names it. */
static const az_kind INTEGRATION_RUNTIME = {
	.name = "IntegrationRuntime",
	.provider = AZ_PROVIDER_ARM,
	.api_version = "2021-06-01",
	.type = "Microsoft.Synapse/workspaces/integrationRuntimes",
	.id_template = "{parent}/integrationRuntimes/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "SynapseWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/integrationRuntimes",
	/* ManagedIntegrationRuntime.provisioningState is readOnly; the managed
	 * virtual network's id is create-and-read, filled in by Azure. */
	.read_only_paths = PATHS(ARM_READ_ONLY, "properties.managedVirtualNetwork.id"),
	.marker = AZ_MARKER_NONE,
	.naming = ARTIFACT_NAMING,
	.create_timeout_s = 1800,
	.delete_timeout_s = 1800,
};

static const az_kind SYNAPSE_ROLE_ASSIGNMENT = {
	.name = "SynapseRoleAssignment",
	.provider = AZ_PROVIDER_SYNAPSE_RBAC,
	.api_version = "2020-12-01",
	.type = "roleAssignments",
	.id_template = "{parent}/roleAssignments/{guid}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "SynapseWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/roleAssignments",
	.read_only_paths = PATHS("id"),
	.create_only_paths = PATHS("roleId", "principalId", "scope"),
	.case_insensitive_paths = PATHS("roleId", "principalId", "principalType"),
	/* Synapse RBAC assignments have nowhere to keep a marker. */
	.marker = AZ_MARKER_NONE,
	.naming = ADDRESS_NAMING,
	.create_timeout_s = 300,
	.delete_timeout_s = 300,
};

#define SYNAPSE_ARTIFACT(kind_name, collection)                                       \
	{                                                                             \
		.name = kind_name, .provider = AZ_PROVIDER_SYNAPSE,                   \
		.api_version = "2020-12-01", .type = collection,                      \
		.id_template = "{parent}/" collection "/{name}",                      \
		.scope = AZ_SCOPE_PARENT, .parent_kind = "SynapseWorkspace",          \
		.parent_field = "workspace", .list_path = "{parent}/" collection,     \
		.read_only_paths = PATHS("id", "etag", "type"),                       \
		.marker = AZ_MARKER_ANNOTATIONS, .naming = ARTIFACT_NAMING,           \
		.create_timeout_s = 600, .delete_timeout_s = 600,                     \
	}

static const az_kind LINKED_SERVICE = SYNAPSE_ARTIFACT("LinkedService", "linkedservices");
static const az_kind DATASET = SYNAPSE_ARTIFACT("Dataset", "datasets");
static const az_kind PIPELINE = SYNAPSE_ARTIFACT("Pipeline", "pipelines");
static const az_kind NOTEBOOK = SYNAPSE_ARTIFACT("Notebook", "notebooks");
static const az_kind SQL_SCRIPT = SYNAPSE_ARTIFACT("SqlScript", "sqlScripts");
/* artifacts.json 2020-12-01: /dataflows and /sparkJobDefinitions are served
 * as the collections above (PUT and DELETE 200 or 202 with an operation). A
 * Spark job definition has no "annotations" in its spec, but takes
 * additional properties and keeps them, as a notebook does. */
static const az_kind DATA_FLOW = SYNAPSE_ARTIFACT("DataFlow", "dataflows");
static const az_kind SPARK_JOB_DEFINITION = SYNAPSE_ARTIFACT("SparkJobDefinition",
							     "sparkJobDefinitions");
/* credential.json 2020-12-01: /credentials, the same shape again; its PUT
 * may answer 200 with the credential at once (the LRO engine takes either).
 * The base Credential declares "annotations", which carry the marker. */
static const az_kind CREDENTIAL = SYNAPSE_ARTIFACT("Credential", "credentials");
/* kqlScripts.json 2021-11-01-preview (the one api-version that serves
 * /kqlScripts): PUT and DELETE are long-running, 200 or 202. A
 * KqlScriptResource's properties are its content alone, with no
 * annotations or description: nowhere to keep an ownership marker, so a
 * KQL script is declared, never owned, and pruned only by a Studio
 * folder's prune: all-in-workspace. */
static const az_kind KQL_SCRIPT = {
	.name = "KqlScript",
	.provider = AZ_PROVIDER_SYNAPSE,
	.api_version = "2021-11-01-preview",
	.type = "kqlScripts",
	.id_template = "{parent}/kqlScripts/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "SynapseWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/kqlScripts",
	.read_only_paths = PATHS("id", "etag", "type"),
	.marker = AZ_MARKER_NONE,
	/* ArtifactRenameRequest.newName, the spec's one name pattern. */
	.naming = ARTIFACT_NAMING,
	.create_timeout_s = 600,
	.delete_timeout_s = 600,
};
/* managedPrivateEndpoints.json 2020-12-01: under the workspace's managed
 * virtual network, which Synapse always names "default" (the spec's
 * x-ms-client-default), so it is part of the id, not of the manifest. Only
 * a workspace made with managedVirtualNetwork: default has one. The PUT
 * answers 200 at once; the endpoint is then provisioned and its connection
 * waits, Pending, for the target's owner to approve it: provisioningState,
 * connectionState, fqdns, isReserved and isCompliant are Azure's to say,
 * never a change. The target and its group cannot change: a change is a
 * new endpoint (and a new approval), so replacing it needs allowReplace.
 * The body has nowhere to keep a marker: declared, never owned, pruned
 * only under prune: all-in-workspace, and never a reserved one (the
 * endpoints Synapse makes for its own SQL pools). */
static const az_kind MANAGED_PRIVATE_ENDPOINT = {
	.name = "ManagedPrivateEndpoint",
	.provider = AZ_PROVIDER_SYNAPSE,
	.api_version = "2020-12-01",
	.type = "managedPrivateEndpoints",
	.id_template = "{parent}/managedVirtualNetworks/default/managedPrivateEndpoints/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "SynapseWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/managedVirtualNetworks/default/managedPrivateEndpoints",
	.read_only_paths = PATHS("id", "type", "properties.name", "properties.provisioningState",
				 "properties.connectionState", "properties.fqdns",
				 "properties.isReserved", "properties.isCompliant"),
	.create_only_paths = PATHS("properties.privateLinkResourceId", "properties.groupId"),
	.id_paths = PATHS("properties.privateLinkResourceId"),
	.marker = AZ_MARKER_NONE,
	.stateful = true,
	.naming = ARTIFACT_NAMING,
	.create_timeout_s = 600,
	.delete_timeout_s = 600,
	.approval_path = "properties.connectionState.status",
};
static const az_kind TRIGGER = {
	.name = "Trigger",
	.provider = AZ_PROVIDER_SYNAPSE,
	.api_version = "2020-12-01",
	.type = "triggers",
	.id_template = "{parent}/triggers/{name}",
	.scope = AZ_SCOPE_PARENT,
	.parent_kind = "SynapseWorkspace",
	.parent_field = "workspace",
	.list_path = "{parent}/triggers",
	/* properties.runtimeState is changed by start/stop, never by the body:
	 * a manifest may still declare it ("Started") as the state to reach. */
	.read_only_paths = PATHS("id", "etag", "type"),
	.marker = AZ_MARKER_ANNOTATIONS,
	.naming = ARTIFACT_NAMING,
	.create_timeout_s = 600,
	.delete_timeout_s = 600,
};

/* Sorted by name: az_kind_find bisects. */
static const az_kind *const KINDS[] = {
	&APPLICATION_INSIGHTS, &ARM_RESOURCE, &CREDENTIAL, &DATA_FLOW, &DATASET, &ENTRA_APPLICATION,
	&FEDERATED_IDENTITY_CREDENTIAL,
	&INTEGRATION_RUNTIME, &KEY_VAULT, &KQL_SCRIPT, &LINKED_SERVICE, &MANAGED_PRIVATE_ENDPOINT,
	&ML_COMPUTE, &ML_DATASTORE, &ML_ONLINE_DEPLOYMENT, &ML_ONLINE_ENDPOINT, &ML_WORKSPACE,
	&NOTEBOOK, &PIPELINE, &PRIVATE_ENDPOINT,
	&RESOURCE_GROUP, &ROLE_ASSIGNMENT, &SERVICE_PRINCIPAL, &SPARK_JOB_DEFINITION, &SPARK_POOL,
	&SQL_POOL, &SQL_SCRIPT, &STORAGE_ACCOUNT,
	&STORAGE_CONTAINER, &SYNAPSE_FIREWALL_RULE, &SYNAPSE_ROLE_ASSIGNMENT, &SYNAPSE_WORKSPACE,
	&TRIGGER,
};

const az_kind *const *az_kinds(size_t *count)
{
	*count = sizeof(KINDS) / sizeof(KINDS[0]);
	return KINDS;
}

const az_kind *az_kind_find(const char *name)
{
	size_t lo = 0, hi = sizeof(KINDS) / sizeof(KINDS[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, KINDS[mid]->name);
		if (c == 0)
			return KINDS[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return az_kind_arm_find_key(name);
}

bool az_kind_on_workspace_host(const az_kind *k)
{
	return k->provider == AZ_PROVIDER_SYNAPSE || k->provider == AZ_PROVIDER_SYNAPSE_RBAC;
}

const char *az_kind_key(const az_kind *k)
{
	return k->key ? k->key : k->name;
}

const char *az_marker_name(az_marker m)
{
	switch (m) {
	case AZ_MARKER_NONE: return "none";
	case AZ_MARKER_TAGS: return "tags";
	case AZ_MARKER_DESCRIPTION: return "description";
	case AZ_MARKER_ANNOTATIONS: return "annotations";
	case AZ_MARKER_NOTES: return "notes";
	case AZ_MARKER_METADATA: return "metadata";
	case AZ_MARKER_PROPERTY_TAGS: return "properties.tags";
	}
	return "?";
}

const char *az_provider_name(az_provider_id p)
{
	switch (p) {
	case AZ_PROVIDER_ARM: return "arm";
	case AZ_PROVIDER_SYNAPSE: return "synapse";
	case AZ_PROVIDER_SYNAPSE_RBAC: return "synapse-rbac";
	case AZ_PROVIDER_GRAPH: return "graph";
	}
	return "?";
}
