"""One thin module per command: load what it needs, call the library, return a result.

The CLI (mirrorpub/cli/) parses arguments, calls these, and prints what they return; these
never print. A script or a test can call them the same way.
"""
