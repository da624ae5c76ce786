"""Plan content files in several processes: the Markdown parse is most of a plan.

:func:`plan_files` runs ``plan_one(path, rel)`` for every job and returns the
outcomes in job order, as a plain loop would. With enough files and more than
one CPU it forks workers (``fork``: they inherit the layout, the config and the
template context without pickling them) which take chunks of jobs from a shared
counter, as the calling process does too, so a busy machine that gives a worker
no time only loses the fork.

A worker sends its pages back once, at its end. markdown-it's ``Token`` objects
pickle through Python code (a dataclass ``__setstate__`` per token), which costs
more than the parse they save, so each page's tokens travel as nested tuples
encoded with :mod:`marshal` and are rebuilt with the garbage collector paused:
about a fifteenth of the parse on the Rust blog (docs/importing.md#speed).

Nothing is lost to a worker: a job whose outcome does not come back (the worker
died, the outcome would not encode, ``plan_one`` raised something other than a
:class:`~cms.importer.errors.SourceError`) is planned again in the calling
process, where an unexpected error is raised as it would be without workers.
Workers never touch the database.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markdown_it.token import Token

from jamtail.collector import collector_paused

from .errors import SourceError

if TYPE_CHECKING:
    from .plan import PlannedPage

    Outcome = PlannedPage | SourceError
    PlanOne = Callable[[Path, str], PlannedPage]

logger = logging.getLogger(__name__)

Job = tuple[Path, str]
"""A content file and its POSIX path relative to the import root."""

MIN_JOBS = 200
"""Below this many files the fork and the hand-back cost more than they save."""
CHUNK = 8
MAX_WORKERS = 4


def plan_files(plan_one: PlanOne, jobs: list[Job], workers: int | None = None) -> list[Outcome]:
    """``plan_one`` of every job, in order: a page, or the ``SourceError`` it raised.

    ``workers``: extra processes (default: one fewer than the usable CPUs, at
    most :data:`MAX_WORKERS`; none below :data:`MIN_JOBS` jobs). Any other
    exception from ``plan_one`` propagates, as from a plain loop.
    """
    if workers is None:
        workers = min(MAX_WORKERS, _usable_cpus() - 1) if len(jobs) >= MIN_JOBS else 0
    outcomes: dict[int, Outcome] = {}
    if workers > 0 and "fork" in multiprocessing.get_all_start_methods():
        outcomes = _plan_with_workers(plan_one, jobs, workers)
    for index, (path, rel) in enumerate(jobs):
        if index not in outcomes:  # no workers, or a worker did not hand it back
            outcomes[index] = _outcome(plan_one, path, rel)
    return [outcomes[index] for index in range(len(jobs))]


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _outcome(plan_one: PlanOne, path: Path, rel: str) -> Outcome:
    try:
        return plan_one(path, rel)
    except SourceError as exc:
        return exc


def _plan_with_workers(plan_one: PlanOne, jobs: list[Job], workers: int) -> dict[int, Outcome]:
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    processes: list[tuple[Any, Connection]] = []
    for _ in range(workers):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker, args=(plan_one, jobs, counter, sender), daemon=True
        )
        process.start()
        sender.close()
        processes.append((process, receiver))
    outcomes: dict[int, Outcome] = {}
    for index in _claimed(counter, len(jobs)):
        path, rel = jobs[index]
        with contextlib.suppress(Exception):  # raised again, in order, by plan_files
            outcomes[index] = _outcome(plan_one, path, rel)
    for process, receiver in processes:
        try:
            outcomes.update(_decode(receiver.recv_bytes()))
        except (EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
            logger.warning("a planning worker handed nothing back (%s): planning here", exc)
        finally:
            receiver.close()
            process.join()
    return outcomes


def _claimed(counter: Any, total: int) -> Iterator[int]:
    """Job indexes this process takes, a chunk at a time, until none are left."""
    while True:
        with counter.get_lock():
            start = counter.value
            counter.value = start + CHUNK
        if start >= total:
            return
        yield from range(start, min(start + CHUNK, total))


def _worker(plan_one: PlanOne, jobs: list[Job], counter: Any, sender: Connection) -> None:
    done: list[tuple[int, bytes, bytes]] = []
    for index in _claimed(counter, len(jobs)):
        path, rel = jobs[index]
        try:
            outcome = _outcome(plan_one, path, rel)
            done.append(_encode(index, outcome))
        except Exception:  # planned again by the parent, which reports it
            continue
    sender.send_bytes(pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL))
    sender.close()


def _encode(index: int, outcome: Outcome) -> tuple[int, bytes, bytes]:
    """``(index, pickled outcome without its tokens, marshalled tokens)``."""
    if isinstance(outcome, SourceError):
        return index, pickle.dumps(outcome), b""
    tokens = marshal.dumps(_flatten(outcome.tokens))
    outcome.tokens = []
    return index, pickle.dumps(outcome), tokens


def _decode(data: bytes) -> dict[int, Outcome]:
    # The rebuilt tokens are hundreds of thousands of small objects; collecting while
    # making them costs several times the rebuild itself.
    outcomes: dict[int, Outcome] = {}
    with collector_paused():
        for index, outcome, tokens in pickle.loads(data):
            outcomes[index] = pickle.loads(outcome)
            if tokens:
                outcomes[index].tokens = _rebuild(marshal.loads(tokens))
    return outcomes


def _flatten(tokens: list[Token]) -> list[tuple[Any, ...]]:
    """Each token as a tuple of its fields (in ``Token``'s order), children nested."""
    return [
        (
            t.type,
            t.tag,
            t.nesting,
            t.attrs,
            t.map,
            t.level,
            None if t.children is None else _flatten(t.children),
            t.content,
            t.markup,
            t.info,
            t.meta,
            t.block,
            t.hidden,
        )
        for t in tokens
    ]


def _rebuild(rows: list[tuple[Any, ...]]) -> list[Token]:
    """The tokens :func:`_flatten` took apart, equal to the parsed ones.

    Set field by field: ``Token.__init__`` would convert ``attrs`` again and cost
    five times as much.
    """
    tokens = []
    new = object.__new__
    for row in rows:
        token = new(Token)
        (
            token.type,
            token.tag,
            token.nesting,
            token.attrs,
            token.map,
            token.level,
            children,
            token.content,
            token.markup,
            token.info,
            token.meta,
            token.block,
            token.hidden,
        ) = row
        token.children = None if children is None else _rebuild(children)
        tokens.append(token)
    return tokens
