"""Trigger a build by hand, from cron or from CI.

    python scripts/trigger_build.py [--hook URL ...] [--message TEXT]
    python scripts/trigger_build.py --local [--no-deploy]

Without ``--local``: POST a signed payload (see ``jamtail/webhooks.py``) to
each ``--hook`` or, by default, to every URL in ``$JAMTAIL_BUILD_HOOKS``,
signed with ``$JAMTAIL_WEBHOOK_SECRET``, retrying timeouts and 5xx
(``$JAMTAIL_WEBHOOK_MAX_ATTEMPTS``, default 5). With ``--local``: run
``jamtail build`` and then ``jamtail deploy`` here, with the front end
``$JAMTAIL_FRONTEND`` names (``jinja`` or ``next``, see docs/nextjs.md).

Exit status: 0 every hook accepted (or the local build and deploy succeeded);
1 a hook refused or could not be reached, or the build or deploy failed;
2 a configuration error (no hook, no secret).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jamtail import webhooks  # noqa: E402


def payload(message: str) -> dict:
    return {
        "trigger": "manual",
        "events": ["manual"],
        "page_ids": [],
        "paths": [],
        "request_ids": [str(uuid.uuid4())],
        "time": datetime.now(UTC).isoformat(),
        "message": message,
    }


def post_hooks(hooks: list[str], message: str, attempts: int) -> int:
    secret = os.environ.get("JAMTAIL_WEBHOOK_SECRET", "")
    if not secret:
        print("trigger_build: error: set JAMTAIL_WEBHOOK_SECRET to sign the hook", file=sys.stderr)
        return 2
    status = 0
    for url in hooks:
        delivery = webhooks.deliver(
            url, payload(message), secret, max_attempts=attempts, title=message
        )
        if delivery.ok:
            print(f"{url}: accepted (attempt {len(delivery.attempts)})")
        else:
            print(f"trigger_build: {url}: {delivery.reason}", file=sys.stderr)
            status = 1
    return status


def build_locally(deploy: bool) -> int:
    jamtail = [sys.executable, "-m", "jamtail.cli"]
    steps = [[*jamtail, "build"]]
    if deploy:
        steps.append([*jamtail, "deploy"])
    for step in steps:
        print("$ jamtail " + " ".join(step[3:]), flush=True)
        result = subprocess.run(step, cwd=os.getcwd())
        if result.returncode != 0:
            print(f"trigger_build: jamtail {step[3]} failed", file=sys.stderr)
            return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--hook", action="append", help="hook URL (repeatable)")
    parser.add_argument(
        "--message", default=f"manual build from {socket.gethostname()}", help="trigger title"
    )
    parser.add_argument("--local", action="store_true", help="build (and deploy) here")
    parser.add_argument("--no-deploy", action="store_true", help="with --local: build only")
    args = parser.parse_args(argv)
    if args.local:
        return build_locally(deploy=not args.no_deploy)
    hooks = args.hook or [
        h.strip() for h in os.environ.get("JAMTAIL_BUILD_HOOKS", "").split(",") if h.strip()
    ]
    if not hooks:
        print(
            "trigger_build: error: no build hook: pass --hook URL or set JAMTAIL_BUILD_HOOKS",
            file=sys.stderr,
        )
        return 2
    attempts = int(os.environ.get("JAMTAIL_WEBHOOK_MAX_ATTEMPTS", "5"))
    return post_hooks(hooks, args.message, attempts)


if __name__ == "__main__":
    sys.exit(main())
