#!/usr/bin/env python3
"""Checks real responses of the JSON API against docs/api/openapi.json.

Usage: check_openapi.py OPENAPI.json EXCHANGES.json [--partial | --cover PREFIX...]
EXCHANGES is a list of {"method", "path" (the template, e.g. /api/v1/quarantine/{id}), "status",
"body"}. Each body must match the schema the document gives for that operation and status (no
field more or less: the schemas say additionalProperties false). Prints every mismatch and every
documented operation never exercised (unless --partial; with --cover, only the operations whose
path starts with one of the prefixes); exits 1 if there is any.
"""
import json
import sys

import jsonschema


def main():
    doc = json.load(open(sys.argv[1], encoding="utf-8"))
    exchanges = json.load(open(sys.argv[2], encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
    problems = []
    seen = set()
    for ex in exchanges:
        where = f'{ex["method"].upper()} {ex["path"]} -> {ex["status"]}'
        operation = doc["paths"].get(ex["path"], {}).get(ex["method"].lower())
        if operation is None:
            problems.append(f"{where}: not in the document")
            continue
        seen.add((ex["path"], ex["method"].lower()))
        response = operation["responses"].get(str(ex["status"]))
        if response is None:
            problems.append(f"{where}: status not documented")
            continue
        content = response.get("content", {})
        if "application/json" not in content:
            continue  # text (the metrics), checked by promtool instead
        schema = dict(content["application/json"]["schema"])
        schema["components"] = doc["components"]  # so that "#/components/..." resolves
        validator = jsonschema.Draft202012Validator(schema)
        for error in validator.iter_errors(ex["body"]):
            problems.append(f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
    options = sys.argv[3:]
    partial = "--partial" in options
    cover = [options[i + 1] for i, o in enumerate(options) if o == "--cover" and i + 1 < len(options)]
    for path, methods in ({} if partial else doc["paths"]).items():
        if cover and not any(path.startswith(prefix) for prefix in cover):
            continue
        for method in methods:
            if (path, method) not in seen:
                problems.append(f"{method.upper()} {path}: documented but never exercised")
    for p in problems:
        print(p)
    print(f"{len(exchanges)} responses checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
