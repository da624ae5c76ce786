"""Start ``jamtail build`` in milliseconds: fork it from a process that has imported the pipeline.

Started as ``python -m jamtail.cli build``, a build spends about a quarter of
a second (two shared cores) starting Python and importing requests, Jinja2,
Pygments and the pipeline before it reads anything; on a one-page publish
that is a third of the build. The worker instead asks a *fork server*
(:mod:`multiprocessing`'s ``forkserver`` start method, see the Python docs,
"Contexts and start methods") that imported those modules once, when the
worker started (:func:`start`): each build is a new fork of it. It is still a
process of its own, as isolated as a subprocess: its own memory, environment
and working directory, its output in a log file, its exit status (negative:
killed by that signal), killed by SIGKILL when the worker stops it.

The fork server is single-threaded (forking the worker itself, which runs
threads, is unsafe) and exits when the worker's end of its pipe closes; each
build asks the kernel to SIGKILL it when its parent, the fork server, exits
(``PR_SET_PDEATHSIG``), so a worker killed with SIGKILL still takes its build
with it. A build runs the code the fork server imported: restart the worker
after upgrading Jamtail, as for the worker's own code.

As with any :mod:`multiprocessing` program, a program that runs builds this
way must guard its main module (``if __name__ == "__main__":``): each fork
imports it again, as ``__mp_main__`` (``jamtail``'s own commands do).

Used where the platform has the ``forkserver`` start method (Linux, macOS)
and for ``jamtail`` commands only; a site's own ``command``, or one whose
``env`` sets ``PYTHON*`` variables (which act on an interpreter starting), runs
as a subprocess.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import runpy
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

# What a build imports before its first request: the pipeline with its stages
# (requests, Jinja2, Pygments, markdown), the patch build and the local and
# Netlify deploys. The S3 deploy imports boto3 (about 0.3 s) when used. Not
# jamtail.cli itself: the fork runs it as __main__, as `python -m` does.
PRELOAD = [
    "jamtail.report",
    "jamtail.build.pipeline",
    "jamtail.build.patch",
    "jamtail.deploy.local",
    "jamtail.deploy.netlify",
]
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to SIGKILL this process when its parent exits (``prctl(2)``, ``PR_SET_PDEATHSIG``).

    Elsewhere a no-op: a killed parent may leave its build running to its end.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def available(env: Mapping[str, str] | None = None) -> bool:
    """Whether a ``jamtail`` command can be forked here, with ``env`` (the variables it gets
    beyond the worker's own; ``PYTHON*`` ones need a new interpreter)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    return not any(name.startswith("PYTHON") for name in env or {})


def _context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start() -> None:
    """Start the fork server now (about 0.3 s) rather than on the first build; idempotent.

    Raises ``OSError`` when the process cannot be started.
    """
    if available():
        from multiprocessing import forkserver

        _context()
        forkserver.ensure_running()


class ForkedCommand:
    """One ``jamtail`` command (``argv`` without the program name) forked from the fork server.

    ``env`` is its whole environment and ``cwd`` its working directory;
    standard output and error go to ``log_path`` (created or truncated).
    Like :class:`subprocess.Popen`: :meth:`poll`, :meth:`wait` and :meth:`kill`;
    the status they give is ``None`` while it runs, then its exit status, or
    minus the signal that killed it. Raises ``OSError`` when it cannot be started.
    """

    def __init__(self, argv: list[str], env: Mapping[str, str], cwd: Path, log_path: Path):
        self.log_path = log_path
        self.process = _context().Process(
            target=_run, args=(list(argv), dict(env), str(cwd), str(log_path)), name="jamtail"
        )
        self.process.start()

    def poll(self) -> int | None:
        return self.process.exitcode

    def wait(self) -> int | None:
        self.process.join()
        return self.process.exitcode

    def kill(self) -> None:
        self.process.kill()

    def output(self) -> str:
        """What the command printed (stdout and stderr interleaved), UTF-8 with replacement."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def _release_fork_server() -> None:  # pragma: no cover - runs in the child
    """Let the fork server exit with the worker, though this build still runs.

    The fork server exits when the write end of its "alive" pipe is closed
    everywhere, and it hands that end to every process it forks, so a running
    build would keep it, and so itself, alive after the worker is killed.
    Closed here, the worker is its only holder: the fork server exits with it,
    and the kernel kills this build (:func:`die_with_parent`).
    ``tests/test_launch.py`` checks this against the running Python.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


def _run(argv: list[str], env: dict[str, str], cwd: str, log_path: str) -> None:  # pragma: no cover
    """The forked command: become what ``python -m jamtail.cli ARGV`` would be, then run it."""
    die_with_parent()
    _release_fork_server()
    # What the fork server imported lives as long as this build: moved out of the
    # collector's sight (Python docs, gc.freeze), a collection no longer walks
    # the pipeline's modules. 30 ms of a 0.45 s one-page publish at 10,000 pages.
    gc.freeze()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    # New streams on the log (the fork server's may be closed or None); stdout is
    # line-buffered so its lines and stderr's interleave as they were printed.
    sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(  # noqa: SIM115
        2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False
    )
    # What `python -m jamtail.cli ARGV` runs; its modules are imported already.
    sys.argv = ["jamtail", *argv]
    runpy.run_module("jamtail.cli", run_name="__main__", alter_sys=True)
