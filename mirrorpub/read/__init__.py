"""The reader's side: reach a copy as a reader would, and check it.

    fetch.py    read a copy over http(s), file:// or a folder, bounded
    verify.py   `mirrorpub verify`: genuine, fresh, complete?
    seen.py     the versions this reader has verified (rollback)
    status.py   `mirrorpub status`: every mirror of this site, as readers find it
"""
