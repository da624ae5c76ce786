"""Content: everything the build reads from the CMS, as plain data.

    client   HTTP to the CMS API (Wagtail API v2 and Jamtail's endpoints)
    sync     the sync API into the content cache: what changed since the cursor
    cache    the content cache (SQLite): one row per page, author, redirect, settings
    lazy     page dicts whose bodies load from the cache on first use
    gather   pages, authors and settings read (or assembled) as :class:`Content`
    media    media URLs made local to the built site

May import: the modules at ``jamtail/``'s top (exceptions, report...); no stage.
"""
