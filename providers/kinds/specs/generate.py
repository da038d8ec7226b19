#!/usr/bin/env python3
"""Generates providers/kinds/arm_specs.c: what the Azure REST specs say of
the ARM types an ArmResource manifest may name, as data the build embeds.

Usage: providers/kinds/specs/generate.py

The specs are copies of files of Azure/azure-rest-api-specs kept next to
this script (SOURCES.md names each one's path and commit). For each type in
TYPES below, the body of its PUT is walked (allOf merged, local $refs
followed) and every property path is sorted into:
  - read-only:   "readOnly": true (Azure fills it in; never a change);
  - create-only: "x-ms-mutability" without "update" (a change replaces it);
  - secret:      "x-ms-secret": true (sent, never read back nor shown);
  - defaults:    "default" (what Azure answers when a body leaves it out).
A type has tags when its body has a top-level "tags"; it is listable when
the spec has a GET on its collection (the PUT path without the name).
References to files not shipped (common-types) are left out: the fields
every ARM resource has are read-only in every ArmResource kind anyway.

The output is committed; the build never runs this script.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "arm_specs.c")
MAX_DEPTH = 8

# (type, api-version, spec file here)
TYPES = [
    ("Microsoft.ManagedIdentity/userAssignedIdentities", "2023-01-31",
     "msi-2023-01-31-ManagedIdentity.json"),
    ("Microsoft.Synapse/workspaces/administrators", "2021-06-01",
     "synapse-2021-06-01-workspace.json"),
]


def put_operation(spec, type_):
    """The PUT whose path ends in the type's segments, each followed by a name."""
    segments = type_.split("/")
    namespace, kinds = segments[0], segments[1:]
    for path, item in spec["paths"].items():
        if "put" not in item:
            continue
        parts = path.strip("/").split("/")
        try:
            at = [p.lower() for p in parts].index("providers")
        except ValueError:
            continue
        rest = parts[at + 1:]
        if not rest or rest[0].lower() != namespace.lower() or len(rest) != 1 + 2 * len(kinds):
            continue
        if all(rest[1 + 2 * i].lower() == k.lower() for i, k in enumerate(kinds)):
            return path, item
    sys.exit("no PUT for %s" % type_)


def body_schema(spec, operation):
    for p in operation.get("parameters", []):
        if p.get("in") == "body":
            return p["schema"]
    sys.exit("PUT without a body")


class Walker:
    def __init__(self, spec):
        self.spec = spec
        self.read_only, self.create_only, self.secret, self.defaults = [], [], [], []

    def resolve(self, schema):
        ref = schema.get("$ref")
        if ref is None:
            return schema
        if not ref.startswith("#/definitions/"):
            return None  # another file: not shipped
        return self.spec["definitions"].get(ref[len("#/definitions/"):])

    def properties(self, schema, depth):
        """Properties of a schema with its allOf parents merged."""
        if schema.get("$ref", "").endswith("/definitions/TrackedResource"):
            # common-types: a tracked resource has a location and tags.
            return {"location": {"type": "string"}, "tags": {"type": "object"}}
        schema = self.resolve(schema)
        if schema is None or depth > MAX_DEPTH:
            return {}
        props = {}
        for parent in schema.get("allOf", []):
            props.update(self.properties(parent, depth + 1))
        props.update(schema.get("properties", {}))
        return props

    def walk(self, schema, path, depth):
        for name, prop in self.properties(schema, depth).items():
            dotted = path + [name]
            key = ".".join(dotted)
            if "/" in name or "*" in name:
                continue
            if prop.get("readOnly"):
                self.read_only.append(key)
                continue
            mutability = prop.get("x-ms-mutability")
            if mutability is not None and "update" not in mutability and "create" in mutability:
                self.create_only.append(key)
            if prop.get("x-ms-secret") or (mutability is not None and "read" not in mutability):
                self.secret.append(key)
            if "default" in prop:
                self.defaults.append((key, json.dumps(prop["default"], separators=(",", ":"))))
            resolved = self.resolve(prop)
            if resolved is not None and depth < MAX_DEPTH and \
                    (resolved.get("properties") or resolved.get("allOf")):
                self.walk(prop, dotted, depth + 1)


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def c_paths(paths):
    if not paths:
        return "NULL"
    return "PATHS(" + ", ".join(c_string(p) for p in paths) + ")"


def c_defaults(defaults):
    if not defaults:
        return "NULL"
    return "DEFAULTS(" + ", ".join("{%s, %s}" % (c_string(p), c_string(v))
                                    for p, v in defaults) + ")"


def main():
    entries = []
    for type_, version, file in sorted(TYPES):
        with open(os.path.join(HERE, file), encoding="utf-8") as f:
            spec = json.load(f)
        assert spec["info"]["version"] == version, (file, spec["info"]["version"])
        path, item = put_operation(spec, type_)
        w = Walker(spec)
        w.walk(body_schema(spec, item["put"]), [], 0)
        top = w.properties(body_schema(spec, item["put"]), 0)
        collection = path.rsplit("/", 1)[0]
        listable = "get" in spec["paths"].get(collection, {})
        entries.append("\t{\n"
                       "\t\t.type = %s,\n\t\t.api_version = %s,\n\t\t.source = %s,\n"
                       "\t\t.tags = %s,\n\t\t.listable = %s,\n"
                       "\t\t.read_only_paths = %s,\n\t\t.create_only_paths = %s,\n"
                       "\t\t.secret_paths = %s,\n\t\t.server_defaults = %s,\n\t},\n" % (
                           c_string(type_), c_string(version), c_string(file),
                           "true" if "tags" in top else "false",
                           "true" if listable else "false",
                           c_paths(w.read_only), c_paths(w.create_only),
                           c_paths(w.secret), c_defaults(w.defaults)))
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("/*\n * arm_specs.c - generated by providers/kinds/specs/generate.py from the\n"
                " * REST specs in providers/kinds/specs/ (SOURCES.md). Do not edit.\n */\n"
                "#include \"arm_specs.h\"\n\n"
                "#define PATHS(...) ((const char *const[]){__VA_ARGS__, NULL})\n"
                "#define DEFAULTS(...) ((const az_server_default[]){__VA_ARGS__, {NULL, NULL}})\n\n"
                "const az_arm_spec az_arm_specs[] = {\n")
        f.write("".join(entries))
        f.write("};\n\nconst size_t az_arm_specs_count = sizeof(az_arm_specs) / "
                "sizeof(az_arm_specs[0]);\n")


if __name__ == "__main__":
    main()
