"""An editor in another process, for the sync concurrency tests (run with a CMSProcess's env).

python tests/sync_writer.py setup                      print the id of a new section "Blog"
python tests/sync_writer.py churn SECTION N SEED       N random publishes, edits,
                                                       unpublishes, moves and deletions
python tests/sync_writer.py publish SECTION TITLE      publish one article
python tests/sync_writer.py hold SECTION TITLE READY RELEASE
    publish an article inside a transaction, create the file READY, wait
    until the file RELEASE exists, then commit (a slow editor's transaction)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")

import django

django.setup()

from django.core.exceptions import ValidationError  # noqa: E402
from django.db import IntegrityError, OperationalError, transaction  # noqa: E402
from wagtail.models import Page  # noqa: E402

from cms.content.models import ArticlePage, HomePage, SectionPage  # noqa: E402


def publish_article(section: Page, title: str) -> ArticlePage:
    page = ArticlePage(title=title, date=dt.date(2026, 1, 1), summary=f"About {title}")
    section.add_child(instance=page)
    page.save_revision().publish()
    return page


def setup() -> None:
    home = HomePage.objects.get(depth=2)
    blog = SectionPage(title="Blog", slug="blog")
    home.add_child(instance=blog)
    blog.save_revision().publish()
    archive = SectionPage(title="Archive", slug="archive")
    home.add_child(instance=archive)
    archive.save_revision().publish()
    print(blog.pk)


def churn(section_id: int, count: int, seed: int) -> None:
    rng = random.Random(seed)
    for n in range(count):
        # SQLite may answer "database is locked" under load; on PostgreSQL, two editors
        # adding children to one section at once can collide on the tree path
        # (treebeard), found by the insert or by Wagtail's validation that runs before
        # it, as in the admin: the editor tries again.
        for attempt in range(5):
            try:
                # Fresh tree nodes each time: other editors change them.
                section = Page.objects.get(pk=section_id).specific
                archive = Page.objects.get(slug="archive")
                step(rng, section, archive, f"w{seed}", n)
                break
            except (OperationalError, IntegrityError, ValidationError) as exc:
                if isinstance(exc, ValidationError) and "path" not in exc.message_dict:
                    raise
                print(f"retrying after {exc.__class__.__name__}: {exc}", file=sys.stderr)
                time.sleep(0.2 * (attempt + 1))
        time.sleep(rng.uniform(0, 0.05))


def step(rng: random.Random, section: Page, archive: Page, writer: str, n: int) -> None:
    name = f"{writer}-{n}"
    mine = list(ArticlePage.objects.filter(slug__startswith=f"post-{writer}-"))
    action = rng.choice(["publish", "publish", "edit", "unpublish", "move", "delete"])
    if action == "publish" or not mine:
        publish_article(section, f"Post {name}")
        return
    page = rng.choice(mine)
    if action == "edit":
        page.summary = f"Edited by {name}"
        page.save_revision().publish()
    elif action == "unpublish" and page.live:
        page.unpublish()
    elif action == "move":
        target = archive if page.get_parent().pk == section.pk else section
        page.move(target, pos="last-child")
    elif action == "delete":
        page.delete()


def hold(section_id: int, title: str, ready: Path, release: Path) -> None:
    section = Page.objects.get(pk=section_id).specific
    with transaction.atomic():
        publish_article(section, title)
        ready.touch()
        deadline = time.monotonic() + 120
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.05)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "setup":
        setup()
    elif command == "churn":
        churn(int(args[0]), int(args[1]), int(args[2]))
    elif command == "publish":
        publish_article(Page.objects.get(pk=int(args[0])).specific, args[1])
    elif command == "hold":
        hold(int(args[0]), args[1], Path(args[2]), Path(args[3]))
    else:
        raise SystemExit(f"unknown command {command!r}")
