"""Articles as the editor writes them: found, read, checked (SPEC §5).

    scan.py         what is under content/
    articles.py     one article: source, front matter, slug
    frontmatter.py  the YAML front matter, checked into a frozen FrontMatter
    slugs.py        ASCII slugs from any script
    links.py        every URL of an article's HTML rewritten or refused
    markdown.py     markdown to HTML (Python-Markdown)
"""
