"""Jamtail: a static-site generator that reads a Wagtail CMS over its HTTP API.

The build is a straight line of stages, each in its own module:

    client   -> gather  -> media    -> plan    -> render  -> writer
    (HTTP)      (pages,    (localise    (which     (Jinja2)   (staging dir,
                 authors,   image URLs)  outputs)              atomic swap)
                 settings)

plus ``outputs/`` (sitemap, feeds, robots.txt, _redirects), ``assets``
(fingerprinted static files), ``serve`` (a CDN-like local server) and ``cli``.
"""

__version__ = "0.1.0"
