"""``jamtail runner``, ``jamtail worker`` and ``jamtail receiver``: the build service's commands.

    jamtail runner     the receiver and a worker in one process (one machine, the demo)
    jamtail receiver   only the hook receiver: queues builds for workers anywhere
    jamtail worker     only a worker: builds what the broker holds (``--workers N`` threads)

All three find the broker in ``--queue-url`` / ``JAMTAIL_QUEUE_URL`` (default
``sqlite:///<state dir>/queue.db``). A worker on another machine needs only
that URL (a ``redis://`` one) and where to keep the sites' caches
(``--cache-root``): the site definitions travel with the hooks.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from jamtail.exceptions import ConfigError
from jamtail.service import launch
from jamtail.service.queue import default_url, open_broker
from jamtail.service.sites import DEFAULT_SITE, Site, load_sites
from jamtail.service.worker import BuildService, WorkerSettings
from jamtail.settings import Settings

log = logging.getLogger(__name__)


def settings_of(args: Any) -> Settings:
    """The settings the CLI loaded (``args.settings``), else the environment's."""
    return getattr(args, "settings", None) or Settings.from_environ()


def sites_from(args: Any) -> dict[str, Site]:
    """The sites file's sites, else the one ``default`` site the command line describes."""
    settings = settings_of(args)
    path = getattr(args, "sites", None) or settings.runner.sites_file
    if path:
        return load_sites(Path(path))
    # --timings: the build's log in the admin then says which stage took the time.
    build_args = [
        "--timings",
        *(["--out", args.out] if args.out else []),
        *(["--allow-broken-links"] if settings.deploy.allow_broken_links else []),
    ]
    site = Site(
        name=DEFAULT_SITE,
        api=args.api,
        deploy=not args.no_deploy,
        deploy_target=settings.deploy.target,
        build_args=build_args,
    )
    return {DEFAULT_SITE: site}


def service_from(args: Any) -> BuildService:
    """The :class:`BuildService` on the broker ``args`` (or the environment) names."""
    settings = settings_of(args)
    state_dir = Path(args.state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    url = args.queue_url or settings.runner.queue_url or default_url(state_dir)
    huey, ledger = open_broker(url)
    workers = WorkerSettings.from_settings(
        settings.runner, state_dir, getattr(args, "cache_root", "") or ""
    )
    if not workers.token:
        log.warning("JAMTAIL_RUNNER_TOKEN is not set: build status is not reported to the CMS")
    return BuildService(huey, ledger, workers)


def make_receiver(args: Any, service: BuildService) -> Any:
    """The waitress server of the hook receiver (``.run()`` serves)."""
    settings = settings_of(args)
    from jamtail.service.receiver import ReceiverConfig, make_server

    secret = settings.runner.webhook_secret
    if not secret:
        raise ConfigError("set JAMTAIL_WEBHOOK_SECRET: the receiver only accepts signed hooks")
    config = ReceiverConfig(
        state_dir=Path(args.state_dir),
        secret=secret,
        sites=sites_from(args),
        tolerance=settings.runner.tolerance,
    )
    return make_server(
        config,
        service,
        args.host,
        args.port,
        settings.runner.max_body,
        settings.runner.rate_limit,
    )


def run_workers(service: BuildService, workers: int) -> None:
    """Consume until SIGINT/SIGTERM, sweeping for lost builds alongside (main thread only)."""
    if service.settings.fork:
        launch.start()  # the first build after start-up forks at once too
    sweeper = threading.Thread(target=service.sweep_forever, daemon=True, name="jamtail-sweep")
    sweeper.start()
    try:
        service.consumer(workers).run()
    finally:
        service.stopping.set()


def run(args: Any) -> int:
    """``jamtail runner``: receiver and workers in one process until Ctrl-C."""
    service = service_from(args)
    server = make_receiver(args, service)
    threading.Thread(target=server.run, daemon=True, name="jamtail-receiver").start()
    steps = "build + deploy" if not args.no_deploy else "build"
    print(
        f"Build runner at http://{args.host}:{server.effective_port}/ ({steps}; "
        f"{args.workers} worker(s); Ctrl-C to stop)",
        flush=True,
    )
    try:
        run_workers(service, args.workers)
    finally:
        server.close()
    return 0


def run_receiver(args: Any) -> int:
    """``jamtail receiver``: the hook receiver only, until Ctrl-C."""
    server = make_receiver(args, service_from(args))
    print(f"Build hook receiver at http://{args.host}:{server.effective_port}/", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def run_worker(args: Any) -> int:
    """``jamtail worker``: build workers only, until Ctrl-C."""
    service = service_from(args)
    print(f"Build worker {service.name}: {args.workers} thread(s)", flush=True)
    run_workers(service, args.workers)
    return 0
