"""Bring an existing archive into content/ (SPEC §13): WordPress exports, Hugo and Jekyll
sites become mirrorpub articles and the files beside them.

    read the source (streamed) -> plan every article's path and slug (unique, stable)
    -> convert each body to markdown, collecting its files and report notes
    -> stage every output beside content/ -> only then move it into place (writer.py)

Nothing is written when the source is malformed or hostile; importing the same source
again gives byte-identical files, and a file that would change is left alone (and listed)
unless forced. This layer may use content/ (slugs, front matter checks), never the site,
publish or CLI layers.
"""
