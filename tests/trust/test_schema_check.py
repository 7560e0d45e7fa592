"""verify's own JSON Schema checker agrees with the jsonschema library on the shipped schema.

Readers need not install jsonschema, so verify carries a small checker; here it is held
to the reference implementation on real and mutated manifests.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirrorpub.trust.schema import manifest_schema as schema
from mirrorpub.trust.schema import schema_errors

GOOD: dict[str, Any] = {
    "schema": "mirrorpub.manifest/1",
    "site": {"title": "Kloop — mirror", "language": "ru"},
    "version": 17,
    "published_at": "2026-11-28T10:00:00Z",
    "expires_at": "2026-12-28T10:00:00Z",
    "mirrors": [
        {"name": "aws-frankfurt", "type": "s3", "status": "active",
         "url": "https://s3.eu-central-1.amazonaws.com/news/index.html",
         "updated_at": "2026-11-28T10:00:00Z"},
        {"name": "ipfs", "type": "ipfs", "status": "active",
         "cid": "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
         "ipns": "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8",
         "url": "https://ipfs.io/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/index.html",
         "gateway_urls": ["https://ipfs.io/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/index.html"]},
        {"name": "usb", "type": "directory", "status": "retired", "url": "file:///media/usb/index.html"},
    ],
    "files": {"index.html": {"sha256": "a" * 64, "size": 5120},
              "articles/x.html": {"sha256": "b" * 64, "size": 0}},
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2, allow_nan=False)
    | st.sampled_from(["", "x", "ipfs", "active", "a" * 64, "2026-01-01T00:00:00Z",
                       "https://x.org/", "mirrors.json", "../up", "bafy" + "a" * 30,
                       "usb\n", "https://x.org/\n", "a" * 64 + "\n", "s3\r", "x\x1b[2J"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "type", "status", "url", "cid", "sha256", "size", "x"]),
        inner, max_size=3),
    max_leaves=6)


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out += paths(value, (*prefix, index))
    return out


def mutate(doc: Any, path: tuple, action: str, value: Any, new_key: str) -> Any:
    doc = copy.deepcopy(doc)
    if not path:
        return value if action == "set" else doc
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "set":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent[last], dict):
        parent[last][new_key] = value
    return doc


def reference_valid(doc: Any) -> bool:
    return jsonschema.Draft202012Validator(schema()).is_valid(doc)


def test_the_good_manifest_passes_both():
    assert reference_valid(GOOD)
    assert schema_errors(GOOD, schema()) == []


def test_a_copy_without_an_address_is_listed_by_name_and_type_only():
    """A folder copy without public_url has no URL to give (SPEC §10); an old manifest,
    whose every copy has one, still passes."""
    doc = copy.deepcopy(GOOD)
    doc["mirrors"][2].pop("url")
    assert reference_valid(doc)
    assert schema_errors(doc, schema()) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.update(version="7"), "mirrors.json.version: expected integer"),
    (lambda d: d.pop("files"), "mirrors.json: missing 'files'"),
    (lambda d: d["files"].update({"mirrors.json": {"sha256": "a" * 64, "size": 1}}),
     "key 'mirrors.json'"),
    (lambda d: d["mirrors"][0].update(url="javascript:alert(1)"), "mirrors.json.mirrors[0].url"),
    (lambda d: d["mirrors"][1].pop("gateway_urls"), "mirrors[1]: missing 'gateway_urls'"),
    (lambda d: d.update(extra=1), "unexpected key 'extra'"),
    (lambda d: d["mirrors"][2].update(status="gone"), "mirrors[2].status: expected one of"),
])
def test_each_kind_of_problem_is_named_where_it_is(change: Any, expected: str):
    doc = copy.deepcopy(GOOD)
    change(doc)
    errors = schema_errors(doc, schema())
    assert not reference_valid(doc)
    assert any(expected in e for e in errors), errors


@pytest.mark.parametrize("where", [
    ("site", "title"), ("site", "language"), ("mirrors", 0, "name"), ("mirrors", 0, "type"),
    ("mirrors", 0, "url"), ("mirrors", 1, "cid"), ("mirrors", 1, "ipns"),
    ("mirrors", 1, "gateway_urls", 0), ("mirrors", 0, "updated_at"), ("published_at",),
    ("files", "index.html", "sha256"),
])
def test_no_field_may_end_in_a_line_break(where: tuple[Any, ...]):
    """Python's `$` matches before a final newline; neither checker may let one through."""
    doc = copy.deepcopy(GOOD)
    parent = doc
    for part in where[:-1]:
        parent = parent[part]
    parent[where[-1]] += "\n"
    assert schema_errors(doc, schema()) != []
    assert not reference_valid(doc)


def test_no_file_name_may_end_in_a_line_break():
    doc = copy.deepcopy(GOOD)
    doc["files"]["index.html\n"] = doc["files"].pop("index.html")
    assert schema_errors(doc, schema()) != [] and not reference_valid(doc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_agrees_with_jsonschema_on_mutated_manifests(data: st.DataObject):
    doc = GOOD
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths(doc)))
        action = data.draw(st.sampled_from(["set", "delete", "add"]))
        value = data.draw(json_values)
        new_key = data.draw(st.sampled_from(["extra", "url", "../x", "a.html", "name"]))
        doc = mutate(doc, path, action, value, new_key)
    assert (schema_errors(doc, schema()) == []) == reference_valid(doc), doc
