"""The ``jamtail`` command: ``build``, ``serve``, ``deploy`` and ``rollback``.

Errors the user can fix (``JamtailError``) print as one line on stderr and
exit 1; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .build import BuildConfig, build
from .client import DEFAULT_API_URL
from .exceptions import JamtailError
from .parallel import default_jobs
from .progress import ProgressBar
from .serve import make_server


def _build(args: argparse.Namespace) -> int:
    config = BuildConfig(
        api_url=args.api,
        out_dir=Path(args.out),
        site_dir=Path(args.site),
        cache_dir=Path(args.cache),
        jobs=args.jobs or default_jobs(),
        full=args.full,
    )
    bar = ProgressBar()
    try:
        result = build(config, progress=bar)
    finally:
        bar.close()
    if args.explain:
        print("\n".join(result.explanation()) or "nothing changed: every output was reused")
    print(result.summary())
    if args.timings:
        print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
    return 0


def _serve(args: argparse.Namespace) -> int:
    site_dir = Path(args.dir)
    if not (site_dir / "index.html").exists():
        raise JamtailError(f"{site_dir} has no index.html: run `jamtail build` first")
    from functions import comments, preview, search

    from .search import INDEX_PATH

    routes = {
        "/preview/": preview.make_handler(args.api, Path(args.site)),
        "/api/search": search.make_handler(
            Path(os.environ.get("JAMTAIL_SEARCH_INDEX") or site_dir / INDEX_PATH), Path(args.site)
        ),
        "/api/comments": comments.make_handler(
            comments.Config.from_env({**os.environ, "JAMTAIL_API_URL": args.api})
        ),
    }
    server = make_server(site_dir, args.host, args.port, routes)
    port = server.server_address[1]
    print(f"Serving {site_dir} at http://{args.host}:{port}/ (Ctrl-C to stop)", flush=True)
    print(f"Draft previews at http://{args.host}:{port}/preview/ from {args.api}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _deploy(args: argparse.Namespace) -> int:
    from .deploy import SiteFiles, get_backend

    backend = get_backend(args.target)
    site = SiteFiles(Path(args.dir))
    plan = backend.plan(site, force_delete=args.force_delete)
    if args.dry_run:
        print("\n".join(plan.lines()))
        print(plan.summary())
        return 0
    print(backend.deploy(site, plan).summary())
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from .deploy import get_backend

    release = get_backend(args.target).rollback(args.to)
    print(f"Rolled back {args.target}: {release} is live")
    return 0


def _runner(args: argparse.Namespace) -> int:
    from .runner import run

    subcommands = next(a for a in parser()._actions if a.dest == "command").choices or {}
    return run(args, has_deploy="deploy" in subcommands)


def parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test)."""
    p = argparse.ArgumentParser(prog="jamtail", description="Static sites from a Wagtail CMS.")
    p.add_argument("--version", action="version", version=f"jamtail {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log each stage")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the site from the CMS API")
    b.add_argument(
        "--api",
        default=os.environ.get("JAMTAIL_API_URL", DEFAULT_API_URL),
        help="CMS API root (env JAMTAIL_API_URL; default %(default)s)",
    )
    b.add_argument(
        "--out",
        default=os.environ.get("JAMTAIL_BUILD_DIR", "build"),
        help="output directory, replaced atomically (default %(default)s)",
    )
    b.add_argument(
        "--site",
        default=os.environ.get("JAMTAIL_SITE_DIR", "site"),
        help="directory with templates/ and static/ (default %(default)s)",
    )
    b.add_argument(
        "--cache",
        default=os.environ.get("JAMTAIL_CACHE_DIR", ".jamtail-cache"),
        help="download cache kept between builds (default %(default)s)",
    )
    b.add_argument(
        "--jobs", "-j", type=int, default=0, help="rendering processes (default: one per CPU)"
    )
    b.add_argument("--timings", action="store_true", help="print seconds per stage")
    b.add_argument(
        "--explain", action="store_true", help="print why each file was rebuilt or removed"
    )
    b.add_argument(
        "--full", action="store_true", help="ignore the dependency graph; rebuild everything"
    )
    b.set_defaults(func=_build)

    s = sub.add_parser("serve", help="serve a built site like a CDN")
    s.add_argument("--dir", default=os.environ.get("JAMTAIL_BUILD_DIR", "build"))
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument(
        "--api",
        default=os.environ.get("JAMTAIL_API_URL", DEFAULT_API_URL),
        help="CMS API root that /preview/ reads drafts from (env JAMTAIL_API_URL)",
    )
    s.add_argument(
        "--site",
        default=os.environ.get("JAMTAIL_SITE_DIR", "site"),
        help="templates/ and static/ for /preview/ and /api/search (default %(default)s)",
    )
    s.set_defaults(func=_serve)

    targets = ["local", "netlify", "s3"]
    d = sub.add_parser("deploy", help="upload a built site to a deploy target")
    d.add_argument(
        "--target",
        default=os.environ.get("JAMTAIL_DEPLOY_TARGET", "local"),
        choices=targets,
        help="where to deploy (env JAMTAIL_DEPLOY_TARGET; default %(default)s)",
    )
    d.add_argument("--dir", default=os.environ.get("JAMTAIL_BUILD_DIR", "build"))
    d.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    d.add_argument(
        "--force-delete", action="store_true", help="allow deletions above the safety cap"
    )
    d.set_defaults(func=_deploy)

    r = sub.add_parser("rollback", help="make the previous deploy live again")
    r.add_argument(
        "--target", default=os.environ.get("JAMTAIL_DEPLOY_TARGET", "local"), choices=targets
    )
    r.add_argument("--to", default=None, help="release or deploy id (default: the previous one)")
    r.set_defaults(func=_rollback)

    rn = sub.add_parser("runner", help="receive signed build hooks; build and deploy locally")
    rn.add_argument("--host", default="127.0.0.1")
    rn.add_argument("--port", type=int, default=8090)
    rn.add_argument(
        "--api",
        default=os.environ.get("JAMTAIL_API_URL", DEFAULT_API_URL),
        help="CMS API root: built from and reported to (env JAMTAIL_API_URL)",
    )
    rn.add_argument("--out", default=None, help="build directory (default: as jamtail build)")
    rn.add_argument(
        "--state-dir",
        default=os.environ.get("JAMTAIL_RUNNER_STATE_DIR", ".jamtail-runner"),
        help="where the hook queue and last log are kept (default %(default)s)",
    )
    rn.add_argument("--no-deploy", action="store_true", help="build only, never deploy")
    rn.set_defaults(func=_runner)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``jamtail`` console script; returns the exit code."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except JamtailError as exc:
        print(f"jamtail {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
