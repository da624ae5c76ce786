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
from .exceptions import JamtailError

# jamtail.client.DEFAULT_API_URL (tests/test_deploy.py checks they agree): importing
# the client loads requests, which `jamtail deploy` and `--help` do not need.
DEFAULT_API_URL = "http://127.0.0.1:8000/api/v2/"

# Each command imports what it needs when it runs: a deploy never loads the
# renderer, the CMS client or tqdm, so it starts in a fraction of the time.

#: Exit status of ``jamtail build --deploy`` when the build succeeded but the
#: deploy failed (a failed build exits 1, as every command's error does).
DEPLOY_FAILED = 3


def _build(args: argparse.Namespace) -> int:
    from .build import BuildConfig, build
    from .parallel import default_jobs
    from .progress import ProgressBar

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
    if args.timings or args.explain:
        kind = "a patch build" if result.patched else "an incremental build"
        why = f" ({result.why_not_patch})" if result.why_not_patch else ""
        print(f"  {kind}{why}" if not config.full else "  a full build")
    if args.timings:
        print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
    _print_broken_links(result.broken_links, result.new_broken_links)
    if args.deploy:
        sys.stdout.flush()  # the build's lines come before anything the deploy says
        try:
            _deploy_dir(
                args.deploy,
                config.out_dir,
                args.force_delete,
                dry_run=False,
                allow_broken_links=args.allow_broken_links,
            )
        except JamtailError as exc:
            print(
                f"jamtail build: built, but the deploy to {args.deploy} failed: {exc}",
                file=sys.stderr,
            )
            return DEPLOY_FAILED
    return 0


def _serve(args: argparse.Namespace) -> int:
    site_dir = Path(args.dir)
    if not (site_dir / "index.html").exists():
        raise JamtailError(f"{site_dir} has no index.html: run `jamtail build` first")
    from functions import comments, preview, search

    from .search import INDEX_PATH
    from .serve import make_server

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


def _print_broken_links(broken: list, new: list) -> None:
    """Say how many internal links are broken and name the new ones."""
    if not broken:
        return
    print(
        f"  {len(broken)} broken internal link{'s' if len(broken) != 1 else ''}"
        f" ({len(new)} new since the last build)"
    )
    for link in new:
        print(f"    new: {link}")


def _deploy(args: argparse.Namespace) -> int:
    _deploy_dir(
        args.target, Path(args.dir), args.force_delete, args.dry_run, args.allow_broken_links
    )
    return 0


def _deploy_dir(
    target: str,
    site_dir: Path,
    force_delete: bool,
    dry_run: bool,
    allow_broken_links: bool = False,
) -> None:
    """Plan and (unless ``dry_run``) deploy ``site_dir`` to ``target``; print the summary.

    Raises :class:`JamtailError` (a :class:`~jamtail.deploy.DeployError` or
    configuration error) when the deploy cannot be made, and
    :class:`~jamtail.exceptions.BrokenLinksError` before anything changes
    when the site has broken internal links the live one has not (unless
    ``allow_broken_links``; a dry run only notes them).
    """
    from .deploy import SiteFiles, get_backend
    from .links.gate import new_broken_links, refuse_new_broken_links

    backend = get_backend(target)
    site = SiteFiles(site_dir)
    live = backend.live_broken_links()
    plan = backend.plan(site, force_delete=force_delete)
    if dry_run:
        for link in new_broken_links(site.manifest, live):
            plan.notes.append(f"new broken link (a deploy would be refused): {link}")
        print("\n".join(plan.lines()))
        print(plan.summary())
        return
    if not allow_broken_links:
        refuse_new_broken_links(site.manifest, live, target)
    print(backend.deploy(site, plan).summary())


def _rollback(args: argparse.Namespace) -> int:
    from .deploy import get_backend

    release = get_backend(args.target).rollback(args.to)
    print(f"Rolled back {args.target}: {release} is live")
    return 0


def _runner(args: argparse.Namespace) -> int:
    from .runner import run

    subcommands = next(a for a in parser()._actions if a.dest == "command").choices or {}
    return run(args, has_deploy="deploy" in subcommands)


TARGETS = ["local", "netlify", "s3"]


def _api_option(p: argparse.ArgumentParser, purpose: str) -> None:
    p.add_argument(
        "--api",
        default=os.environ.get("JAMTAIL_API_URL", DEFAULT_API_URL),
        help=f"{purpose} (env JAMTAIL_API_URL; default %(default)s)",
    )


def _site_option(p: argparse.ArgumentParser, purpose: str) -> None:
    p.add_argument(
        "--site",
        default=os.environ.get("JAMTAIL_SITE_DIR", "site"),
        help=f"{purpose} (env JAMTAIL_SITE_DIR; default %(default)s)",
    )


def _build_dir_option(p: argparse.ArgumentParser, flag: str, purpose: str) -> None:
    p.add_argument(
        flag,
        default=os.environ.get("JAMTAIL_BUILD_DIR", "build"),
        help=f"{purpose} (env JAMTAIL_BUILD_DIR; default %(default)s)",
    )


def _target_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--target",
        default=os.environ.get("JAMTAIL_DEPLOY_TARGET", "local"),
        choices=TARGETS,
        help="deploy target (env JAMTAIL_DEPLOY_TARGET; default %(default)s)",
    )


def _force_delete_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force-delete", action="store_true", help="allow deletions above the safety cap"
    )


def _allow_broken_links_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-broken-links",
        action="store_true",
        default=os.environ.get("JAMTAIL_ALLOW_BROKEN_LINKS", "").lower()
        not in ("", "0", "false", "no"),
        help="deploy even when the build has broken internal links the live site has not"
        " (env JAMTAIL_ALLOW_BROKEN_LINKS=1)",
    )


def _address_options(p: argparse.ArgumentParser, port: int) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument(
        "--port", type=int, default=port, help="0 picks a free port (default %(default)s)"
    )


def parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test)."""
    p = argparse.ArgumentParser(prog="jamtail", description="Static sites from a Wagtail CMS.")
    p.add_argument("--version", action="version", version=f"jamtail {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log each stage")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the site from the CMS API")
    _api_option(b, "CMS API root")
    _build_dir_option(b, "--out", "output directory, replaced atomically")
    _site_option(b, "directory with templates/ and static/")
    b.add_argument(
        "--cache",
        default=os.environ.get("JAMTAIL_CACHE_DIR", ".jamtail-cache"),
        help="content, media and dependency caches kept between builds (default %(default)s)",
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
    b.add_argument(
        "--deploy",
        nargs="?",
        const=os.environ.get("JAMTAIL_DEPLOY_TARGET", "local"),
        choices=TARGETS,
        metavar="TARGET",
        help="then deploy the build in the same process, as `jamtail deploy --target TARGET`"
        " (default target: env JAMTAIL_DEPLOY_TARGET, else local); exit status 3 when"
        " only the deploy failed (a deploy refused for new broken links included)",
    )
    _force_delete_option(b)
    _allow_broken_links_option(b)
    b.set_defaults(func=_build)

    s = sub.add_parser("serve", help="serve a built site like a CDN, with the functions")
    _build_dir_option(s, "--dir", "the built site to serve")
    _address_options(s, 8080)
    _api_option(s, "CMS API root for /preview/ and /api/comments")
    _site_option(s, "templates/ and static/ for /preview/ and /api/search")
    s.set_defaults(func=_serve)

    d = sub.add_parser("deploy", help="upload a built site to a deploy target")
    _target_option(d)
    _build_dir_option(d, "--dir", "the built site to deploy")
    d.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    _force_delete_option(d)
    _allow_broken_links_option(d)
    d.set_defaults(func=_deploy)

    r = sub.add_parser("rollback", help="make the previous deploy live again")
    _target_option(r)
    r.add_argument("--to", default=None, help="release or deploy id (default: the previous one)")
    r.set_defaults(func=_rollback)

    rn = sub.add_parser("runner", help="receive signed build hooks; build and deploy locally")
    _address_options(rn, 8090)
    _api_option(rn, "CMS API root: built from and reported to")
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
