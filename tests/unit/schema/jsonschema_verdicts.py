#!/usr/bin/python3
"""Prints python3-jsonschema's verdicts for the schema corpus, the reference
the C validator is compared with (test_schema_corpus.c).

Usage: jsonschema_verdicts.py CORPUS_DIR [SCHEMA_DIR [SAMPLES_DIR]]

For every CORPUS_DIR/*.json ({"schema": ..., "instances": [...]}) prints one
line per instance: "<file> <index> valid|invalid". For every
SCHEMA_DIR/*.schema.json prints "check_schema <file> ok" or the first
meta-schema error. For every SAMPLES_DIR/<name>.json ({"valid": [docs],
"invalid": [{"doc": ...}]}) prints "sample <name> valid|invalid <index>
valid|invalid", checked against SCHEMA_DIR/<name>.schema.json. Exits 2 when
jsonschema is missing.
"""
import json
import os
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    print("error: python3 has no jsonschema module; install it with: "
          "apt-get install python3-jsonschema", file=sys.stderr)
    sys.exit(2)


def main():
    corpus = sys.argv[1]
    for name in sorted(os.listdir(corpus)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(corpus, name), encoding="utf-8") as f:
            doc = json.load(f)
        Draft202012Validator.check_schema(doc["schema"])
        validator = Draft202012Validator(doc["schema"])
        for i, instance in enumerate(doc["instances"]):
            verdict = "valid" if validator.is_valid(instance) else "invalid"
            print(f"{name} {i} {verdict}")
    if len(sys.argv) > 2:
        schemas = sys.argv[2]
        for name in sorted(os.listdir(schemas)):
            if not name.endswith(".schema.json"):
                continue
            with open(os.path.join(schemas, name), encoding="utf-8") as f:
                doc = json.load(f)
            try:
                Draft202012Validator.check_schema(doc)
                print(f"check_schema {name} ok")
            except jsonschema.exceptions.SchemaError as e:
                where = "/".join(str(p) for p in e.absolute_path)
                print(f"check_schema {name} error at /{where}: {e.message}"[:300])

    if len(sys.argv) > 3:
        samples = sys.argv[3]
        for name in sorted(os.listdir(samples)):
            if not name.endswith(".json"):
                continue
            base = name[:-len(".json")]
            with open(os.path.join(schemas, base + ".schema.json"), encoding="utf-8") as f:
                validator = Draft202012Validator(json.load(f))
            with open(os.path.join(samples, name), encoding="utf-8") as f:
                doc = json.load(f)
            for group in ("valid", "invalid"):
                for i, item in enumerate(doc[group]):
                    instance = item if group == "valid" else item["doc"]
                    verdict = "valid" if validator.is_valid(instance) else "invalid"
                    print(f"sample {base} {group} {i} {verdict}")


if __name__ == "__main__":
    main()
