"""The ``jamtail`` command: ``build``, ``serve``, ``deploy`` and ``rollback``.

Errors the user can fix (``JamtailError``) print as one line on stderr and
exit 1; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from jamtail import __version__
from jamtail.deploy import TARGETS
from jamtail.exceptions import BuiltNotDeployedError, JamtailError
from jamtail.settings import DEFAULT_API_URL, Settings

if TYPE_CHECKING:
    from jamtail.build.pipeline import BuildResult
    from jamtail.deploy import DeployResult
    from jamtail.report import DeployReport

__all__ = ["DEFAULT_API_URL", "main", "parser"]
log = logging.getLogger(__name__)

# Each command imports what it needs when it runs: a deploy never loads the
# renderer, the CMS client or tqdm, so it starts in a fraction of the time.


def _build(args: argparse.Namespace) -> int:
    """``jamtail build``: build, deploy if asked, print or write the build report.

    With ``--json`` the :class:`~jamtail.report.BuildReport` is the only thing
    on stdout (people's lines go to stderr); ``--report FILE`` writes it to
    FILE, also when the build or the deploy failed (status ``failed``, the
    message in ``errors``).
    """
    from jamtail.report import BuildReport, DeployReport

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
                    args.settings,
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
    if args.deploy and not result.patched:
        _refresh_spare(Path(args.out), say)
    return 0


def _refresh_spare(out: Path, say: TextIO) -> None:
    """Deployed and reported: prepare the next publish's staging directory now
    (:func:`~jamtail.write.writer.refresh_spare`). Never fails the command: the site
    is live, and the next build stages what it needs without it."""
    from jamtail.write.writer import refresh_spare

    say.flush()
    try:
        refresh_spare(out)
    except Exception:
        log.warning("the spare beside %s was not refreshed", out, exc_info=True)


def _run_build(args: argparse.Namespace) -> BuildResult:
    from jamtail.build.pipeline import BuildConfig, build
    from jamtail.progress import ProgressBar
    from jamtail.render.parallel import default_jobs

    config = BuildConfig(
        api_url=args.api,
        out_dir=Path(args.out),
        site_dir=Path(args.site),
        cache_dir=Path(args.cache),
        jobs=args.jobs or default_jobs(),
        full=args.full,
        settings=args.settings,
    )
    bar = ProgressBar()
    # A first sync of a large site takes seconds (minutes while the CMS fills its
    # own cache): the count shows it is moving.
    syncing = ProgressBar("Syncing", unit="item", delay=1.0)
    try:
        if args.settings.frontend == "next":
            from jamtail.build.nextjs import build_next

            return build_next(config)
        return build(config, progress=bar, sync_progress=syncing)
    finally:
        syncing.close()
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
    from jamtail.report import DeployReport

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
    """``jamtail serve``: the dev server, found through the ``jamtail`` entry point ``serve``.

    The server mounts the serverless functions beside the static site, so it
    lives with them (``functions/devserver.py``, registered in pyproject.toml):
    Jamtail itself never imports ``functions/``.
    """
    from importlib.metadata import entry_points

    found = entry_points(group="jamtail", name="serve")
    if not found:
        raise JamtailError(
            "no dev server is installed: pip install -e . registers functions.devserver"
        )
    return next(iter(found)).load()(args)


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
        args.settings,
        args.target,
        Path(args.dir),
        args.force_delete,
        args.dry_run,
        allow_broken_links=args.allow_broken_links,
    )
    return 0


def _deploy_dir(
    settings: Settings,
    target: str,
    site_dir: Path,
    force_delete: bool,
    dry_run: bool = False,
    say: TextIO | None = None,
    allow_broken_links: bool = False,
) -> DeployResult | None:
    """Plan and (unless ``dry_run``) deploy ``site_dir`` to ``target`` (configured by
    ``settings``); print to ``say``.

    Returns what the deploy did (``None`` for a dry run).

    Raises :class:`JamtailError` (a :class:`~jamtail.deploy.DeployError` or
    configuration error) when the deploy cannot be made, and
    :class:`~jamtail.exceptions.BrokenLinksError` before anything changes
    when the site has broken internal links the live one has not (unless
    ``allow_broken_links``; a dry run only notes them).
    """
    from jamtail.deploy import SiteFiles, get_backend
    from jamtail.links.gate import new_broken_links, refuse_new_broken_links

    backend = get_backend(target, settings)
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
    from jamtail.deploy import get_backend

    release = get_backend(args.target, args.settings).rollback(args.to)
    print(f"Rolled back {args.target}: {release} is live")
    return 0


def _runner(args: argparse.Namespace) -> int:
    from jamtail.service.commands import run

    return run(args)


def _receiver(args: argparse.Namespace) -> int:
    from jamtail.service.commands import run_receiver

    return run_receiver(args)


def _worker(args: argparse.Namespace) -> int:
    from jamtail.service.commands import run_worker

    return run_worker(args)


def _service_options(p: argparse.ArgumentParser, settings: Settings, workers: bool) -> None:
    p.add_argument(
        "--state-dir",
        default=str(settings.runner.state_dir),
        help="the default broker, build logs and seen signatures (default %(default)s)",
    )
    p.add_argument(
        "--queue-url",
        default=None,
        help="broker: sqlite:///path or redis://host:6379/0 (env JAMTAIL_QUEUE_URL; "
        "default sqlite:///STATE_DIR/queue.db)",
    )
    if workers:
        p.add_argument(
            "--workers", type=int, default=1, help="builds at once, of different sites (default 1)"
        )


def _receiver_options(p: argparse.ArgumentParser, settings: Settings) -> None:
    _address_options(p, 8090)
    _api_option(p, settings, "CMS API root: built from and reported to")
    p.add_argument("--out", default=None, help="build directory (default: as jamtail build)")
    p.add_argument("--no-deploy", action="store_true", help="build only, never deploy")
    p.add_argument(
        "--sites", default=None, help="a TOML file of sites (env JAMTAIL_SITES_FILE; default: one)"
    )


def _api_option(p: argparse.ArgumentParser, settings: Settings, purpose: str) -> None:
    p.add_argument(
        "--api",
        default=settings.api_url,
        help=f"{purpose} (env JAMTAIL_API_URL; default %(default)s)",
    )


def _site_option(p: argparse.ArgumentParser, settings: Settings, purpose: str) -> None:
    p.add_argument(
        "--site",
        default=str(settings.site_dir),
        help=f"{purpose} (env JAMTAIL_SITE_DIR; default %(default)s)",
    )


def _build_dir_option(
    p: argparse.ArgumentParser, settings: Settings, flag: str, purpose: str
) -> None:
    p.add_argument(
        flag,
        default=str(settings.build_dir),
        help=f"{purpose} (env JAMTAIL_BUILD_DIR; default %(default)s)",
    )


def _target_option(p: argparse.ArgumentParser, settings: Settings) -> None:
    p.add_argument(
        "--target",
        default=settings.deploy.target,
        choices=list(TARGETS),
        help="deploy target (env JAMTAIL_DEPLOY_TARGET; default %(default)s)",
    )


def _force_delete_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force-delete", action="store_true", help="allow deletions above the safety cap"
    )


def _allow_broken_links_option(p: argparse.ArgumentParser, settings: Settings) -> None:
    p.add_argument(
        "--allow-broken-links",
        action="store_true",
        default=settings.deploy.allow_broken_links,
        help="deploy even when the build has broken internal links the live site has not"
        " (env JAMTAIL_ALLOW_BROKEN_LINKS=1)",
    )


def _address_options(p: argparse.ArgumentParser, port: int) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument(
        "--port", type=int, default=port, help="0 picks a free port (default %(default)s)"
    )


def parser(settings: Settings | None = None) -> argparse.ArgumentParser:
    """The argument parser, its defaults from ``settings`` (default: :class:`Settings`'
    defaults, the environment unread; the docs test uses it so). Every command gets
    the settings as ``args.settings``."""
    settings = Settings() if settings is None else settings
    p = argparse.ArgumentParser(prog="jamtail", description="Static sites from a Wagtail CMS.")
    p.set_defaults(settings=settings)
    p.add_argument("--version", action="version", version=f"jamtail {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log each stage")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the site from the CMS API")
    _api_option(b, settings, "CMS API root")
    _build_dir_option(b, settings, "--out", "output directory, replaced atomically")
    _site_option(b, settings, "directory with templates/ and static/")
    b.add_argument(
        "--cache",
        default=str(settings.cache_dir),
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
        const=settings.deploy.target,
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
    _allow_broken_links_option(b, settings)
    b.set_defaults(func=_build)

    s = sub.add_parser("serve", help="serve a built site like a CDN, with the functions")
    _build_dir_option(s, settings, "--dir", "the built site to serve")
    _address_options(s, 8080)
    _api_option(s, settings, "CMS API root for /preview/ and /api/comments")
    _site_option(s, settings, "templates/ and static/ for /preview/ and /api/search")
    s.set_defaults(func=_serve)

    d = sub.add_parser("deploy", help="upload a built site to a deploy target")
    _target_option(d, settings)
    _build_dir_option(d, settings, "--dir", "the built site to deploy")
    d.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    _force_delete_option(d)
    _allow_broken_links_option(d, settings)
    d.set_defaults(func=_deploy)

    r = sub.add_parser("rollback", help="make the previous deploy live again")
    _target_option(r, settings)
    r.add_argument("--to", default=None, help="release or deploy id (default: the previous one)")
    r.set_defaults(func=_rollback)

    rn = sub.add_parser("runner", help="receive signed build hooks; build and deploy (one process)")
    _receiver_options(rn, settings)
    _service_options(rn, settings, workers=True)
    rn.set_defaults(func=_runner)

    rc = sub.add_parser("receiver", help="receive signed build hooks; queue them for workers")
    _receiver_options(rc, settings)
    _service_options(rc, settings, workers=False)
    rc.set_defaults(func=_receiver)

    wk = sub.add_parser("worker", help="build what the build queue holds, site by site")
    _service_options(wk, settings, workers=True)
    wk.add_argument(
        "--cache-root",
        default="",
        help="keep each site's content cache in DIR/SITE (default: the site's cache_dir)",
    )
    wk.set_defaults(func=_worker)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``jamtail`` console script; returns the exit code.

    The environment is read here, once (:meth:`Settings.from_environ`): a bad
    value stops every command before it starts, naming the variable.
    """
    try:
        settings = Settings.from_environ()
    except JamtailError as exc:
        print(f"jamtail: error: {exc}", file=sys.stderr)
        return exc.exit_code
    args = parser(settings).parse_args(argv)
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
