"""mirrors.json is written by a quick encoder for its list of files; the bytes must be
json.dumps(indent=2)'s exactly, or every copy's signature and IPFS address would move."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from mirrorpub.trust.manifest import encode

entry = st.fixed_dictionaries({"sha256": st.text(max_size=64), "size": st.integers()})
odd_entry = st.one_of(entry, st.fixed_dictionaries({"size": st.integers(), "sha256": st.text()}),
                      st.fixed_dictionaries({"sha256": st.text(), "size": st.booleans()}),
                      st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(head=st.dictionaries(st.text(max_size=6).filter(lambda k: k != "files"),
                            st.one_of(scalars, st.lists(scalars, max_size=3)), max_size=4),
       files=st.one_of(st.dictionaries(st.text(), entry, max_size=8),
                       st.dictionaries(st.text(), odd_entry, max_size=4)),
       files_last=st.booleans())
def test_manifests_are_encoded_as_json_dumps_would(head: dict, files: dict,
                                                   files_last: bool) -> None:
    document = {**head, "files": files} if files_last else {"files": files, **head}
    assert encode(document) == (json.dumps(document, indent=2, ensure_ascii=False)
                                + "\n").encode("utf-8")
