"""Articles as the editor writes them: found, read, checked (SPEC §5).

    scan.py         what is under content/
    articles.py     one article: source, front matter, slug
    frontmatter.py  the YAML front matter, checked into a frozen FrontMatter
    slugs.py        ASCII slugs from any script
    links.py        every URL of an article's HTML rewritten or refused
    urlpolicy.py    what a URL may be where it stands (links.py and sanitize.py apply it)
    sanitize.py     the body as a browser builds it, allowlisted elements and attributes only
    markdown.py     markdown to HTML (Python-Markdown)
"""
