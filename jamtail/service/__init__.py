"""The build service: signed build hooks in, builds of many sites out, on a Huey task queue.

    receiver.py  the hook endpoint (WSGI under waitress): checks, then queues a hook
    queue.py     the broker: Huey (SQLite or Redis, ``JAMTAIL_QUEUE_URL``) and the
                 per-site ledger (inbox, lease, state) that makes builds durable
    worker.py    the task: one site at a time per lease, coalescing, retries, the sweep
    build.py     one build of one site: ``jamtail build`` as a process, reported to the CMS
    launch.py    the fork server that starts those processes with the pipeline imported
    sites.py     the sites built (one by default, several from ``JAMTAIL_SITES_FILE``)
    commands.py  ``jamtail runner`` / ``receiver`` / ``worker``

What it may import: the standard library, huey, redis, requests, waitress, and
from ``jamtail`` only ``webhooks``, ``jsonlimits``, ``report``,
``exceptions`` and ``settings`` (its configuration, read once from the
environment). It never imports the build itself (it runs ``jamtail build``
as a process; ``launch`` names the modules its fork server preloads), Django,
or ``functions/``; nothing in ``jamtail`` imports it but ``cli``.
"""
