"""What makes a copy checkable: the manifest documents, their signatures, their schemas.

    manifest.py   mirrors.json, its parts, bc2.json, mirrors.html: the files that differ
                  per copy
    keys.py       keys.json: the signing keys an offline root key delegates or revokes
    signing.py    Ed25519 keys, signatures, fingerprints
    schema.py     the shipped JSON Schemas and a small checker for them
"""
