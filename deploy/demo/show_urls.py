"""Print the copies a reader can open, from a published mirrors.json."""

import json
import sys

manifest = json.load(open(sys.argv[1], encoding="utf-8"))
print(f"Published version {manifest['version']} of {manifest['site']['title']!r}. Open any copy:")
for mirror in manifest["mirrors"]:
    if mirror["status"] != "active":
        print(f"  {mirror['name']:<14} {mirror['status'].upper()}")
        continue
    if "url" not in mirror:  # a folder copy without public_url: never a local path
        print(f"  {mirror['name']:<14} ({mirror['type']} copy, no public address)")
        continue
    print(f"  {mirror['name']:<14} {mirror['url']}")
    for url in mirror.get("gateway_urls", [])[1:]:
        print(f"  {'':<14} {url}")
