#!/usr/bin/env python3
"""Generates schemas/*.schema.json, the JSON Schemas (draft 2020-12) of
azapply's manifests, its project file and every resource kind.

Usage: schemas/generate.py SPECS_DIR
  SPECS_DIR is a checkout (or a partial copy) of Azure/azure-rest-api-specs;
  its "specification" folder holds the swagger files read below. A file
  missing there is read from schemas/specs/specification, the copies this
  repository keeps of the spec files the shared copy lacks (their sources
  and commits are in schemas/specs/SOURCES.md).

Why generated: each kind schema describes a WHOLE manifest (the envelope and
that kind's spec), because editors apply it to a whole YAML file through
"# yaml-language-server: $schema=...". The envelope lives in $defs of every
file, written from the one definition below so the copies never drift.

ARM and Synapse bodies are converted from the Azure REST specs (swagger
2.0): properties, types, enums, required fields, patterns and bounds come
from there. Properties the spec marks readOnly are accepted and ignored,
never required (Azure fills them in, and a body copied from a GET carries
them). ARM `properties` objects stay open to unknown keys: Azure adds
properties in newer api-versions and a closed schema would go stale. The
top of `spec` is closed so a typo in resourceGroup/location/properties is
caught. Kinds the specs do not cover (storage accounts, key vaults,
Application Insights, Graph objects) are written from Microsoft's public
REST documentation, in this file.

The output is committed; the build never runs this script.
"""
import copy
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_ID = "https://azapply.dev/schemas/"

KINDS = [
    "ApplicationInsights", "ArmResource", "Credential", "DataFlow", "Dataset", "EntraApplication",
    "FederatedIdentityCredential", "IntegrationRuntime", "KeyVault", "KqlScript", "LinkedService",
    "ManagedPrivateEndpoint", "MlCompute", "MlDatastore", "MlOnlineDeployment",
    "MlOnlineEndpoint", "MlWorkspace", "Notebook", "Pipeline", "PrivateEndpoint",
    "ResourceGroup", "RoleAssignment", "ServicePrincipal", "SparkJobDefinition", "SparkPool",
    "SqlPool", "SqlScript", "StorageAccount",
    "StorageContainer", "SynapseFirewallRule", "SynapseRoleAssignment", "SynapseWorkspace",
    "Trigger",
]
# Kinds a manifest may have that are no resource kind: a component instance
# and a Synapse Studio folder, both expanded into resources when loaded.
ENVELOPE_KINDS = KINDS + ["Component", "SynapseArtifacts"]

NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]*$"
MAX_DEPTH = 7

# An object whose properties the specs enumerate: a property it does not
# know is a warning at validate (azapply's extension; editors ignore it).
# Objects the specs leave open (additionalProperties, or no properties at
# all: tags, Spark configuration, pipeline parameters) carry no mark.
WARN_UNKNOWN = "x-azapply-unknownProperties"
# An enum Azure compares without case: another case is a warning.
ENUM_CASE = "x-azapply-enumCase"
ARM_KINDS = ("ArmResource", "ResourceGroup", "StorageAccount", "StorageContainer", "KeyVault",
             "ApplicationInsights", "MlWorkspace", "MlCompute", "MlOnlineEndpoint",
             "MlOnlineDeployment", "SynapseWorkspace",
             "SynapseFirewallRule", "SparkPool", "SqlPool", "RoleAssignment",
             "IntegrationRuntime", "MlDatastore", "PrivateEndpoint")
# Formats validate checks (schema.c check_format); other swagger formats
# (int32, arm-id, ...) are left out.
CHECKED_FORMATS = ("uuid", "date-time", "duration")


def short(text):
    """The first sentence of a swagger description, for editor tooltips."""
    if not text:
        return None
    text = " ".join(text.split())
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    text = m.group(1) if m else text
    return text if len(text) <= 200 else text[:197] + "..."


def described(schema, text):
    s = dict(schema)
    if text:
        s = {"description": text, **s}
    return s


# ---------------------------------------------------------------------------
# The envelope: one definition, copied into every file's $defs.

def envelope_defs(kind_enum):
    return {
        "apiVersion": {"description": "The manifest format version.",
                       "const": "azapply.dev/v1"},
        "kind": {"description": "The kind of resource this manifest declares.",
                 "enum": kind_enum},
        "name": {"description": "The manifest name: unique per kind, used as Kind/name in "
                                "dependsOn, ${ref...} and the plan.",
                 "type": "string", "minLength": 1, "maxLength": 128,
                 "pattern": NAME_PATTERN},
        "address": {"description": "A resource address, Kind/name.",
                    "type": "string",
                    "pattern": "^[A-Z][A-Za-z]*/[A-Za-z0-9][A-Za-z0-9._-]*$"},
        "propertyPath": {"description": "A dotted property path into the spec, e.g. "
                                        "properties.autoScale.maxNodeCount ('*' matches any "
                                        "key or index).",
                         "type": "string",
                         "pattern": "^([A-Za-z0-9_@$-]+|\\*)(\\.([A-Za-z0-9_@$-]+|\\*))*$"},
        "metadata": {
            "description": "What azapply needs to know about this manifest.",
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"$ref": "#/$defs/name"},
                "labels": {"description": "Free-form labels for selecting manifests.",
                           "type": "object", "additionalProperties": {"type": "string"}},
                "dependsOn": {"description": "Resources to create before this one (beyond "
                                             "those its ${ref...} expressions imply).",
                              "type": "array", "items": {"$ref": "#/$defs/address"},
                              "uniqueItems": True},
                "lifecycle": {"$ref": "#/$defs/lifecycle"},
                "existing": {"description": "true: a resource azapply reads (for ${ref...}) "
                                            "but never creates, changes, marks or deletes; "
                                            "the plan fails when it is missing. Only the "
                                            "spec fields that name it are required.",
                             "type": "boolean"},
                "forEach": {"description": "One resource per key: a mapping (key -> value) or "
                                           "a list of keys. ${each.key}, ${each.value} and "
                                           "${each.value.NAME} may stand in every string, and "
                                           "metadata.name must use ${each.key}, so an "
                                           "instance's address holds its key "
                                           "(SparkPool/spark-team-a).",
                            "oneOf": [
                                {"type": "object",
                                 "propertyNames": {"pattern": "^[A-Za-z0-9_-]+$"}},
                                {"type": "array", "uniqueItems": True,
                                 "items": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}},
                                {"type": "string", "pattern": "^\\$\\{var\\.[A-Za-z_][A-Za-z0-9_]*\\}$"},
                            ]},
            },
        },
        "lifecycle": {
            "description": "How the planner may treat this resource.",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "preventDestroy": {"description": "Refuse any plan that deletes this "
                                                  "resource.", "type": "boolean"},
                "ignoreChanges": {"description": "Property paths whose drift is not "
                                                 "corrected.",
                                  "type": "array", "items": {"$ref": "#/$defs/propertyPath"},
                                  "uniqueItems": True},
                "allowReplace": {"description": "Allow delete-and-recreate of a stateful "
                                                "resource when a create-only property "
                                                "changes.", "type": "boolean"},
            },
        },
        "tags": {"description": "Resource tags (azapply adds its own azapply-* tags).",
                 "type": "object", "additionalProperties": {"type": "string"}},
        "location": {"description": "The Azure region, e.g. westeurope.", "type": "string",
                     "minLength": 1, "format": "azure-location"},
        "resourceGroup": {"description": "The resource group: its Azure name, or the "
                                         "metadata.name of a ResourceGroup manifest.",
                          "type": "string", "minLength": 1},
        "subscription": {"description": "Overrides the stack's subscription id for this "
                                        "resource.", "type": "string", "minLength": 1},
        "azureName": {"description": "The name in Azure when it differs from metadata.name "
                                     "(may contain ${var.X}).",
                      "type": "string", "minLength": 1},
        "parentRef": {"description": "The metadata.name of the parent resource's manifest.",
                      "type": "string", "minLength": 1},
        "specFile": {"description": "A JSON file (relative to this manifest) merged into "
                                    "spec, e.g. an artifact exported from Synapse Studio.",
                     "type": "string", "pattern": "\\.json$"},
    }


def document(kind, spec, extra_defs, title):
    """A whole-manifest schema for one kind."""
    defs = envelope_defs(KINDS)
    defs["spec"] = spec
    defs.update(extra_defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + kind + ".schema.json",
        "title": title,
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"$ref": "#/$defs/apiVersion"},
            "kind": {"description": "The kind of resource.", "const": kind},
            "metadata": {"$ref": "#/$defs/metadata"},
            "spec": {"$ref": "#/$defs/spec"},
        },
        "$defs": defs,
    }


# ---------------------------------------------------------------------------
# Swagger 2.0 -> JSON Schema.

OWN_SPECS = os.path.join(HERE, "specs", "specification")


class Specs:
    def __init__(self, root):
        self.root = os.path.normpath(root)
        self.files = {}

    def load(self, path):
        path = os.path.normpath(path)
        if path not in self.files:
            found = path
            if not os.path.exists(found) and path.startswith(self.root + os.sep):
                found = os.path.join(OWN_SPECS, os.path.relpath(path, self.root))
            if os.path.exists(found):
                with open(found, encoding="utf-8") as f:
                    self.files[path] = json.load(f)
            else:
                self.files[path] = None
        return self.files[path]

    def resolve(self, base_file, ref):
        """Returns (file, name, definition) or (None, name, None)."""
        file_part, _, frag = ref.partition("#")
        path = os.path.join(os.path.dirname(base_file), file_part) if file_part else base_file
        path = os.path.normpath(path)
        name = frag.rsplit("/", 1)[-1]
        doc = self.load(path)
        if doc is None:
            # Older common-types versions are not in every copy of the specs;
            # their shared definitions (Resource, TrackedResource, Sku...)
            # read the same in v5.
            m = re.search(r"common-types/resource-management/v\d+/types\.json$", path)
            if m:
                path = os.path.join(path[:m.start()],
                                    "common-types/resource-management/v5/types.json")
                doc = self.load(path)
        if doc is None or name not in doc.get("definitions", {}):
            return None, name, None
        return path, name, doc["definitions"][name]

    def subtypes(self, file, name):
        """Definitions in `file` that extend `name` at any depth. Their
        discriminator value is x-ms-discriminator-value or, as swagger 2.0
        says, the definition's name."""
        defs = self.load(file).get("definitions", {})

        def extends(d, seen):
            for part in d.get("allOf", []):
                parent = part.get("$ref", "").rsplit("/", 1)[-1]
                if parent == name:
                    return True
                if parent in defs and parent not in seen and extends(defs[parent],
                                                                      seen | {parent}):
                    return True
            return False
        # Grandchildren count too: ScheduleTrigger extends MultiplePipelineTrigger
        # which extends Trigger.
        return [(n, d) for n, d in defs.items() if extends(d, frozenset())]


FALLBACK = {
    # managedidentity.json (common-types v3) is not in the spec copy.
    "ManagedServiceIdentity": {
        "description": "Managed identity of the resource.",
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"description": "Which identities the resource has.",
                     "enum": ["None", "SystemAssigned", "UserAssigned",
                              "SystemAssigned,UserAssigned"]},
            "userAssignedIdentities": {
                "description": "User-assigned identities, keyed by their ARM resource id.",
                "type": "object", "additionalProperties": {"type": "object"}},
            "principalId": {"description": "Read-only: set by Azure."},
            "tenantId": {"description": "Read-only: set by Azure."},
        },
    },
}

READ_ONLY = {"description": "Read-only: set by Azure; accepted and ignored."}


class Converter:
    def __init__(self, specs, data_plane=False):
        self.specs = specs
        # The Synapse data-plane specs type most values "object" because each
        # may be a literal or an Expression ({"value": ..., "type":
        # "Expression"}); there "object" without properties means "anything".
        # Their discriminated unions are open: Synapse adds trigger and
        # activity types faster than the spec copies follow.
        self.data_plane = data_plane

    def ref(self, file, ref, depth, stack):
        path, name, d = self.specs.resolve(file, ref)
        if d is None:
            missing = {"description": "See the Azure REST API reference for " + name + "."}
            return copy.deepcopy(FALLBACK.get(name, missing))
        key = (path, name)
        if key in stack or depth > MAX_DEPTH:
            return {"description": short(d.get("description")) or name}
        return self.convert(path, d, depth + 1, stack | {key}, name)

    def merge_all_of(self, file, d, depth, stack):
        """Flattens allOf parents into one object schema's properties/required."""
        props, required = {}, []
        for part in d.get("allOf", []):
            if "$ref" in part:
                path, name, pd = self.specs.resolve(file, part["$ref"])
                if pd is None:
                    continue
                p2, r2 = self.merge_all_of(path, pd, depth, stack)
                props.update(p2)
                required += r2
            else:
                for k, v in part.get("properties", {}).items():
                    props[k] = (file, v)
                required += part.get("required", [])
        for k, v in d.get("properties", {}).items():
            props[k] = (file, v)
        required += d.get("required", [])
        return {k: v for k, v in props.items()}, required

    def convert(self, file, d, depth, stack, name=None):
        if "$ref" in d:
            out = self.ref(file, d["$ref"], depth, stack)
            text = short(d.get("description"))
            if text and "description" not in out:
                out = described(out, text)
            return out
        if d.get("readOnly"):
            return dict(READ_ONLY)
        out = {}
        text = short(d.get("description"))
        if text:
            out["description"] = text
        t = d.get("type")
        if "enum" in d:
            out["enum"] = d["enum"]
        elif t in ("string", "integer", "number", "boolean", "array"):
            out["type"] = t
        for k in ("pattern", "minimum", "maximum", "minLength", "maxLength", "minItems",
                  "maxItems"):
            if k in d:
                out[k] = d[k]
        if d.get("format") in CHECKED_FORMATS and t == "string":
            out["format"] = d["format"]
        if d.get("exclusiveMinimum") and "minimum" in out:
            out["exclusiveMinimum"] = out.pop("minimum")
        if d.get("exclusiveMaximum") and "maximum" in out:
            out["exclusiveMaximum"] = out.pop("maximum")
        if t == "array" and "items" in d:
            out["items"] = self.convert(file, d["items"], depth + 1, stack)
        has_props = "properties" in d or "allOf" in d
        if (self.data_plane and t == "object" and not has_props
                and "additionalProperties" not in d):
            pass
        elif t == "object" or has_props:
            out["type"] = "object"
            props, required = self.merge_all_of(file, d, depth, stack)
            if props:
                out["properties"] = {}
                for k, (pfile, pd) in props.items():
                    out["properties"][k] = self.convert(pfile, pd, depth + 1, stack)
                req = [r for r in dict.fromkeys(required)
                       if r in props and not props[r][1].get("readOnly")]
                if req:
                    out["required"] = req
                if not self.data_plane:
                    # ARM reads null as "not set" and answers null for
                    # what is unset (KubernetesCompute's vcName): an
                    # optional property may be null.
                    for k, ps in out["properties"].items():
                        if k not in req and isinstance(ps.get("type"), str):
                            ps["type"] = [ps["type"], "null"]
            ap = d.get("additionalProperties")
            if (self.data_plane and props and isinstance(ap, dict)
                    and ap in ({}, {"type": "object"})
                    and not file.endswith("Notebook.json")):
                # The Synapse specs give nearly every model with listed
                # properties "additionalProperties": {} as an extension point
                # (Trigger, ScheduleTriggerRecurrence, LinkedService...).
                # Such an object is not a dictionary: a property it does not
                # list is a typo Synapse keeps and never reads
                # (`frequncy: Day`), so it is marked like any other. A
                # dictionary (additionalProperties without properties) stays
                # open, and so does a subtype the specs do not know, and a
                # notebook: Jupyter's format (nbformat) puts more in cells
                # and metadata than the spec lists (execution_count).
                pass
            elif isinstance(ap, dict):
                out["additionalProperties"] = self.convert(file, ap, depth + 1, stack)
        if "discriminator" in d and name:
            self.add_discriminated(file, d, name, out, depth, stack)
        return out

    def add_discriminated(self, file, d, name, out, depth, stack):
        disc = d["discriminator"]
        subs = self.specs.subtypes(file, name)
        if not subs:
            return
        values = [sd.get("x-ms-discriminator-value", n) for n, sd in subs]
        disc_text = short(d.get("properties", {}).get(disc, {}).get("description"))
        out.setdefault("properties", {})[disc] = {"description": disc_text or "The type."}
        if self.data_plane:
            out["properties"][disc]["type"] = "string"
        else:
            out["properties"][disc]["enum"] = values
        out.setdefault("required", [])
        if disc not in out["required"]:
            out["required"].append(disc)
        branches = []
        for sub_name, sd in subs:
            # Parents up to (not including) the base: the base's own
            # properties are already checked by `out`.
            own = dict(sd)
            own["allOf"] = [p for p in sd.get("allOf", [])
                            if not p.get("$ref", "").endswith("/definitions/" + name)]
            conv = self.convert(file, own, depth + 1, stack | {(file, name)})
            conv.setdefault("properties", {})[disc] = {
                "const": sd.get("x-ms-discriminator-value", sub_name)}
            conv.pop("description", None)
            branches.append(conv)
        if self.data_plane:
            # A type the specs do not know is open: no false alarms.
            branches.append({"properties": {disc: {"not": {"enum": values}}},
                             "additionalProperties": True})
            out["anyOf"] = branches
        else:
            out["oneOf"] = branches


# ---------------------------------------------------------------------------
# Kind specs.

def arm_spec(scope_fields, required_scope, body, body_required):
    """The top of an ARM kind's spec: scope fields plus the resource body, closed."""
    props = dict(scope_fields)
    props.update(body)
    return {
        "description": "The resource body as ARM takes it, plus where it lives.",
        "type": "object",
        "required": required_scope + body_required,
        "additionalProperties": False,
        "properties": props,
    }


RG_SCOPE = {
    "resourceGroup": {"$ref": "#/$defs/resourceGroup"},
    "name": {"$ref": "#/$defs/azureName"},
    "subscription": {"$ref": "#/$defs/subscription"},
}


def parent_scope(field, parent_kind):
    return {
        field: {"description": "The metadata.name of the " + parent_kind + " manifest this "
                               "resource belongs to.", "$ref": "#/$defs/parentRef"},
        "name": {"$ref": "#/$defs/azureName"},
        "subscription": {"$ref": "#/$defs/subscription"},
    }


def open_object(text, props, required=None):
    s = {"description": text, "type": "object", "properties": props}
    if required:
        s["required"] = required
    return s


def string_enum(text, values):
    return {"description": text, "enum": values}


def tracked_body(conv, file, resource_def, drop=()):
    """location/tags/sku/kind/identity/properties from a swagger resource."""
    path, name, d = conv.specs.resolve(file, "#/definitions/" + resource_def)
    assert d is not None, resource_def
    props, _ = conv.merge_all_of(path, d, 0, frozenset())
    body = {}
    for k, (pfile, pd) in props.items():
        if k in ("id", "name", "type", "systemData", "etag") or k in drop or pd.get("readOnly"):
            continue
        if k == "tags":
            body[k] = {"$ref": "#/$defs/tags"}
        elif k == "location":
            body[k] = {"$ref": "#/$defs/location"}
        else:
            body[k] = conv.convert(pfile, pd, 1, frozenset())
    return body


def mark_read_only(schema, dotted_paths):
    """Replaces the kind table's read-only paths (kinds.c) with accept-and-ignore."""
    for dotted in dotted_paths:
        node = schema
        parts = dotted.split(".")
        for p in parts[:-1]:
            node = node.get("properties", {}).get(p)
            if node is None:
                break
        if node is None or parts[-1] not in node.get("properties", {}):
            continue
        node["properties"][parts[-1]] = dict(READ_ONLY)
        if parts[-1] in node.get("required", []):
            node["required"].remove(parts[-1])
            if not node["required"]:
                del node["required"]


def spec_resource_group():
    return {
        "description": "A resource group.",
        "type": "object",
        "required": ["location"],
        "additionalProperties": False,
        "properties": {
            "name": {"$ref": "#/$defs/azureName"},
            "subscription": {"$ref": "#/$defs/subscription"},
            "location": {"$ref": "#/$defs/location"},
            "tags": {"$ref": "#/$defs/tags"},
            "managedBy": {"description": "The id of the resource that manages this resource "
                                         "group.", "type": "string"},
            # {"provisioningState": ...} in every answer.
            "properties": READ_ONLY,
        },
    }


def spec_storage_account():
    # Microsoft.Storage 2025-06-01 StorageAccountCreateParameters (the
    # StorageAccountCreate example and the public REST reference).
    body = {
        "location": {"$ref": "#/$defs/location"},
        "tags": {"$ref": "#/$defs/tags"},
        "sku": {
            "description": "The SKU: replication and performance.",
            "type": "object", "required": ["name"],
            "properties": {
                "name": string_enum("The SKU name.", [
                    "Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS",
                    "Premium_LRS", "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS",
                    "StandardV2_LRS", "StandardV2_GRS", "StandardV2_ZRS", "StandardV2_GZRS",
                    "PremiumV2_LRS", "PremiumV2_ZRS"]),
                "tier": READ_ONLY,
            },
        },
        "kind": string_enum("The kind of account.", [
            "Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage"]),
        "identity": {"$ref": "#/$defs/identity"},
        "extendedLocation": open_object("The extended location (edge zone).", {
            "name": {"type": "string"}, "type": {"enum": ["EdgeZone"]}}),
        "zones": {"description": "Availability zones.", "type": "array",
                  "items": {"type": "string"}},
        "placement": open_object("Zone placement.", {"zonePlacementPolicy": {
            "enum": ["Any", "None"]}}),
        "properties": open_object("Storage account properties.", {
            "accessTier": string_enum("Default access tier for blobs.",
                                      ["Hot", "Cool", "Cold", "Premium"]),
            "allowBlobPublicAccess": {"description": "Allow anonymous access to blobs "
                                                     "and containers.", "type": "boolean"},
            "allowCrossTenantReplication": {"type": "boolean",
                                            "description": "Allow object replication "
                                                           "across tenants."},
            "allowSharedKeyAccess": {"type": "boolean",
                                     "description": "Allow requests signed with the "
                                                    "account key."},
            "allowedCopyScope": string_enum("Restrict copy to and from accounts.",
                                            ["PrivateLink", "AAD"]),
            "customDomain": open_object("User domain assigned to the account.", {
                "name": {"type": "string"}, "useSubDomainName": {"type": "boolean"}},
                ["name"]),
            "defaultToOAuthAuthentication": {"type": "boolean",
                                             "description": "Default to Entra ID "
                                                            "authentication in the portal."},
            "dnsEndpointType": string_enum("Endpoint type.", ["Standard", "AzureDnsZone"]),
            "encryption": open_object("Encryption settings.", {
                "keySource": string_enum("The key source.",
                                         ["Microsoft.Storage", "Microsoft.Keyvault"]),
                "requireInfrastructureEncryption": {"type": "boolean"},
                "services": {"type": "object"},
                "keyvaultproperties": {"type": "object"},
                "identity": {"type": "object"}}),
            "immutableStorageWithVersioning": {"type": "object",
                                               "description": "Account-level immutability."},
            "isHnsEnabled": {"type": "boolean",
                             "description": "Hierarchical namespace (Data Lake Gen2); "
                                            "create-only."},
            "isLocalUserEnabled": {"type": "boolean", "description": "Enable local users."},
            "isNfsV3Enabled": {"type": "boolean", "description": "Enable NFS 3.0."},
            "isSftpEnabled": {"type": "boolean", "description": "Enable SFTP."},
            "keyPolicy": open_object("Key expiration policy.", {
                "keyExpirationPeriodInDays": {"type": "integer", "minimum": 1}},
                ["keyExpirationPeriodInDays"]),
            "largeFileSharesState": string_enum("Large file shares.",
                                                ["Disabled", "Enabled"]),
            "minimumTlsVersion": string_enum("Minimum TLS version for requests.",
                                             ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"]),
            "networkAcls": open_object("Network rules.", {
                "defaultAction": string_enum("Action when no rule matches.",
                                             ["Allow", "Deny"]),
                "bypass": {"type": "string", "description": "AzureServices, Logging, "
                                                            "Metrics or None, comma-separated."},
                "ipRules": {"type": "array", "items": {"type": "object"}},
                "virtualNetworkRules": {"type": "array", "items": {"type": "object"}},
                "resourceAccessRules": {"type": "array", "items": {"type": "object"}}},
                ["defaultAction"]),
            "publicNetworkAccess": string_enum("Public network access.",
                                               ["Enabled", "Disabled", "SecuredByPerimeter"]),
            "routingPreference": {"type": "object", "description": "Network routing choice."},
            "sasPolicy": open_object("SAS expiration policy.", {
                "sasExpirationPeriod": {"type": "string"},
                "expirationAction": {"enum": ["Log", "Block"]}},
                ["sasExpirationPeriod", "expirationAction"]),
            "supportsHttpsTrafficOnly": {"type": "boolean",
                                         "description": "Only allow HTTPS traffic."},
            "azureFilesIdentityBasedAuthentication": {"type": "object"},
            # What the StorageAccountGetProperties and StorageAccountCreate
            # examples answer: a body copied from Azure carries them.
            **{k: READ_ONLY for k in (
                "accountMigrationInProgress", "blobRestoreStatus", "creationTime",
                "failoverInProgress", "geoPriorityReplicationStatus", "geoReplicationStats",
                "isSkuConversionBlocked", "keyCreationTime", "lastGeoFailoverTime",
                "primaryEndpoints", "primaryLocation", "privateEndpointConnections",
                "provisioningState", "secondaryEndpoints", "secondaryLocation",
                "statusOfPrimary", "statusOfSecondary",
                "storageAccountSkuConversionStatus")},
        }),
    }
    spec = arm_spec(RG_SCOPE, ["resourceGroup"], body, ["location", "sku", "kind"])
    return spec


def spec_storage_container():
    # BlobContainersPut example; ContainerProperties in the public reference.
    body = {
        "properties": open_object("Container properties.", {
            "publicAccess": string_enum("Anonymous access level.",
                                        ["Container", "Blob", "None"]),
            "metadata": {"description": "Name-value pairs (azapply keeps its ownership mark "
                                        "here: containers have no tags).",
                         "type": "object", "additionalProperties": {"type": "string"}},
            "defaultEncryptionScope": {"type": "string",
                                       "description": "Default encryption scope."},
            "denyEncryptionScopeOverride": {"type": "boolean",
                                            "description": "Block other scopes."},
            "immutableStorageWithVersioning": open_object(
                "Version-level immutability.", {"enabled": {"type": "boolean"}}),
            "enableNfsV3RootSquash": {"type": "boolean"},
            "enableNfsV3AllSquash": {"type": "boolean"},
            # What Azure answers besides (ContainerProperties, read-only).
            **{k: READ_ONLY for k in (
                "deleted", "deletedTime", "hasImmutabilityPolicy", "hasLegalHold",
                "immutabilityPolicy", "lastModifiedTime", "leaseDuration", "leaseState",
                "leaseStatus", "legalHold", "remainingRetentionDays", "version")},
        }),
    }
    return arm_spec(parent_scope("storageAccount", "StorageAccount"), ["storageAccount"],
                    body, [])


def spec_key_vault():
    # Microsoft.KeyVault 2023-07-01 VaultCreateOrUpdateParameters.
    guid_or_expr = "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-" \
                   "[0-9a-fA-F]{12}|.*\\$\\{.*\\}.*)$"
    body = {
        "location": {"$ref": "#/$defs/location"},
        "tags": {"$ref": "#/$defs/tags"},
        "properties": open_object("Vault properties.", {
            "tenantId": {"description": "The Entra tenant that authenticates requests "
                                        "(a GUID).", "type": "string",
                         "pattern": guid_or_expr},
            "sku": {"description": "The SKU.", "type": "object",
                    "required": ["family", "name"],
                    "properties": {"family": {"const": "A"},
                                   "name": string_enum("standard or premium (HSM keys).",
                                                       ["standard", "premium"])}},
            "accessPolicies": {"description": "Access policies (ignored when "
                                              "enableRbacAuthorization is true).",
                               "type": "array", "maxItems": 1024,
                               "items": {"type": "object",
                                         "required": ["tenantId", "objectId", "permissions"],
                                         "properties": {
                                             "tenantId": {"type": "string"},
                                             "objectId": {"type": "string"},
                                             "applicationId": {"type": "string"},
                                             "permissions": {"type": "object"}}}},
            "enableRbacAuthorization": {"type": "boolean",
                                        "description": "Authorize data actions with Azure "
                                                       "RBAC instead of access policies."},
            "enableSoftDelete": {"type": "boolean", "description": "Soft delete (cannot be "
                                                                   "turned off once on)."},
            "softDeleteRetentionInDays": {"type": "integer", "minimum": 7, "maximum": 90,
                                          "description": "Days a deleted vault is kept."},
            "enablePurgeProtection": {"type": "boolean",
                                      "description": "Purge protection (irreversible)."},
            "enabledForDeployment": {"type": "boolean"},
            "enabledForDiskEncryption": {"type": "boolean"},
            "enabledForTemplateDeployment": {"type": "boolean"},
            "createMode": string_enum("Create or recover a soft-deleted vault.",
                                      ["default", "recover"]),
            "networkAcls": open_object("Network rules.", {
                "defaultAction": {"enum": ["Allow", "Deny"]},
                "bypass": {"enum": ["AzureServices", "None"]},
                "ipRules": {"type": "array", "items": {"type": "object"}},
                "virtualNetworkRules": {"type": "array", "items": {"type": "object"}}}),
            "publicNetworkAccess": {"type": "string",
                                    "description": "Enabled or Disabled."},
            "vaultUri": READ_ONLY,
            "hsmPoolResourceId": READ_ONLY,
            "provisioningState": READ_ONLY,
        }, ["tenantId", "sku"]),
    }
    return arm_spec(RG_SCOPE, ["resourceGroup"], body, ["location", "properties"])


# Microsoft.MachineLearningServices 2025-09-01 mfe.json (793 KB; schemas/specs
# holds only an excerpt of its paths, see SOURCES.md): written here from its
# definitions and the examples copied there (OnlineEndpoint/createOrUpdate.json,
# ManagedOnlineDeployment/createOrUpdate.json).
def ml_tracked(properties):
    """An ML tracked resource's body (location, tags, kind, identity, sku)."""
    return {
        "location": {"$ref": "#/$defs/location"},
        "tags": {"$ref": "#/$defs/tags"},
        "kind": {"type": "string", "description": "Metadata used by portal/tooling/etc to "
                                                  "render different UX experiences."},
        "identity": {"$ref": "#/$defs/identity"},
        "sku": open_object("The SKU (Sku).", {
            "name": {"type": "string"},
            "tier": {"enum": ["Free", "Basic", "Standard", "Premium"]},
            "size": {"type": "string"}, "family": {"type": "string"},
            "capacity": {"type": "integer"}}, ["name"]),
        "properties": properties,
    }


def spec_ml_online_endpoint():
    # OnlineEndpointTrackedResource: OnlineEndpoint (EndpointPropertiesBase
    # plus compute, traffic, mirrorTraffic, publicNetworkAccess).
    percent = {"type": "integer", "minimum": 0, "maximum": 100}
    body = ml_tracked(open_object("Online endpoint configuration (OnlineEndpoint).", {
            "authMode": string_enum("How requests are authenticated: a key, an Azure ML "
                                    "token or an Entra token.",
                                    ["AMLToken", "Key", "AADToken"]),
            "description": {"type": "string", "description": "Description of the inference "
                                                             "endpoint."},
            "properties": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Property dictionary."},
            "compute": {"type": "string", "description": "ARM resource ID of the compute if "
                                                         "it exists (Kubernetes endpoints); "
                                                         "none for a managed one."},
            "publicNetworkAccess": string_enum("Whether the endpoint is reachable from "
                                               "public networks.", ["Enabled", "Disabled"]),
            "traffic": {"type": "object", "additionalProperties": percent,
                        "description": "Percentage of traffic per deployment (its name): "
                                       "the shares sum to 100, or the map is empty. Each "
                                       "name is a MlOnlineDeployment of this endpoint."},
            "mirrorTraffic": {"type": "object", "additionalProperties": percent,
                              "description": "Percentage of traffic mirrored to a "
                                             "deployment (at most 50)."},
            "keys": READ_ONLY,
            "scoringUri": READ_ONLY,
            "swaggerUri": READ_ONLY,
            "provisioningState": READ_ONLY,
        }, ["authMode"]))
    return arm_spec(parent_scope("workspace", "MlWorkspace"), ["workspace"], body,
                    ["location", "properties"])


def spec_ml_online_deployment():
    # OnlineDeploymentTrackedResource whose OnlineDeploymentProperties are
    # a ManagedOnlineDeployment (endpointComputeType Managed), with
    # EndpointDeploymentPropertiesBase (codeConfiguration, environmentId,
    # ...).
    probe = open_object("Probe settings (ProbeSettings).", {
        "failureThreshold": {"type": "integer"}, "successThreshold": {"type": "integer"},
        "timeout": {"type": "string", "format": "duration"},
        "period": {"type": "string", "format": "duration"},
        "initialDelay": {"type": "string", "format": "duration"}})
    body = ml_tracked(open_object("A managed online deployment (ManagedOnlineDeployment).", {
            "endpointComputeType": string_enum("Managed: compute Azure ML runs for the "
                                               "endpoint.", ["Managed"]),
            "model": {"type": "string", "description": "The model: an ARM id or an "
                                                       "azureml: reference "
                                                       "(azureml:name:version)."},
            "codeConfiguration": open_object("The scoring code (CodeConfiguration).", {
                "codeId": {"type": "string", "description": "ARM resource ID of the code "
                                                            "asset."},
                "scoringScript": {"type": "string", "minLength": 1, "pattern": "[a-zA-Z0-9_]",
                                  "description": "The script to execute on startup, a path "
                                                 "in the code, e.g. score.py."}},
                ["scoringScript"]),
            "environmentId": {"type": "string", "description": "ARM resource ID or "
                                                               "AssetId of the environment."},
            "environmentVariables": {"type": "object",
                                     "additionalProperties": {"type": "string"}},
            "instanceType": {"type": "string", "description": "Compute instance type, e.g. "
                                                              "Standard_DS3_v2."},
            "scaleSettings": open_object("Scaling (OnlineScaleSettings).", {
                "scaleType": string_enum("Default or TargetUtilization.",
                                         ["Default", "TargetUtilization"]),
                "minInstances": {"type": "integer"}, "maxInstances": {"type": "integer"},
                "pollingInterval": {"type": "string", "format": "duration"},
                "targetUtilizationPercentage": {"type": "integer"}}, ["scaleType"]),
            "requestSettings": open_object("Request settings (OnlineRequestSettings).", {
                "maxQueueWait": {"type": "string", "format": "duration"},
                "requestTimeout": {"type": "string", "format": "duration"},
                "maxConcurrentRequestsPerInstance": {"type": "integer"}}),
            "appInsightsEnabled": {"type": "boolean"},
            "egressPublicNetworkAccess": string_enum("Egress to public networks.",
                                                     ["Enabled", "Disabled"]),
            "livenessProbe": probe,
            "readinessProbe": probe,
            "startupProbe": probe,
            "modelMountPath": {"type": "string"},
            "description": {"type": "string"},
            "properties": {"type": "object", "additionalProperties": {"type": "string"}},
            "provisioningState": READ_ONLY,
        }, ["endpointComputeType"]))
    return arm_spec(parent_scope("endpoint", "MlOnlineEndpoint"), ["endpoint"], body,
                    ["location", "properties"])


def spec_ml_datastore():
    # mfe.json 2025-09-01: Datastore, DatastoreProperties, AzureBlobDatastore,
    # AzureDataLakeGen2Datastore, NoneDatastoreCredentials. Only the two
    # storage types, and only identity-based access: validate refuses
    # credentials other than {credentialsType: None} (planner/stack.c).
    common = {
        "datastoreType": string_enum("AzureBlob (a blob container) or AzureDataLakeGen2 (a "
                                     "file system of an account with a hierarchical "
                                     "namespace); fixed once created.",
                                     ["AzureBlob", "AzureDataLakeGen2"]),
        "credentials": {
            "description": "How the service reaches the data: None, identity-based (the "
                           "workspace's managed identity or the user's). Keys, SAS tokens "
                           "and secrets are refused: they would be kept in git.",
            "type": "object",
            "required": ["credentialsType"],
            "properties": {"credentialsType": {"type": "string",
                                               "description": "None."},
                           "secrets": {"type": "object",
                                       "description": "Refused: no secrets in manifests."}},
        },
        "accountName": {"type": "string", "minLength": 1, "pattern": "[a-zA-Z0-9_]",
                        "description": "The storage account's name."},
        "endpoint": {"type": "string", "description": "The storage service's suffix "
                                                      "(core.windows.net)."},
        "protocol": {"type": "string", "description": "https (the default) or wasbs."},
        "resourceGroup": {"type": "string",
                          "description": "The storage account's resource group."},
        "subscriptionId": {"type": "string",
                           "description": "The storage account's subscription."},
        "serviceDataAccessAuthIdentity": string_enum(
            "Which identity the service uses to reach the data for previews.",
            ["None", "WorkspaceSystemAssignedIdentity", "WorkspaceUserAssignedIdentity"]),
        "containerName": {"type": "string", "description": "AzureBlob: the container."},
        "filesystem": {"type": "string", "minLength": 1, "pattern": "[a-zA-Z0-9_]",
                       "description": "AzureDataLakeGen2: the file system."},
        "description": {"type": ["string", "null"], "description": "Free text."},
        "tags": {"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]},
                 "description": "The datastore's tag dictionary (azapply keeps its "
                                "ownership marker here: a datastore has no ARM tags)."},
        "properties": {"type": ["object", "null"],
                       "additionalProperties": {"type": ["string", "null"]},
                       "description": "The asset's property dictionary."},
        "isDefault": READ_ONLY,
    }
    body = {
        "properties": open_object("Datastore properties.", common,
                                  ["datastoreType", "credentials", "accountName"]),
    }
    return arm_spec(parent_scope("workspace", "MlWorkspace"), ["workspace"], body,
                    ["properties"])


def spec_private_endpoint():
    # privateEndpoint.json 2024-05-01: PrivateEndpoint, PrivateEndpointProperties,
    # PrivateLinkServiceConnection; the zone group (PrivateDnsZoneGroup) is
    # azapply's privateDnsZoneGroup: {name, zones}.
    connection = {
        "type": "object",
        "required": ["properties"],
        "properties": {
            "name": {"type": "string", "description": "The connection's name."},
            "properties": open_object("What the endpoint reaches.", {
                "privateLinkServiceId": {"type": "string",
                                         "description": "The id of the resource (or private "
                                                        "link service) to reach: an id or "
                                                        "${ref.Kind.name.id}."},
                "groupIds": {"type": "array", "minItems": 1, "items": {"type": "string"},
                             "description": "Its sub-resource: blob, dfs, file, queue, "
                                            "table, web, vault, Sql, SqlOnDemand, Dev, "
                                            "amlworkspace..."},
                "requestMessage": {"type": "string", "maxLength": 140,
                                   "description": "A message for the target's owner."},
                "privateLinkServiceConnectionState": READ_ONLY,
                "provisioningState": READ_ONLY,
            }, ["privateLinkServiceId", "groupIds"]),
            "id": READ_ONLY, "type": READ_ONLY, "etag": READ_ONLY,
        },
    }
    body = {
        "location": {"$ref": "#/$defs/location"},
        "tags": {"$ref": "#/$defs/tags"},
        "properties": open_object("Private endpoint properties.", {
            "subnet": {"type": "object", "required": ["id"],
                       "description": "The subnet the endpoint's interface is put in.",
                       "properties": {"id": {"type": "string",
                                             "description": "The subnet's id: an id or "
                                                            "${ref...}."}}},
            "privateLinkServiceConnections": {
                "type": "array", "items": connection,
                "description": "Connections approved at once (the caller may approve them "
                               "on the target)."},
            "manualPrivateLinkServiceConnections": {
                "type": "array", "items": connection,
                "description": "Connections the target's owner approves."},
            "customNetworkInterfaceName": {"type": "string",
                                           "description": "The name of the endpoint's "
                                                          "network interface."},
            "ipConfigurations": {"type": "array", "items": {"type": "object"},
                                 "description": "Static addresses for the endpoint."},
            "applicationSecurityGroups": {"type": "array", "items": {"type": "object"},
                                          "description": "Application security groups."},
            "customDnsConfigs": {"type": "array", "items": {"type": "object"},
                                 "description": "Custom DNS configurations."},
            "networkInterfaces": READ_ONLY,
            "provisioningState": READ_ONLY,
        }, ["subnet"]),
        "privateDnsZoneGroup": {
            "description": "The endpoint's private DNS zone group "
                           "(privateEndpoints/{name}/privateDnsZoneGroups/{group}), written "
                           "after the endpoint: Azure registers its address in these zones.",
            "type": "object",
            "required": ["zones"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 80,
                         "description": "The group's name (default: default)."},
                "zones": {"type": "array", "minItems": 1, "maxItems": 5,
                          "items": {"type": "string"},
                          "description": "Private DNS zone ids (privatelink.blob.core."
                                         "windows.net...): ids or ${ref...}."},
            },
        },
    }
    return arm_spec(RG_SCOPE, ["resourceGroup"], body, ["location", "properties"])


def spec_integration_runtime():
    # Microsoft.Synapse 2021-06-01 integrationRuntime.json, the
    # IntegrationRuntimeResource a PUT takes: its properties are an
    # IntegrationRuntime discriminated by type, ManagedIntegrationRuntime
    # (Azure-hosted; managedVirtualNetwork when the workspace has a managed
    # virtual network) or SelfHostedIntegrationRuntime. Written here from
    # the definitions because the shared spec copy lacks the file; the SSIS
    # objects stay open, as the spec leaves them (additionalProperties).
    compute = open_object("The compute resource for managed integration runtime.", {
        "location": {"description": "Where it runs (AutoResolve, or a region).",
                     "type": "string"},
        "nodeSize": {"description": "The node size requirement.", "type": "string"},
        "numberOfNodes": {"type": "integer", "minimum": 1},
        "maxParallelExecutionsPerNode": {"type": "integer", "minimum": 1},
        "dataFlowProperties": open_object("Data flow properties.", {
            "computeType": string_enum("Compute type of the cluster that runs data flows.",
                                       ["General", "MemoryOptimized", "ComputeOptimized"]),
            "coreCount": {"description": "8, 16, 32, 48, 80, 144 or 272.",
                          "type": "integer"},
            "timeToLive": {"description": "Minutes the cluster is kept.", "type": "integer",
                           "minimum": 0},
            "cleanup": {"description": "Cluster clean-up after its time to live (written by "
                                       "Synapse Studio).", "type": "boolean"}}),
        "vNetProperties": open_object("VNet properties.", {
            "vNetId": {"type": "string"}, "subnet": {"type": "string"},
            "publicIPs": {"type": "array", "items": {"type": "string"}},
            "subnetId": {"type": "string"}})})
    managed = {
        "properties": {
            "type": {"const": "Managed"},
            "typeProperties": open_object("Managed integration runtime properties.", {
                "computeProperties": compute,
                "ssisProperties": {"description": "SSIS properties.", "type": "object"},
                "customerVirtualNetwork": open_object("The virtual network an Azure-SSIS "
                                                      "integration runtime joins.", {
                    "subnetId": {"type": "string"}})}),
            "managedVirtualNetwork": open_object(
                "The workspace's managed virtual network this runtime runs in.", {
                    "referenceName": {"description": "default: the workspace's managed "
                                                     "virtual network.", "type": "string"},
                    "type": {"description": "ManagedVirtualNetworkReference.",
                             "type": "string"},
                    "id": READ_ONLY}),
            "provisioningState": READ_ONLY,
        },
        "required": ["typeProperties"],
    }
    self_hosted = {
        "properties": {
            "type": {"const": "SelfHosted"},
            "typeProperties": open_object("Set only for a linked (shared) self-hosted "
                                          "integration runtime.", {
                "linkedInfo": {"description": "The shared runtime: authorizationType Key "
                                              "(key) or RBAC (resourceId).",
                               "type": "object", "required": ["authorizationType"],
                               "properties": {
                                   "authorizationType": {"enum": ["Key", "RBAC"]},
                                   "key": {"description": "A SecureString.",
                                           "type": "object"},
                                   "resourceId": {"type": "string"}}}}),
        },
    }
    props = {
        "description": "An integration runtime: Managed (Azure-hosted) or SelfHosted.",
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": string_enum("Type of integration runtime.", ["Managed", "SelfHosted"]),
            "description": {"description": "Integration runtime description.",
                            "type": "string"},
            "typeProperties": {"description": "Properties of the runtime's type.",
                               "type": "object"},
            "managedVirtualNetwork": {"description": "A Managed runtime's managed virtual "
                                                     "network.", "type": "object"},
            "provisioningState": READ_ONLY,
        },
        "oneOf": [dict(managed, type="object"), dict(self_hosted, type="object")],
    }
    body = {"properties": props,
            "type": {"description": "The resource type, as Synapse Studio writes it "
                                    "(ignored).", "type": "string"}}
    return arm_spec(parent_scope("workspace", "SynapseWorkspace"), ["workspace"], body,
                    ["properties"])


def spec_application_insights():
    # Microsoft.Insights 2020-02-02 ApplicationInsightsComponent.
    body = {
        "location": {"$ref": "#/$defs/location"},
        "tags": {"$ref": "#/$defs/tags"},
        "kind": {"description": "The kind of application (usually web).", "type": "string"},
        "etag": {"description": "Resource etag.", "type": "string"},
        "properties": open_object("Component properties.", {
            "Application_Type": string_enum("Type of application being monitored.",
                                            ["web", "other"]),
            "Flow_Type": string_enum("Used by the portal; set Bluefield.", ["Bluefield"]),
            "Request_Source": string_enum("Describes what created this component.",
                                          ["rest"]),
            "WorkspaceResourceId": {"type": "string",
                                    "description": "Log Analytics workspace for the data "
                                                   "(workspace-based component)."},
            "IngestionMode": string_enum("Where ingested data goes.",
                                         ["ApplicationInsights",
                                          "ApplicationInsightsWithDiagnosticSettings",
                                          "LogAnalytics"]),
            "RetentionInDays": {"type": "integer", "description": "Retention in days.",
                                "enum": [30, 60, 90, 120, 180, 270, 365, 550, 730]},
            "SamplingPercentage": {"type": "number", "minimum": 0, "maximum": 100,
                                   "description": "Percentage of data sampled."},
            "DisableIpMasking": {"type": "boolean"},
            "DisableLocalAuth": {"type": "boolean",
                                 "description": "Only allow Entra ID authentication for "
                                                "ingestion."},
            "ForceCustomerStorageForProfiler": {"type": "boolean"},
            "ImmediatePurgeDataOn30Days": {"type": "boolean"},
            "HockeyAppId": {"type": "string"},
            "publicNetworkAccessForIngestion": string_enum("Public ingestion.",
                                                           ["Enabled", "Disabled"]),
            "publicNetworkAccessForQuery": string_enum("Public query.",
                                                       ["Enabled", "Disabled"]),
            # What Azure answers besides (ApplicationInsightsComponentProperties,
            # read-only).
            **{k: READ_ONLY for k in (
                "AppId", "ApplicationId", "ConnectionString", "CreationDate",
                "InstrumentationKey", "LaMigrationDate", "Name", "PrivateLinkScopedResources",
                "TenantId", "provisioningState")},
        }, ["Application_Type"]),
    }
    return arm_spec(RG_SCOPE, ["resourceGroup"], body, ["location", "kind", "properties"])


def spec_arm_resource():
    """Any ARM type: the envelope's fields are checked here, the shapes of
    type and apiVersion in planner/arm_resource.c (which names the fix);
    the body is Azure's to judge, so properties stay open."""
    ref_or_id = {"type": "string", "minLength": 1}
    body = {
        "type": {"description": "The ARM resource type: Namespace/type, or "
                                "Namespace/type/child for a child type "
                                "(e.g. Microsoft.Network/privateDnsZones).",
                 "type": "string", "minLength": 1},
        "apiVersion": {"description": "The api-version requests use: a date the type's "
                                      "REST spec lists (YYYY-MM-DD, optionally -preview).",
                       "type": "string", "minLength": 1},
        "parent": dict(ref_or_id, description="A child type's parent: its Azure id or "
                                              "${ref.Kind.name.id}."),
        "scope": dict(ref_or_id, description="An extension resource's scope: the id of the "
                                             "resource it extends, or ${ref.Kind.name.id}."),
        "location": {"$ref": "#/$defs/location"},
        "tags": {"$ref": "#/$defs/tags"},
        "sku": {"description": "The SKU, as the type's API takes it.", "type": "object"},
        "kind": {"description": "The resource's kind, as the type's API takes it.",
                 "type": "string"},
        "identity": {"$ref": "#/$defs/identity"},
        "plan": {"description": "A marketplace plan, as the type's API takes it.",
                 "type": "object"},
        "zones": {"description": "Availability zones.", "type": "array",
                  "items": {"type": "string"}},
        "properties": {"description": "The type's properties, as its API takes them.",
                       "type": "object"},
    }
    return arm_spec(RG_SCOPE, ["type", "apiVersion"], body, [])


def spec_role_assignment(conv, auth_file):
    _, _, props = conv.specs.resolve(auth_file, "#/definitions/RoleAssignmentProperties")
    principal_types = props["properties"]["principalType"]["enum"]
    if "Device" not in principal_types:
        # Newer api-versions and the Azure docs list Device as well.
        principal_types = principal_types + ["Device"]
    p = props["properties"]
    return {
        "description": "An Azure RBAC role assignment (Microsoft.Authorization "
                       "roleAssignments): who gets which role where.",
        "type": "object",
        "required": ["scope", "role", "principalId"],
        "additionalProperties": False,
        "properties": {
            "scope": {"description": "Where the role applies: an Azure resource id or a "
                                     "${ref.Kind.name.id} expression.",
                      "type": "string", "pattern": "^(/|\\$\\{)"},
            "role": {"description": "A built-in role name (e.g. Contributor), a role "
                                    "definition GUID, or a roleDefinitionId.",
                     "type": "string", "minLength": 1},
            "principalId": {"description": short(p["principalId"]["description"]) +
                                           " (object id, or ${ref...}).",
                            "type": "string", "minLength": 1, "format": "uuid"},
            "principalType": {"description": "The principal's type; set ServicePrincipal "
                                             "for managed identities to avoid "
                                             "PrincipalNotFound right after creation.",
                              "enum": principal_types},
            "description": {"description": short(p["description"]["description"]),
                            "type": "string"},
            "condition": {"description": "An ABAC condition limiting the assignment.",
                          "type": "string"},
            "conditionVersion": {"description": short(p["conditionVersion"]["description"]),
                                 "enum": ["2.0"]},
            "delegatedManagedIdentityResourceId": {
                "description": short(p["delegatedManagedIdentityResourceId"]["description"]),
                "type": "string"},
            "subscription": {"$ref": "#/$defs/subscription"},
        },
    }


def spec_synapse_role_assignment():
    return {
        "description": "A Synapse RBAC role assignment in a workspace (data plane, not ARM).",
        "type": "object",
        "required": ["workspace", "role", "principalId"],
        "additionalProperties": False,
        "properties": {
            "workspace": {"description": "The metadata.name of the SynapseWorkspace "
                                         "manifest.", "$ref": "#/$defs/parentRef"},
            "role": {"description": "A Synapse role name (e.g. Synapse Administrator) or "
                                    "its GUID; Synapse role ids are not ARM role ids.",
                     "type": "string", "minLength": 1},
            "principalId": {"description": "The object id of the user, group or service "
                                           "principal (or ${ref...}).",
                            "type": "string", "minLength": 1, "format": "uuid"},
            "principalType": {"description": "The principal's type.",
                              "enum": ["User", "Group", "ServicePrincipal"]},
            "subscription": {"$ref": "#/$defs/subscription"},
        },
    }


def spec_entra_application():
    # Microsoft Graph v1.0 application resource type.
    api_scope = {"type": "object", "properties": {
        "id": {"type": "string"}, "value": {"type": "string"},
        "type": {"enum": ["User", "Admin"]}, "isEnabled": {"type": "boolean"},
        "adminConsentDisplayName": {"type": "string"},
        "adminConsentDescription": {"type": "string"},
        "userConsentDisplayName": {"type": "string"},
        "userConsentDescription": {"type": "string"}}}
    return {
        "description": "A Microsoft Entra application registration (Graph application).",
        "type": "object",
        "required": ["displayName"],
        "additionalProperties": False,
        "properties": {
            "uniqueName": {"description": "Immutable client-chosen key used to upsert the "
                                          "application; defaults to the manifest name.",
                           "type": "string", "minLength": 1},
            "displayName": {"description": "The name users see.", "type": "string",
                            "minLength": 1, "maxLength": 256},
            "description": {"type": "string", "maxLength": 1024,
                            "description": "Free text shown to end users."},
            "signInAudience": string_enum("Which accounts may sign in.", [
                "AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount",
                "PersonalMicrosoftAccount"]),
            "notes": {"type": "string",
                      "description": "Notes for administrators (azapply keeps its ownership "
                                     "mark here)."},
            "tags": {"description": "Strings to categorise the application.",
                     "type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "identifierUris": {"description": "App ID URIs, e.g. api://<appId>.",
                               "type": "array", "items": {"type": "string"},
                               "uniqueItems": True},
            "groupMembershipClaims": {"type": "string",
                                      "description": "None, SecurityGroup, All, ..."},
            "isFallbackPublicClient": {"type": "boolean"},
            "serviceManagementReference": {"type": "string"},
            "web": open_object("Web platform settings.", {
                "homePageUrl": {"type": "string"},
                "logoutUrl": {"type": "string"},
                "redirectUris": {"type": "array", "items": {"type": "string"}},
                "implicitGrantSettings": open_object("Implicit grant.", {
                    "enableAccessTokenIssuance": {"type": "boolean"},
                    "enableIdTokenIssuance": {"type": "boolean"}})}),
            "spa": open_object("Single-page application settings.", {
                "redirectUris": {"type": "array", "items": {"type": "string"}}}),
            "publicClient": open_object("Public client settings.", {
                "redirectUris": {"type": "array", "items": {"type": "string"}}}),
            "api": open_object("The API this application exposes.", {
                "requestedAccessTokenVersion": {"enum": [1, 2, None]},
                "acceptMappedClaims": {"type": ["boolean", "null"]},
                "knownClientApplications": {"type": "array", "items": {"type": "string"}},
                "oauth2PermissionScopes": {"type": "array", "items": api_scope},
                "preAuthorizedApplications": {"type": "array", "items": {"type": "object"}}}),
            "appRoles": {"description": "Roles the application declares.", "type": "array",
                         "items": {"type": "object",
                                   "required": ["allowedMemberTypes", "displayName", "value"],
                                   "properties": {
                                       "id": {"type": "string"},
                                       "allowedMemberTypes": {
                                           "type": "array",
                                           "items": {"enum": ["User", "Application"]}},
                                       "displayName": {"type": "string"},
                                       "description": {"type": "string"},
                                       "value": {"type": "string"},
                                       "isEnabled": {"type": "boolean"}}}},
            "requiredResourceAccess": {
                "description": "APIs and permissions the application needs.",
                "type": "array",
                "items": {"type": "object", "required": ["resourceAppId", "resourceAccess"],
                          "properties": {
                              "resourceAppId": {"type": "string"},
                              "resourceAccess": {"type": "array", "items": {
                                  "type": "object", "required": ["id", "type"],
                                  "properties": {"id": {"type": "string"},
                                                 "type": {"enum": ["Scope", "Role"]}}}}}}},
            "optionalClaims": {"type": "object",
                               "description": "Optional claims in tokens."},
            "info": {"type": "object", "description": "Marketing, support, terms URLs."},
            "id": READ_ONLY,
            "appId": READ_ONLY,
            "createdDateTime": READ_ONLY,
            "publisherDomain": READ_ONLY,
        },
    }


def spec_service_principal():
    # Microsoft Graph v1.0 servicePrincipal resource type.
    return {
        "description": "A service principal for an Entra application (Graph "
                       "servicePrincipal): name the EntraApplication manifest, or give an "
                       "appId.",
        "type": "object",
        "additionalProperties": False,
        "oneOf": [{"required": ["application"]}, {"required": ["appId"]}],
        "properties": {
            "application": {"description": "The metadata.name of the EntraApplication "
                                           "manifest.", "$ref": "#/$defs/parentRef"},
            "appId": {"description": "The application (client) id, for applications not "
                                     "managed here.", "type": "string", "minLength": 1},
            "accountEnabled": {"type": "boolean",
                               "description": "Whether the principal can sign in."},
            "appRoleAssignmentRequired": {"type": "boolean",
                                          "description": "Require an app role assignment "
                                                         "before users get tokens."},
            "description": {"type": "string", "maxLength": 1024},
            "notes": {"type": "string",
                      "description": "Notes (azapply keeps its ownership mark here)."},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True,
                     "description": "Strings to categorise the principal."},
            "preferredSingleSignOnMode": {"type": ["string", "null"]},
            "loginUrl": {"type": ["string", "null"]},
            "notificationEmailAddresses": {"type": "array", "items": {"type": "string"}},
            "servicePrincipalType": {"enum": ["Application", "ManagedIdentity", "Legacy",
                                              "SocialIdp"]},
            "id": READ_ONLY,
            "appDisplayName": READ_ONLY,
            "servicePrincipalNames": READ_ONLY,
        },
    }


def spec_federated_identity_credential():
    # Microsoft Graph v1.0 federatedIdentityCredential resource type; the
    # manifest's metadata.name is its name (1-120 characters, fixed).
    return {
        "description": "A federated identity credential of an Entra application (Graph "
                       "federatedIdentityCredential): tokens from this issuer for this "
                       "subject sign in as the application, without a secret.",
        "type": "object",
        "additionalProperties": False,
        "required": ["application", "issuer", "subject", "audiences"],
        "properties": {
            "application": {"description": "The metadata.name of the EntraApplication "
                                           "manifest.", "$ref": "#/$defs/parentRef"},
            "issuer": {"description": "The URL of the external identity provider, e.g. "
                                      "https://token.actions.githubusercontent.com.",
                       "type": "string", "minLength": 1, "maxLength": 600},
            "subject": {"description": "The external identity, e.g. "
                                       "repo:org/repo:environment:prod (GitHub) or "
                                       "sc://org/project/connection (Azure DevOps); unique "
                                       "with the issuer in the application.",
                        "type": "string", "minLength": 1, "maxLength": 600},
            "audiences": {"description": "The audience the external token carries: one "
                                         "value, api://AzureADTokenExchange for Entra ID.",
                          "type": "array", "items": {"type": "string", "maxLength": 600},
                          "minItems": 1, "maxItems": 1},
            "description": {"type": ["string", "null"], "maxLength": 600,
                            "description": "Free text about the credential."},
            "id": READ_ONLY,
            "name": READ_ONLY,
        },
    }


# Synapse artifacts ----------------------------------------------------------

def secret_defs():
    return {
        "secureString": {
            "description": "A secret given inline; Synapse stores it encrypted and returns "
                           "it masked.",
            "type": "object", "required": ["type", "value"],
            "properties": {"type": {"const": "SecureString"},
                           "value": {"type": "string", "description": "The secret (use "
                                                                      "${env.X})."}}},
        "keyVaultSecret": {
            "description": "A secret read from Key Vault through a linked service.",
            "type": "object", "required": ["type", "store", "secretName"],
            "properties": {"type": {"const": "AzureKeyVaultSecret"},
                           "store": {"$ref": "#/$defs/linkedServiceReference"},
                           "secretName": {"description": "The secret's name (string or "
                                                         "expression)."},
                           "secretVersion": {"description": "The secret's version."}}},
        "secret": {"description": "A SecureString or an AzureKeyVaultSecret reference.",
                   "oneOf": [{"$ref": "#/$defs/secureString"},
                             {"$ref": "#/$defs/keyVaultSecret"}]},
        "linkedServiceReference": {
            "description": "A reference to a linked service.",
            "type": "object", "required": ["referenceName", "type"],
            "properties": {"type": {"const": "LinkedServiceReference"},
                           "referenceName": {"type": "string"},
                           "parameters": {"type": "object"}}},
    }


def artifact_spec(properties_schema, text):
    return {
        "description": text,
        "type": "object",
        "required": ["workspace", "properties"],
        "additionalProperties": False,
        "properties": {
            "workspace": {"description": "The metadata.name of the SynapseWorkspace "
                                         "manifest.", "$ref": "#/$defs/parentRef"},
            "name": {"$ref": "#/$defs/azureName"},
            "subscription": {"$ref": "#/$defs/subscription"},
            "specFile": {"$ref": "#/$defs/specFile"},
            "type": {"description": "The artifact collection, as Synapse Studio writes "
                                    "it (ignored).", "type": "string"},
            "properties": properties_schema,
        },
    }


def linked_service_properties(conv, ls_file):
    """type + typeProperties: four types checked closely, any other passes."""
    def type_props(def_name, secret_fields):
        _, _, d = conv.specs.resolve(ls_file, "#/definitions/" + def_name)
        s = conv.convert(ls_file, d, 2, frozenset())
        for f in secret_fields:
            if f in s.get("properties", {}):
                text = s["properties"][f].get("description")
                s["properties"][f] = described({"$ref": "#/$defs/secret"}, text)
        return s

    checked = {
        "AzureMLService": type_props("AzureMLServiceLinkedServiceTypeProperties",
                                     ["servicePrincipalKey"]),
        "AzureBlobFS": type_props("AzureBlobFSLinkedServiceTypeProperties",
                                  ["accountKey", "servicePrincipalKey", "sasToken"]),
        "AzureKeyVault": type_props("AzureKeyVaultLinkedServiceTypeProperties", []),
        "AzureSqlDW": type_props("AzureSqlDWLinkedServiceTypeProperties", ["password"]),
    }
    # AzureMLService: the workspace's managed identity (authentication: MSI)
    # or a service principal; azure-notes.md, "Linking Synapse and Azure ML".
    ml = checked["AzureMLService"]
    ml["properties"].setdefault("authentication", {"description": "MSI to use the "
                                                                  "workspace identity."})
    _, _, base = conv.specs.resolve(ls_file, "#/definitions/LinkedService")
    common = {}
    for k, v in base.get("properties", {}).items():
        if k != "type":
            common[k] = conv.convert(ls_file, v, 2, frozenset())
    branches = []
    for t, tp in checked.items():
        branches.append({"properties": {"type": {"const": t}, "typeProperties": tp},
                         "required": ["typeProperties"]})
    branches.append({"properties": {"type": {"not": {"enum": list(checked)}}}})
    props = {"type": {"description": "The linked service type, e.g. AzureMLService.",
                      "type": "string"},
             "typeProperties": {"description": "Properties of this type of linked service.",
                                "type": "object"}}
    props.update(common)
    return {"description": "The linked service as Synapse stores it.",
            "type": "object", "required": ["type"], "properties": props, "anyOf": branches}


def reference(ref_type, text):
    return {"description": text, "type": "object", "required": ["referenceName", "type"],
            "properties": {"type": {"const": ref_type},
                           "referenceName": {"description": "The name (or an expression).",
                                             "type": ["string", "object"]},
                           "parameters": {"type": "object"}}}


# typeProperties of the activity types checked closely (Synapse REST
# reference, 2020-12-01). Dictionaries (parameters, conf, sparkConfig) stay
# open.
ACTIVITY_TYPES = {
    "SynapseNotebook": {
        "type": "object", "required": ["notebook"], "properties": {
            "notebook": reference("NotebookReference", "The notebook to run."),
            "sparkPool": reference("BigDataPoolReference", "The Spark pool to run it on."),
            "parameters": {"type": "object", "description": "Notebook parameters."},
            "executorSize": {"description": "Executor size (Small, Medium, ... or an "
                                            "expression)."},
            "driverSize": {"description": "Driver size."},
            "numExecutors": {"description": "Number of executors."},
            "conf": {"type": "object", "description": "Spark configuration properties."},
            "configurationType": {"enum": ["Default", "Customized", "Artifact"]},
            "targetSparkConfiguration": reference("SparkConfigurationReference",
                                                  "A Spark configuration artifact."),
            "sparkConfig": {"type": "object", "description": "Spark configuration."}}},
    "SparkJob": {
        "type": "object", "required": ["sparkJob"], "properties": {
            "sparkJob": reference("SparkJobDefinitionReference", "The Spark job definition."),
            "args": {"type": "array"}, "file": {}, "scanFolder": {}, "className": {},
            "files": {"type": "array"}, "pythonCodeReference": {"type": "array"},
            "filesV2": {"type": "array"},
            "targetBigDataPool": reference("BigDataPoolReference", "The Spark pool."),
            "executorSize": {}, "conf": {"type": "object"}, "driverSize": {},
            "numExecutors": {},
            "configurationType": {"enum": ["Default", "Customized", "Artifact"]},
            "targetSparkConfiguration": reference("SparkConfigurationReference",
                                                  "A Spark configuration artifact."),
            "sparkConfig": {"type": "object"}}},
}


def activity_form(activity_type, type_properties):
    return {"properties": {"type": {"const": activity_type},
                           "typeProperties": type_properties},
            "required": ["typeProperties"]}


def pipeline_properties():
    # entityTypes/Pipeline.json (Synapse 2020-12-01 Pipeline) as in
    # Pipelines_Create.json.
    activity = {"type": "object", "required": ["name", "type"], "properties": {
        "name": {"type": "string", "description": "Activity name."},
        "type": {"type": "string", "description": "Activity type, e.g. Copy, "
                                                  "SynapseNotebook, ForEach."},
        "description": {"type": "string"},
        "state": {"enum": ["Active", "Inactive"]},
        "onInactiveMarkAs": {"enum": ["Succeeded", "Failed", "Skipped"]},
        "dependsOn": {"type": "array", "items": {
            "type": "object", "required": ["activity", "dependencyConditions"],
            "properties": {"activity": {"type": "string"},
                           "dependencyConditions": {"type": "array", "items": {
                               "enum": ["Succeeded", "Failed", "Skipped", "Completed"]}}}}},
        "userProperties": {"type": "array", "items": {
            "type": "object", "required": ["name", "value"]}},
        "typeProperties": {"type": "object"},
        "linkedServiceName": {"type": "object"},
        "inputs": {"type": "array", "description": "Datasets read (Copy and others)."},
        "outputs": {"type": "array", "description": "Datasets written."},
        # ActivityPolicy is open in the specs (additionalProperties); its
        # timeout is a .NET time span or an expression.
        "policy": {"type": "object", "additionalProperties": True, "properties": {
            "timeout": {"description": "d.hh:mm:ss, e.g. 0.12:00:00 (or an expression).",
                        "type": ["string", "object"], "format": "timespan"},
            "retry": {"description": "Retries (or an expression).",
                      "type": ["integer", "object", "string"]},
            "retryIntervalInSeconds": {"type": "integer", "minimum": 30,
                                       "maximum": 86400},
            "secureInput": {"type": "boolean"},
            "secureOutput": {"type": "boolean"}}}},
        # The activity types checked closely; any other type is open.
        "anyOf": [activity_form(t, tp) for t, tp in ACTIVITY_TYPES.items()] + [
            {"properties": {"type": {"not": {"enum": list(ACTIVITY_TYPES)}}},
             "additionalProperties": True}]}
    # Synapse takes a parameter's type in any case and keeps it as sent;
    # Synapse Studio writes it in lower case ("string"). Both are valid.
    param_types = ["Object", "String", "Int", "Float", "Bool", "Array", "SecureString"]
    param = {"type": "object", "required": ["type"], "properties": {
        "type": {"enum": param_types + [t.lower() for t in param_types]},
        "defaultValue": {}}}
    return {
        "description": "The pipeline as Synapse stores it.",
        "type": "object",
        "properties": {
            "description": {"type": "string", "description": "Pipeline description."},
            "activities": {"type": "array", "items": activity,
                           "description": "The activities, in any order (dependsOn orders "
                                          "them)."},
            "parameters": {"type": "object", "additionalProperties": param},
            "variables": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["type"],
                "properties": {"type": {"enum": ["String", "Bool", "Boolean", "Array"]},
                               "defaultValue": {}}}},
            "concurrency": {"type": "integer", "minimum": 1},
            "annotations": {"type": "array",
                            "description": "Tags (azapply keeps its ownership mark here)."},
            "runDimensions": {"type": "object"},
            "folder": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
    }


def dataset_properties():
    # entityTypes/Dataset.json (Synapse 2020-12-01 Dataset).
    return {
        "description": "The dataset as Synapse stores it.",
        "type": "object",
        "required": ["type", "linkedServiceName"],
        "properties": {
            "type": {"type": "string", "description": "Dataset type, e.g. Parquet, "
                                                      "DelimitedText, AzureSqlDWTable."},
            "description": {"type": "string"},
            "linkedServiceName": {"$ref": "#/$defs/linkedServiceReference"},
            "typeProperties": {"type": "object"},
            "structure": {"description": "Columns (array or expression)."},
            "schema": {"description": "Physical schema (array or expression)."},
            "parameters": {"type": "object"},
            "annotations": {"type": "array",
                            "description": "Tags (azapply keeps its ownership mark here)."},
            "folder": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
    }


def sql_script_properties():
    # SqlScript (artifacts.json SqlScriptResource -> entityTypes/SqlScript.json).
    return {
        "description": "The SQL script as Synapse stores it.",
        "type": "object",
        "required": ["content"],
        "properties": {
            "description": {"type": "string"},
            "type": {"enum": ["SqlQuery"]},
            "content": {"type": "object", "required": ["query"], "properties": {
                "query": {"type": "string", "description": "The SQL text."},
                "currentConnection": {"type": "object", "properties": {
                    "databaseName": {"type": "string"},
                    "poolName": {"type": "string"},
                    "type": {"type": "string",
                             "description": "SqlOnDemand or SqlPool."}}},
                "resultLimit": {"type": "integer"},
                "metadata": {"type": "object"}}},
            "folder": {"type": "object", "properties": {"name": {"type": "string"}}},
            "annotations": {"type": "array",
                            "description": "Tags (azapply keeps its ownership mark here)."},
        },
    }


# ---------------------------------------------------------------------------

def identity_def(conv, ws_file):
    _, _, d = conv.specs.resolve(ws_file, "#/definitions/ManagedIdentity")
    return conv.convert(ws_file, d, 1, frozenset())


def build(specs_dir):
    spec_root = os.path.join(specs_dir, "specification")
    if not os.path.isdir(spec_root):
        sys.exit("usage: generate.py SPECS_DIR (a copy of Azure/azure-rest-api-specs "
                 "with a specification/ folder)")
    specs = Specs(spec_root)
    conv = Converter(specs)
    syn = os.path.join(spec_root, "synapse/resource-manager/Microsoft.Synapse/stable/2021-06-01")
    ml = os.path.join(spec_root, "machinelearningservices/resource-manager/"
                                 "Microsoft.MachineLearningServices/stable/2025-09-01")
    dp = os.path.join(spec_root, "synapse/data-plane/Microsoft.Synapse/stable/2020-12-01")
    auth = os.path.join(spec_root, "authorization/resource-manager/Microsoft.Authorization/"
                                   "stable/2022-04-01/authorization-RoleAssignmentsCalls.json")
    identity = {"identity": FALLBACK["ManagedServiceIdentity"]}
    out = {}

    def kind(name, spec, title, extra=None, read_only=()):
        mark_read_only(spec, read_only)
        if name in ARM_KINDS:
            mark_enum_case(spec)
            mark_enum_case(extra or {})
        out[name] = document(name, spec, dict(identity, **(extra or {})), title)

    kind("ResourceGroup", spec_resource_group(), "azapply ResourceGroup manifest")
    kind("StorageAccount", spec_storage_account(), "azapply StorageAccount manifest")
    kind("StorageContainer", spec_storage_container(), "azapply StorageContainer manifest")
    kind("KeyVault", spec_key_vault(), "azapply KeyVault manifest")
    kind("ApplicationInsights", spec_application_insights(),
         "azapply ApplicationInsights manifest")
    kind("ArmResource", spec_arm_resource(), "azapply ArmResource manifest (any ARM type)")
    kind("MlDatastore", spec_ml_datastore(), "azapply MlDatastore manifest")
    kind("PrivateEndpoint", spec_private_endpoint(), "azapply PrivateEndpoint manifest")

    f = os.path.join(ml, "workspaceRP.json")
    body = tracked_body(conv, f, "Workspace")
    body["identity"] = {"$ref": "#/$defs/identity"}
    kind("MlWorkspace", arm_spec(RG_SCOPE, ["resourceGroup"], body, ["location"]),
         "azapply MlWorkspace manifest",
         read_only=["properties.workspaceId", "properties.discoveryUrl",
                    "properties.mlFlowTrackingUri", "properties.notebookInfo",
                    "properties.privateLinkCount", "properties.storageHnsEnabled",
                    "properties.tenantId", "properties.serviceProvisionedResourceGroup"])

    f = os.path.join(ml, "machineLearningServices.json")
    body = tracked_body(conv, f, "ComputeResource")
    body["identity"] = {"$ref": "#/$defs/identity"}
    kind("MlCompute", arm_spec(parent_scope("workspace", "MlWorkspace"), ["workspace"], body,
                               ["properties"]),
         "azapply MlCompute manifest",
         read_only=["properties.createdOn", "properties.modifiedOn",
                    "properties.provisioningErrors", "properties.isAttachedCompute"])

    kind("MlOnlineEndpoint", spec_ml_online_endpoint(), "azapply MlOnlineEndpoint manifest")
    kind("MlOnlineDeployment", spec_ml_online_deployment(),
         "azapply MlOnlineDeployment manifest")

    f = os.path.join(syn, "workspace.json")
    body = tracked_body(conv, f, "Workspace")
    body["identity"] = identity_def(conv, f)
    kind("SynapseWorkspace", arm_spec(RG_SCOPE, ["resourceGroup"], body, ["location"]),
         "azapply SynapseWorkspace manifest",
         read_only=["properties.connectivityEndpoints", "properties.workspaceUID",
                    "properties.extraProperties", "properties.adlaResourceId",
                    "properties.settings", "properties.provisioningState"])

    f = os.path.join(syn, "firewallRule.json")
    body = tracked_body(conv, f, "IpFirewallRuleInfo")
    kind("SynapseFirewallRule",
         arm_spec(parent_scope("workspace", "SynapseWorkspace"), ["workspace"], body,
                  ["properties"]),
         "azapply SynapseFirewallRule manifest",
         read_only=["properties.provisioningState"])

    kind("IntegrationRuntime", spec_integration_runtime(),
         "azapply IntegrationRuntime manifest")

    f = os.path.join(syn, "bigDataPool.json")
    body = tracked_body(conv, f, "BigDataPoolResourceInfo")
    # Newer than the spec file's commit, in its examples and in Azure's
    # answers (azure-notes.md): a known property, not a typo.
    body["properties"]["properties"]["isAutotuneEnabled"] = {
        "description": "Whether autotune is required or not.", "type": ["boolean", "null"]}
    kind("SparkPool", arm_spec(parent_scope("workspace", "SynapseWorkspace"), ["workspace"],
                               body, ["location", "properties"]),
         "azapply SparkPool manifest",
         read_only=["properties.creationDate", "properties.lastSucceededTimestamp",
                    "properties.provisioningState"])

    f = os.path.join(syn, "sqlPool.json")
    body = tracked_body(conv, f, "SqlPool")
    # Azure answers createMode "" for a pool created the default way
    # (CreateSqlPool example): a body read back must validate.
    create_mode = body["properties"]["properties"]["createMode"]
    if "enum" in create_mode and "" not in create_mode["enum"]:
        create_mode["enum"] = create_mode["enum"] + [""]
    kind("SqlPool", arm_spec(parent_scope("workspace", "SynapseWorkspace"), ["workspace"],
                             body, ["location", "sku"]),
         "azapply SqlPool manifest",
         read_only=["properties.status", "properties.creationDate",
                    "properties.provisioningState"])

    kind("RoleAssignment", spec_role_assignment(conv, auth), "azapply RoleAssignment manifest")
    kind("SynapseRoleAssignment", spec_synapse_role_assignment(),
         "azapply SynapseRoleAssignment manifest")
    kind("EntraApplication", spec_entra_application(), "azapply EntraApplication manifest")
    kind("ServicePrincipal", spec_service_principal(), "azapply ServicePrincipal manifest")
    kind("FederatedIdentityCredential", spec_federated_identity_credential(),
         "azapply FederatedIdentityCredential manifest")

    artifact_defs = secret_defs()
    conv = Converter(specs, data_plane=True)
    ls_file = os.path.join(dp, "entityTypes/LinkedService.json")
    kind("LinkedService", artifact_spec(linked_service_properties(conv, ls_file),
                                        "A Synapse linked service."),
         "azapply LinkedService manifest", artifact_defs)
    kind("Dataset", artifact_spec(dataset_properties(), "A Synapse dataset."),
         "azapply Dataset manifest", artifact_defs)
    kind("Pipeline", artifact_spec(pipeline_properties(), "A Synapse pipeline."),
         "azapply Pipeline manifest", artifact_defs)

    tr_file = os.path.join(dp, "entityTypes/Trigger.json")
    _, _, d = specs.resolve(tr_file, "#/definitions/Trigger")
    trigger = conv.convert(tr_file, d, 1, frozenset(), "Trigger")
    kind("Trigger", artifact_spec(trigger, "A Synapse trigger."), "azapply Trigger manifest",
         artifact_defs, read_only=["properties.runtimeState"])

    nb_file = os.path.join(dp, "entityTypes/Notebook.json")
    _, _, d = specs.resolve(nb_file, "#/definitions/Notebook")
    kind("Notebook", artifact_spec(conv.convert(nb_file, d, 1, frozenset(), "Notebook"),
                                   "A Synapse notebook."),
         "azapply Notebook manifest", artifact_defs)
    kind("SqlScript", artifact_spec(sql_script_properties(), "A Synapse SQL script."),
         "azapply SqlScript manifest", artifact_defs)

    def definition(file, name):
        """The artifact properties a spec file defines as `name`, converted."""
        _, _, d = specs.resolve(file, "#/definitions/" + name)
        return conv.convert(file, d, 1, frozenset(), name)

    # entityTypes/DataFlow.json and SparkJobDefinition.json: copies in
    # schemas/specs (SOURCES.md), the shared copy has neither.
    kind("DataFlow", artifact_spec(definition(os.path.join(dp, "entityTypes/DataFlow.json"),
                                              "DataFlow"),
                                   "A Synapse data flow (mapping data flow or flowlet)."),
         "azapply DataFlow manifest", artifact_defs)
    kind("SparkJobDefinition",
         artifact_spec(definition(os.path.join(dp, "entityTypes/SparkJobDefinition.json"),
                                  "SparkJobDefinition"),
                       "A Synapse Spark job definition."),
         "azapply SparkJobDefinition manifest", artifact_defs)
    # credential.json's PUT takes a ManagedIdentityCredential (its copy and
    # entityTypes/Credential.json's are in schemas/specs); the service
    # principal credential the entity file also defines is not what the
    # operation accepts.
    cred_file = os.path.join(dp, "entityTypes/Credential.json")
    _, _, d = specs.resolve(cred_file, "#/definitions/ManagedIdentityCredential")
    credential = conv.convert(cred_file, d, 1, frozenset(), "Credential")
    # Its discriminator value (x-ms-discriminator-value), the one type the
    # operation takes.
    credential["properties"]["type"] = described({"const": "ManagedIdentity"},
                                                 "Type of credential.")
    kind("Credential",
         artifact_spec(credential, "A Synapse credential (a user-assigned managed identity)."),
         "azapply Credential manifest", artifact_defs)

    # kqlScripts.json (2021-11-01-preview, the one version that serves
    # /kqlScripts) and managedPrivateEndpoints.json: copies in schemas/specs
    # (SOURCES.md), the shared copy has neither.
    kql_file = os.path.join(spec_root, "synapse/data-plane/Microsoft.Synapse/preview/"
                                       "2021-11-01-preview/kqlScripts.json")
    kind("KqlScript", artifact_spec(definition(kql_file, "KqlScript"), "A Synapse KQL script."),
         "azapply KqlScript manifest", artifact_defs)
    endpoint = definition(os.path.join(dp, "managedPrivateEndpoints.json"),
                          "ManagedPrivateEndpointProperties")
    # Nothing is required by the spec, but an endpoint without its target
    # and group is refused: they are what it connects to.
    endpoint["required"] = ["privateLinkResourceId", "groupId"]
    kind("ManagedPrivateEndpoint",
         artifact_spec(endpoint, "A managed private endpoint of the workspace's managed "
                                 "virtual network (managedVirtualNetwork/default in Synapse "
                                 "Studio's folder)."),
         "azapply ManagedPrivateEndpoint manifest", artifact_defs,
         read_only=["properties.name", "properties.connectionState", "properties.fqdns",
                    "properties.isCompliant"])

    assert sorted(out) == KINDS, sorted(set(KINDS) ^ set(out))
    out["manifest"] = manifest_schema()
    out["project"] = project_schema()
    out["Component"] = component_instance_schema()
    out["SynapseArtifacts"] = synapse_artifacts_schema()
    out["component-definition"] = component_definition_schema()
    return out


INPUT_NAME = "^[A-Za-z0-9_-]+$"


def outputs_schema(text):
    """outputs: NAME -> expression, or {value, description}."""
    return {
        "description": text,
        "type": "object",
        "propertyNames": {"pattern": INPUT_NAME},
        "additionalProperties": {
            "anyOf": [
                {"description": "An expression over references, e.g. "
                                "${ref.SynapseWorkspace.synapse.id}.",
                 "type": "string", "minLength": 1},
                {"type": "object", "required": ["value"], "additionalProperties": False,
                 "properties": {
                     "value": {"description": "An expression over references.",
                               "type": "string", "minLength": 1},
                     "description": {"description": "What the output is for.",
                                     "type": "string"}}},
            ]},
    }


def expanded_kind_schema(kind, description, kind_text, metadata, spec):
    """A manifest of a kind that is no resource but expands into resources
    when loaded (ENVELOPE_KINDS): the envelope with its own metadata and
    spec."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + kind + ".schema.json",
        "title": "azapply " + kind + " manifest",
        "description": description,
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"$ref": "#/$defs/apiVersion"},
            "kind": {"description": kind_text, "const": kind},
            "metadata": metadata,
            "spec": spec,
        },
        "$defs": envelope_defs(ENVELOPE_KINDS),
    }


def component_instance_schema():
    """A manifest of kind Component: one instance of a component folder."""
    return expanded_kind_schema(
        "Component",
        "One instance of a component: the folder spec.source names (it holds "
        "component.yaml) with these inputs. Its resources are addressed "
        "<metadata.name>/Kind/name; the stack reads them only through "
        "${component.<metadata.name>.outputs.NAME}.",
        "A component instance.", {"$ref": "#/$defs/metadata"},
        {
            "type": "object",
            "required": ["source"],
            "additionalProperties": False,
            "properties": {
                "source": {
                    "description": "Where the component is: its folder (holding "
                                   "component.yaml) in the stack's own files, or that "
                                   "folder at a commit of the stack's git repository.",
                    "oneOf": [
                        {"description": "The component's folder, relative to this file "
                                        "and inside the stack's folder, e.g. "
                                        "components/team-platform.",
                         "type": "string", "minLength": 1},
                        {"description": "The component's folder at a commit, tag or "
                                        "branch of the repository the stack lives in, "
                                        "e.g. {git: v1.2.0, path: "
                                        "components/team-platform}. The plan shows the "
                                        "commit the ref named.",
                         "type": "object",
                         "required": ["git", "path"],
                         "additionalProperties": False,
                         "properties": {
                             "git": {"description": "A commit, tag or branch of the "
                                                    "stack's repository (anything git "
                                                    "rev-parse accepts), written out: "
                                                    "no expressions.",
                                     "type": "string", "minLength": 1},
                             "path": {"description": "The component's folder from the "
                                                     "repository's root, e.g. "
                                                     "components/team-platform; it may "
                                                     "not leave the repository.",
                                      "type": "string", "minLength": 1},
                         }},
                    ]},
                "inputs": {"description": "Values for the inputs component.yaml "
                                          "declares (${var.X}, ${env.X}, ${each...} and "
                                          "other instances' outputs may be used).",
                           "type": "object",
                           "propertyNames": {"pattern": INPUT_NAME}},
            },
        })


def synapse_artifacts_schema():
    """A manifest of kind SynapseArtifacts: a Synapse Studio folder, read by
    planner/manifest/studio.c (which says the same things, at file:line:col,
    when a document breaks them)."""
    envelope = envelope_defs(ENVELOPE_KINDS)["metadata"]["properties"]
    return expanded_kind_schema(
        "SynapseArtifacts",
        "A folder in Synapse Studio's git layout (pipeline/, dataset/, ...): every artifact "
        "file below it is a resource of the workspace, addressed Kind/<artifact name>.",
        "A Synapse Studio folder.",
        {
            "description": "Not a resource: names where the artifacts come from; labels, "
                           "lifecycle and dependsOn reach every artifact.",
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"$ref": "#/$defs/name"},
                "labels": envelope["labels"],
                "dependsOn": envelope["dependsOn"],
                "lifecycle": {"$ref": "#/$defs/lifecycle"},
            },
        },
        {
            "type": "object",
            "required": ["workspace", "folder"],
            "additionalProperties": False,
            "properties": {
                "workspace": {"description": "The SynapseWorkspace: its metadata.name, or "
                                             "its Azure id.",
                              "type": "string", "minLength": 1},
                "folder": {"description": "Studio's root folder, relative to this file and "
                                          "inside the stack's folder.",
                           "type": "string", "minLength": 1},
                "subscription": {"$ref": "#/$defs/subscription"},
                "prune": {"description": "What an artifact missing from the folder may be "
                                         "deleted for: marked (the default) deletes only "
                                         "what this stack and environment marked; "
                                         "all-in-workspace deletes any artifact of the "
                                         "workspace the folder lacks, but for another "
                                         "stack's.",
                          "enum": ["marked", "all-in-workspace"],
                          "default": "marked"},
            },
        })


def component_definition_schema():
    """component.yaml: a component's inputs and outputs."""
    types = ["string", "integer", "number", "boolean", "list", "map", "any"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + "component-definition.schema.json",
        "title": "azapply component (component.yaml)",
        "description": "A folder of manifests instantiated by Component manifests. Inside "
                       "it, ${input.NAME} is an input's value, ${component.name} the "
                       "instance's name, and ${ref.Kind.name} a resource of the same "
                       "instance.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "description": {"description": "What the component builds.", "type": "string"},
            "inputs": {
                "description": "The values an instance passes in: name -> declaration.",
                "type": "object",
                "propertyNames": {"pattern": INPUT_NAME},
                "additionalProperties": {
                    "type": "object",
                    "required": ["type"],
                    "additionalProperties": False,
                    "properties": {
                        "type": {"description": "The value's type, checked at the call "
                                                "site.", "enum": types},
                        "default": {"description": "The value when the call site gives "
                                                   "none (makes the input optional)."},
                        "required": {"description": "false: an input without a default "
                                                    "may be left out (${input.NAME} is "
                                                    "then an error where it is used). "
                                                    "Default true.",
                                     "type": "boolean"},
                        "description": {"description": "Shown when the input is missing "
                                                       "or of the wrong type.",
                                        "type": "string"},
                    },
                },
            },
            "outputs": outputs_schema("What the stack may read of an instance, as "
                                      "${component.INSTANCE.outputs.NAME}, and what "
                                      "`azapply output` prints as INSTANCE.NAME."),
        },
    }


def manifest_schema():
    defs = envelope_defs(ENVELOPE_KINDS)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + "manifest.schema.json",
        "title": "azapply manifest (any kind)",
        "description": "The envelope every manifest shares; <Kind>.schema.json adds the "
                       "kind's spec.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"$ref": "#/$defs/apiVersion"},
            "kind": {"$ref": "#/$defs/kind"},
            "metadata": {"$ref": "#/$defs/metadata"},
            "spec": {"description": "What to create: see the kind's schema.",
                     "type": "object"},
        },
        "$defs": defs,
    }


def project_schema():
    env_name = "^[A-Za-z0-9][A-Za-z0-9_-]*$"
    var_name = "^[A-Za-z_][A-Za-z0-9_]*$"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + "project.schema.json",
        "title": "azapply project file (azapply.yaml)",
        "type": "object",
        "required": ["stack"],
        "additionalProperties": False,
        "properties": {
            "stack": {"description": "The stack name: marks every resource this project "
                                     "owns (azapply-stack tag).",
                      "type": "string", "minLength": 1, "maxLength": 64,
                      "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"},
            "subscription": {"$ref": "#/$defs/subscription"},
            "tenant": {"$ref": "#/$defs/tenant"},
            "cloud": {"$ref": "#/$defs/cloud"},
            "location": {"description": "The default Azure region.", "type": "string",
                         "minLength": 1, "format": "azure-location"},
            "lockStorageAccount": {"$ref": "#/$defs/lockStorageAccount"},
            "strict": {"description": "Make validate's warnings (unknown properties, enum "
                                      "values in another case, unknown regions) errors, as "
                                      "--strict does.", "type": "boolean"},
            "variables": {"description": "Variables for ${var.X}: name -> default value "
                                         "(null = every environment must set it).",
                          "type": "object",
                          "propertyNames": {"pattern": var_name}},
            "outputs": outputs_schema("Values for the next CI step, read from live Azure by "
                                      "`azapply output`: NAME -> expression over "
                                      "${ref...}, ${var.X} and "
                                      "${component.INSTANCE.outputs.NAME}."),
            "environments": {
                "description": "Per-environment settings (selected with --env).",
                "type": "object",
                "propertyNames": {"pattern": env_name},
                "additionalProperties": {"$ref": "#/$defs/environment"},
            },
        },
        "$defs": {
            "subscription": {"description": "The Azure subscription id.", "type": "string",
                             "minLength": 1},
            "tenant": {"description": "The Entra tenant id or domain.", "type": "string",
                       "minLength": 1},
            "lockStorageAccount": {
                "description": "Where apply, destroy and import take the lock of this stack "
                               "instance (a lease on a blob container): the address of a "
                               "StorageAccount of the stack (StorageAccount/lake, or "
                               "team-a/StorageAccount/lake in a component instance) or the "
                               "Azure id of any storage account. Default: the stack's first "
                               "StorageAccount.",
                "type": "string",
                "anyOf": [{"pattern": "^([A-Za-z0-9][A-Za-z0-9_-]*/)?StorageAccount/"
                                      "[A-Za-z0-9][A-Za-z0-9._-]*$"},
                          {"pattern": "^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
                                      "Microsoft\\.Storage/storageAccounts/[^/]+$"}]},
            "cloud": {"description": "AzureCloud, AzureUSGovernment, AzureChinaCloud, or a "
                                     "path to a cloud file (JSON) for other clouds.",
                      "type": "string",
                      "anyOf": [{"enum": ["AzureCloud", "AzureUSGovernment",
                                          "AzureChinaCloud"]},
                                {"pattern": "\\.json$"}]},
            "environment": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "variables": {"description": "Values for this environment.",
                                  "type": "object",
                                  "propertyNames": {"pattern": var_name}},
                    "subscription": {"$ref": "#/$defs/subscription"},
                    "tenant": {"$ref": "#/$defs/tenant"},
                    "location": {"type": "string", "minLength": 1,
                                 "format": "azure-location"},
                    "cloud": {"$ref": "#/$defs/cloud"},
                    "lockStorageAccount": {"$ref": "#/$defs/lockStorageAccount"},
                    "requireOverrides": {
                        "description": "Every value a Synapse Studio folder's "
                                       "template-parameters-definition.json makes a "
                                       "parameter with a default ('=') must be overridden "
                                       "in this environment (as the Synapse deployment "
                                       "task's FailOnMissingOverrides); a missing one is an "
                                       "error at the value in its JSON file. Values without "
                                       "a default ('-', '|') must be given in every "
                                       "environment.",
                        "type": "boolean"},
                    "overrides": {"description": "Kind/name (instance/Kind/name inside a "
                                                 "component instance) -> values merged "
                                                 "into that manifest's spec.",
                                  "type": "object",
                                  "propertyNames": {
                                      "pattern": "^([A-Za-z0-9_-]+/)?[A-Z][A-Za-z]*/[A-Za-z0-9][A-Za-z0-9._-]*$"},
                                  "additionalProperties": {"type": "object"}},
                },
            },
        },
    }


def mark_enum_case(schema):
    """ARM compares enum values without case (and answers in its own
    spelling): every enum of strings in an ARM body says so, and validate
    warns instead of failing on another case."""
    if isinstance(schema, list):
        for item in schema:
            mark_enum_case(item)
    elif isinstance(schema, dict):
        if any(isinstance(e, str) for e in schema.get("enum", [])):
            schema[ENUM_CASE] = "insensitive"
        for v in schema.values():
            if isinstance(v, (dict, list)):
                mark_enum_case(v)


def mark_unknown_warn(schema, in_branch=False):
    """Marks every object schema that lists its properties and says nothing
    of others (no additionalProperties). Members of anyOf/oneOf/allOf are
    left unmarked: a subtype's branch lists only its own properties, and the
    object holding the union knows the union's."""
    if isinstance(schema, list):
        for item in schema:
            mark_unknown_warn(item, in_branch)
        return
    if not isinstance(schema, dict):
        return
    if ("properties" in schema and "additionalProperties" not in schema and not in_branch
            and schema.get("type") in ("object", ["object", "null"])):
        schema[WARN_UNKNOWN] = "warn"
    for k, v in schema.items():
        if k in ("anyOf", "oneOf", "allOf"):
            mark_unknown_warn(v, True)
        elif k == "properties":
            for sub in v.values():
                mark_unknown_warn(sub)
        elif k in ("$defs", "patternProperties"):
            for sub in v.values():
                mark_unknown_warn(sub)
        elif k in ("items", "additionalProperties", "not", "prefixItems"):
            mark_unknown_warn(v)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for name, schema in build(sys.argv[1]).items():
        mark_unknown_warn(schema)
        with open(os.path.join(HERE, name + ".schema.json"), "w", encoding="utf-8") as f:
            json.dump(schema, f, indent=2, ensure_ascii=False)
            f.write("\n")


if __name__ == "__main__":
    main()
