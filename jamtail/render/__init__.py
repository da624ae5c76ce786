"""Render: planned outputs into HTML.

    renderer   the Jinja2 environment over ``site/templates`` and its filters
    highlight  Pygments at build time, cached between builds
    assets     ``site/static`` copied with content-hashed names
    parallel   rendering on every core, forked workers writing through the writer
    links      a rendered page's outgoing links and fragment ids, read from its HTML

May import: ``plan``, ``write``, ``content`` and the top-level modules.
"""
