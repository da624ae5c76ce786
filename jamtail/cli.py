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
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .deploy import TARGETS
from .exceptions import BuiltNotDeployedError, JamtailError

if TYPE_CHECKING:
    from .build import BuildResult
    from .deploy import DeployResult
    from .report import DeployReport

# jamtail.client.DEFAULT_API_URL (tests/test_deploy.py checks they agree): importing
# the client loads requests, which `jamtail deploy` and `--help` do not need.
DEFAULT_API_URL = "http://127.0.0.1:8000/api/v2/"

# Each command imports what it needs when it runs: a deploy never loads the
# renderer, the CMS client or tqdm, so it starts in a fraction of the time.


def _build(args: argparse.Namespace) -> int:
    """``jamtail build``: build, deploy if asked, print or write the build report.

    With ``--json`` the :class:`~jamtail.report.BuildReport` is the only thing
    on stdout (people's lines go to stderr); ``--report FILE`` writes it to
    FILE, also when the build or the deploy failed (status ``failed``, the
    message in ``errors``).
    """
    from .report import BuildReport, DeployReport

    say = sys.stderr if args.json else sys.stdout
    report = BuildReport()
    try:
        result = _run_build(args)
        report = result.report()
        _print_build(args, result, say)
        if args.deploy:
            say.flush()  # the build's lines come before anything the deploy says
            try:
                deployed = _deploy_dir(
                    args.deploy,
                    Path(args.out),
                    args.force_delete,
                    say=say,
                    allow_broken_links=args.allow_broken_links,
                )
            except JamtailError as exc:
                report.deploy = DeployReport(target=args.deploy, error=str(exc))
                raise BuiltNotDeployedError(
                    f"built, but the deploy to {args.deploy} failed: {exc}"
                ) from exc
            assert deployed is not None  # not a dry run
            report.deploy = _deploy_report(deployed)
    except JamtailError as exc:
        report.fail(str(exc))
        raise
    except BaseException as exc:  # a bug or Ctrl-C: the report must not say "succeeded"
        report.fail(f"{exc.__class__.__name__}: {exc}")
        raise
    finally:
        if args.report:
            report.write(Path(args.report))
        if args.json:
            print(report.dumps(), flush=True)
    return 0


def _run_build(args: argparse.Namespace) -> BuildResult:
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
    from .nextjs import build_next, frontend

    bar = ProgressBar()
    try:
        return build_next(config) if frontend() == "next" else build(config, progress=bar)
    finally:
        bar.close()


def _print_build(args: argparse.Namespace, result: BuildResult, say: TextIO) -> None:
    """The lines for people: ``--explain``'s reasons, the summary, ``--timings``."""
    if args.explain:
        lines = result.explanation() or ["nothing changed: every output was reused"]
        print("\n".join(lines), file=say)
    print(result.summary(), file=say)
    if args.timings or args.explain:
        article = "an" if result.kind == "incremental" else "a"
        why = f" ({result.reason})" if result.reason and result.kind != "full" else ""
        print(f"  {article} {result.kind} build{why}", file=say)
    if args.timings:
        print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()), file=say)
    _print_broken_links(result.broken_links, result.new_broken_links, say)


def _deploy_report(result: DeployResult) -> DeployReport:
    from .report import DeployReport

    return DeployReport(
        target=result.target,
        url=result.url,
        files_uploaded=result.uploaded,
        bytes_uploaded=result.bytes,
        files_deleted=result.deleted,
        paths_invalidated=result.invalidated,
        seconds=round(result.seconds, 3),
        release=result.release,
    )


def _serve(args: argparse.Namespace) -> int:
    site_dir = Path(args.dir)
    if not (site_dir / "index.html").exists():
        raise JamtailError(f"{site_dir} has no index.html: run `jamtail build` first")
    from functions import comments, preview, preview_data, search

    from .nextjs import frontend
    from .search import INDEX_PATH
    from .serve import make_server

    routes = {
        # The Next front end's /preview/ is a page of the site that reads /api/preview.
        **(
            {}
            if frontend() == "next"
            else {"/preview/": preview.make_handler(args.api, Path(args.site))}
        ),
        "/api/preview": preview_data.make_handler(args.api),
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


def _print_broken_links(broken: list, new: list, say: TextIO) -> None:
    """Say how many internal links are broken and name the new ones."""
    if not broken:
        return
    print(
        f"  {len(broken)} broken internal link{'s' if len(broken) != 1 else ''}"
        f" ({len(new)} new since the last build)",
        file=say,
    )
    for link in new:
        print(f"    new: {link}", file=say)


def _deploy(args: argparse.Namespace) -> int:
    _deploy_dir(
        args.target,
        Path(args.dir),
        args.force_delete,
        args.dry_run,
        allow_broken_links=args.allow_broken_links,
    )
    return 0


def _deploy_dir(
    target: str,
    site_dir: Path,
    force_delete: bool,
    dry_run: bool = False,
    say: TextIO | None = None,
    allow_broken_links: bool = False,
) -> DeployResult | None:
    """Plan and (unless ``dry_run``) deploy ``site_dir`` to ``target``; print to ``say``.

    Returns what the deploy did (``None`` for a dry run).

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
        print("\n".join(plan.lines()), file=say)
        print(plan.summary(), file=say)
        return None
    if not allow_broken_links:
        refuse_new_broken_links(site.manifest, live, target)
    result = backend.deploy(site, plan)
    print(result.summary(), file=say)
    return result


def _rollback(args: argparse.Namespace) -> int:
    from .deploy import get_backend

    release = get_backend(args.target).rollback(args.to)
    print(f"Rolled back {args.target}: {release} is live")
    return 0


def _runner(args: argparse.Namespace) -> int:
    from .runner import run

    return run(args)


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
        choices=list(TARGETS),
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
        choices=list(TARGETS),
        metavar="TARGET",
        help="then deploy the build in the same process, as `jamtail deploy --target TARGET`"
        " (default target: env JAMTAIL_DEPLOY_TARGET, else local); exit status 3 when"
        " only the deploy failed (a deploy refused for new broken links included)",
    )
    b.add_argument(
        "--report",
        metavar="FILE",
        default=None,
        help="write the build report (JSON, see docs/building.md) to FILE, also on failure",
    )
    b.add_argument(
        "--json",
        action="store_true",
        help="print the build report as JSON on stdout (other lines go to stderr)",
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
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
