"""The answers of a `make fuzz` run (schemathesis' HAR file), counted by status; exits 1 on
any 5xx, or on a /query/ error that is not JSON `{"error"[, "param"]}` (the composite pages
may answer a browser HTML; the fuzzer sends Accept: */*, which gets JSON errors). A 400
must name its parameter (`param`)."""

from __future__ import annotations

import collections
import json
import sys
from typing import Any
from urllib.parse import urlsplit


def problem(entry: dict[str, Any]) -> str | None:
    """What is wrong with one answer, or None."""
    status = entry["response"]["status"]
    if status >= 500:
        return f"{status}"
    path = urlsplit(entry["request"]["url"]).path
    if status < 400 or not path.startswith(("/query/", "/dump/")):
        return None
    content = entry["response"].get("content", {})
    if entry["request"]["method"] == "HEAD":
        return None  # no body by definition
    if not content.get("mimeType", "").startswith("application/json"):
        return f"{status} not JSON ({content.get('mimeType')})"
    try:
        body = json.loads(content.get("text") or "")
    except ValueError:
        return f"{status} JSON that does not parse"
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return f"{status} without error"
    if status == 400 and not isinstance(body.get("param"), str):
        return f"400 without param: {body['error'][:80]}"
    return None


def main(har_path: str) -> int:
    with open(har_path, encoding="utf-8") as handle:
        entries = json.load(handle)["log"]["entries"]
    by_status = collections.Counter(e["response"]["status"] for e in entries)
    problems = collections.Counter()
    examples: dict[str, str] = {}
    for entry in entries:
        found = problem(entry)
        if found:
            key = f"{entry['request']['method']} {urlsplit(entry['request']['url']).path}: {found}"
            problems[key] += 1
            examples.setdefault(key, entry["request"]["url"])
    print(f"fuzz cases sent: {len(entries)}")
    print("by status:", ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items())))
    for key, count in problems.most_common():
        print(f"PROBLEM {count}x {key}\n    e.g. {examples[key][:300]}")
    print("fuzz report:", "ok" if not problems else f"{sum(problems.values())} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
