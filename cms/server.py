"""How Jamtail runs the CMS as an HTTP server: gunicorn, one worker per CPU.

The builder reads the API with several requests in parallel (see
``jamtail/content/gather.py``); Django's ``runserver`` answers them one at a time on a
single core, gunicorn's workers answer them on all cores. The demo, the tests
and the benchmarks all start the CMS with :func:`server_command`.
"""

from __future__ import annotations

import os
import sys

# Creating renditions on a fresh site may keep one API request busy for a while.
REQUEST_TIMEOUT_SECONDS = 300


def server_command(host: str = "127.0.0.1", port: int = 8000) -> list[str]:
    """The command line serving ``cms.wsgi`` on ``host:port`` with gunicorn."""
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "cms.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(max(2, workers)),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--timeout",
        str(REQUEST_TIMEOUT_SECONDS),
        "--graceful-timeout",
        "5",
    ]
