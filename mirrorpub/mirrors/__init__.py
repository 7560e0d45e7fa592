"""The copies: one backend per kind, behind one small seam.

    protocol.py    the seam: Backend, Mirror, Outcome, Progress
    registry.py    the backends, found through the `mirrorpub.mirrors` entry point
    plan.py        the pure planner of object stores
    objectstore.py an object store (list, put, delete) as a mirror
    remoteindex.py the index object kept beside an object-store copy
    s3/            S3-compatible buckets
    ipfs/          IPFS, through the Kubo RPC API
    directory.py   a folder (a USB stick)
"""
