"""Jamtail: a static-site generator that reads a Wagtail CMS over its HTTP API.

The packages are the pipeline's stages, top to bottom; a package imports only
the ones below it (``tests/test_layers.py`` checks it with import-linter):

    cli        the ``jamtail`` command
    service    the build service: hook receiver, queue, workers
    build      the stages in order (pipeline), patch builds, Next.js, one-page preview
    deploy     local / Netlify / S3 + CloudFront backends    links    the link check
    outputs    sitemap, feeds, robots.txt, _redirects, _headers, search index
    search     the full-text index and its queries
    render     Jinja2, highlighting, fingerprinted assets, the parallel renderer
    plan       which outputs, the dependency graph, what to rebuild
    write      the staging directory, the atomic swap, the manifest
    content    the CMS client, the sync and its cache, lazy bodies, media URLs

and, under them all, modules every stage may use: ``report`` (the typed build
report), ``webhooks``, ``rules`` (``_redirects``/``_headers``), ``security``,
``jsonlimits``, ``progress``; below those ``settings`` (every environment
variable, read once at an entry point and passed down) and ``retry`` (the one
retry policy for HTTP calls); and ``exceptions`` at the bottom. Nothing here imports ``functions/``:
the serverless functions import Jamtail, and the dev server that serves both
(``functions/devserver.py``) composes them from outside.
"""

__version__ = "0.1.0"
