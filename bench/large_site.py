"""Benchmark: full and incremental builds of large sites made from real text, and Hugo.

Generates a CMS with N article pages (default 10,000; ``--pages 10000 50000``)
in 8 sections, with 300 tags, 60 authors and 24 real photos as hero images,
from the Rust blog corpus (``../shared/corpora/rust-blog``, or
``$JAMTAIL_CORPORA``; the benchmark exits with a message when it is absent):
page *i* has the Markdown body of corpus file *i mod 754*, converted to
StreamField blocks by the importer's own converter.

Creating pages one by one through Wagtail (the importer) runs at 6-10 pages/s,
so the pages are bulk-inserted into Wagtail's tables with precomputed tree
paths (live, no revisions). To show that this is honest, one article is made
both ways from the same content, and their API representations are compared.
Generated databases are kept under ``bench/out/`` and reused by later runs.

Reports, per size (``--warm`` skips the first two): a cold first build with the
CMS's serialised pages forgotten (``manage.py clear_sync_cache``: the CMS
serialises every page, as after ``migrate``); a cold first build (an empty
build cache, so a full sync, from a CMS that serialised its pages before: a
new build host, issue 14's cold start); a full
render with the content and media caches warm but no previous build
(the median of 3 runs up to 10,000 pages, else one: seconds, pages/s, peak
memory of the builder processes as PSS, polled every 20 ms, which costs the
build 2-4 s at 10,000 pages);
the first local deploy, then deploys until the deploy folder holds its
``JAMTAIL_DEPLOY_KEEP`` releases (as on any site deployed before); an
unchanged rebuild; and, each as ``jamtail build --deploy local`` (one
process, what the build runner does on a publish), the time from an edit to
the new site in the deploy folder after: one edited title, the same title
again, one edited summary (patch builds), one template change
(``section_page.html``) and one page moved between sections (incremental);
then a full rebuild deployed and the first title edit after it; then 20 title
edits built and deployed as a worker does, forked from the fork server (median
and p95).
Then Hugo on the same Markdown (same page count, sections and tags; the
median of as many runs, its memory polled the same way) and the ratios to it
of our full build and cold first builds (issue 14's targets: at most 1.0x
and 1.5x).

Usage: ``python bench/large_site.py [--pages N ...] [--warm] [--no-hugo] [--hugo-only]``.
Loopback only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rust_blog import forget_build, hugo_site, mb, timed  # noqa: E402

from tests.cms_process import CMSProcess  # noqa: E402
from tests.corpora import corpora_dir, missing_message, rust_blog_content  # noqa: E402

OUT = ROOT / "bench" / "out"
SECTIONS = ["Engineering", "Releases", "Community", "Compiler", "Cargo", "Docs", "Events", "Teams"]
TAGS = 300
AUTHORS = 60
IMAGES = 24
BATCH = 2000
KEEP = 5  # JAMTAIL_DEPLOY_KEEP's default
FORMAT = 2  # bump to regenerate cached databases


def corpus_documents(content: Path) -> list[tuple[str, Any]]:
    """``(markdown body, parsed Document)`` of every corpus page, in path order."""
    from cms.importer.frontmatter import parse_document

    docs = []
    for path in sorted(content.rglob("*.md")):
        if path.name == "_index.md":
            continue
        rel = path.relative_to(content).as_posix()
        doc = parse_document(path.read_text(encoding="utf-8"), rel)
        docs.append((doc.body, doc))
    return docs


def page_plan(i: int, doc: Any) -> dict[str, Any]:
    """Title, slug, section, date, tags and authors of generated page ``i``."""
    round_ = i // 754
    title = doc.title or f"Post {i}"
    if round_:
        title = f"{title} ({round_ + 1})"
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "post"
    date = (doc.date or dt.date(2020, 1, 1)) - dt.timedelta(days=7 * round_)
    return {
        "title": title,
        "slug": f"{base}-{i}",
        "section": (i * 7 + round_) % len(SECTIONS),
        "date": date,
        "tags": sorted({(i * 31 + k * 97) % TAGS for k in range(3)}),
        "authors": sorted({(i * 13) % AUTHORS, (i * 17 + 5) % AUTHORS})[: 1 + i % 2],
        "image": i % IMAGES if i % 3 == 0 else None,
        "summary": doc.summary or f"Article {i} of the generated site.",
    }


# -- generation (runs inside Django, in a child process) ----------------------


class _Images:
    """Importer resolver: no page links; every local image becomes a library image."""

    def __init__(self, images: list[Any]):
        self.images = images
        self.n = 0

    def link(self, href: str) -> None:
        return None

    def image(self, src: str, alt: str) -> Any:
        from cms.importer.markdown import ImageTarget

        self.n += 1
        image = self.images[self.n % len(self.images)]
        return ImageTarget(image.id, image.file.url)

    def file_url(self, href: str) -> None:
        return None


def generate(n: int) -> dict[str, Any]:
    """Fill the (migrated, empty) CMS database with an ``n``-article site."""
    import django

    django.setup()
    from django.core.files.images import ImageFile
    from django.db import connection, transaction
    from django.utils import timezone
    from taggit.models import Tag
    from wagtail.images import get_image_model
    from wagtail.models import Page

    from cms.content.models import (
        ArticleAuthor,
        ArticlePage,
        ArticleTag,
        Author,
        HomePage,
        SectionPage,
        SiteSettings,
    )
    from cms.importer.markdown import markdown_to_blocks, parse_markdown
    from tests.factories import publish

    started = time.perf_counter()
    home = HomePage.objects.get(depth=2)
    settings = SiteSettings.for_site(home.get_site())
    settings.site_name = f"Large site ({n} pages)"
    settings.base_url = "https://large.example.org"
    settings.save()
    photos = corpora_dir() / "bakerydemo-media" / "original_images"
    image_model = get_image_model()
    images = []
    for path in sorted(p for p in photos.iterdir() if p.suffix.lower() in {".jpg", ".jpeg"}):
        if len(images) == IMAGES:
            break
        with path.open("rb") as f:
            images.append(image_model.objects.create(title=path.stem, file=ImageFile(f, path.name)))
    authors = Author.objects.bulk_create(
        [Author(name=f"Author {k:02d}", slug=f"author-{k:02d}") for k in range(AUTHORS)]
    )
    tags = Tag.objects.bulk_create([Tag(name=f"topic {k}", slug=f"topic-{k}") for k in range(TAGS)])
    sections = [
        publish(home, SectionPage(title=name, slug=name.lower(), description=f"{name} news"))
        for name in SECTIONS
    ]
    docs = corpus_documents(rust_blog_content())
    resolver = _Images(images)
    body_field = ArticlePage._meta.get_field("body")
    bodies = []
    for body, _doc in docs:
        blocks = markdown_to_blocks(parse_markdown(body), resolver)
        bodies.append(body_field.get_db_prep_save(body_field.to_python(blocks), connection))
    print(f"  converted {len(docs)} corpus pages in {time.perf_counter() - started:.0f} s")

    from django.contrib.contenttypes.models import ContentType

    article_type = ContentType.objects.get_for_model(ArticlePage)
    columns = [f for f in ArticlePage._meta.local_concrete_fields]
    insert = (
        f"INSERT INTO {ArticlePage._meta.db_table} ({', '.join(f.column for f in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    steps = {s.id: s.numchild for s in sections}
    now = timezone.now()
    twin_bulk = None
    for start in range(0, n, BATCH):
        with transaction.atomic():
            plans = [
                page_plan(i, docs[i % len(docs)][1]) for i in range(start, min(n, start + BATCH))
            ]
            pages = []
            for plan in plans:
                section = sections[plan["section"]]
                steps[section.id] += 1
                pages.append(
                    Page(
                        title=plan["title"],
                        draft_title=plan["title"],
                        slug=plan["slug"],
                        content_type=article_type,
                        path=Page._get_path(section.path, section.depth + 1, steps[section.id]),
                        depth=section.depth + 1,
                        numchild=0,
                        url_path=f"{section.url_path}{plan['slug']}/",
                        live=True,
                        has_unpublished_changes=False,
                        first_published_at=now,
                        last_published_at=now,
                        locale_id=section.locale_id,
                    )
                )
            Page.objects.bulk_create(pages)
            rows = []
            for i, (page, plan) in enumerate(zip(pages, plans, strict=True), start=start):
                values = {
                    "page_ptr_id": page.id,
                    "date": plan["date"],
                    "summary": plan["summary"],
                    "hero_image_id": images[plan["image"]].id
                    if plan["image"] is not None
                    else None,
                    "body": bodies[i % len(bodies)],
                }
                rows.append([values[f.attname] for f in columns])
            with connection.cursor() as cursor:
                cursor.executemany(insert, rows)
            ArticleTag.objects.bulk_create(
                ArticleTag(content_object_id=page.id, tag_id=tags[t].id)
                for page, plan in zip(pages, plans, strict=True)
                for t in plan["tags"]
            )
            ArticleAuthor.objects.bulk_create(
                ArticleAuthor(page_id=page.id, author_id=authors[a].id, sort_order=k)
                for page, plan in zip(pages, plans, strict=True)
                for k, a in enumerate(plan["authors"])
            )
            if twin_bulk is None:
                twin_bulk = pages[0].id
        print(f"  {min(n, start + BATCH)} pages, {time.perf_counter() - started:.0f} s", flush=True)
    for section in sections:
        Page.objects.filter(id=section.id).update(numchild=steps[section.id])

    # The twin: page 0's content, published the normal way (revision, signals).
    plan = page_plan(0, docs[0][1])
    blocks = markdown_to_blocks(parse_markdown(docs[0][0]), _Images(images))
    twin = ArticlePage(
        title=plan["title"],
        slug=f"{plan['slug']}-twin",
        date=plan["date"],
        summary=plan["summary"],
        hero_image=images[plan["image"]],
        body=blocks,
    )
    for k, a in enumerate(plan["authors"]):
        twin.article_authors.add(ArticleAuthor(author=authors[a], sort_order=k))
    twin.tags.add(*(tags[t] for t in plan["tags"]))
    sections[plan["section"]].refresh_from_db()
    publish(sections[plan["section"]], twin)
    return {
        "format": FORMAT,
        "pages": n,
        "seconds": round(time.perf_counter() - started, 1),
        "twin_bulk": twin_bulk,
        "twin_normal": twin.id,
        "sections": [s.id for s in sections],
    }


def edit(kind: str, info: dict[str, Any]) -> str:
    """Make one editor's change through Wagtail (revisions, signals): title or move."""
    import django

    django.setup()
    from cms.content.models import ArticlePage, SectionPage

    sections = list(SectionPage.objects.filter(id__in=info["sections"]).order_by("id"))
    middle = ArticlePage.objects.filter(depth=4).order_by("id")[info["pages"] // 2]
    if kind in ("title", "summary"):
        page = middle.get_latest_revision_as_object()
        stamp = f" [edited {time.time_ns()}]"
        setattr(page, kind, getattr(page, kind).split(" [edited")[0] + stamp)
        page.save_revision().publish()
        return f"edited the {kind} of page {page.id}"
    target = next(s for s in sections if s.id != middle.get_parent().id)
    middle.move(target, pos="last-child")
    return f"moved page {middle.id} to {target.url_path}"


# -- the benchmark --------------------------------------------------------------


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    seconds, peak, out = timed(cmd, env)
    return seconds, peak, out


def child(cms: CMSProcess, *args: str) -> str:
    """Run this script's Django half against ``cms``'s database."""
    result = subprocess.run(
        [sys.executable, __file__, *args, "--data", str(cms.data_dir)],
        cwd=ROOT,
        env=cms.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    sys.stdout.write(result.stdout)
    return result.stdout


def ensure_database(work: Path, n: int) -> tuple[CMSProcess, dict[str, Any]]:
    cms = CMSProcess(work / "cms")
    # The content cache belongs to one API URL: a CMS on a new port would mean a full
    # sync, so each size keeps its port from run to run (unless it is taken).
    stable = 20000 + n // 1000
    if _port_free(stable):
        cms.port = stable
    marker = work / "cms" / "generated.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("format") == FORMAT and info.get("pages") == n:
            print(f"database: reusing {marker.parent} (generated in {info['seconds']} s)")
            return cms, info
    shutil.rmtree(work / "cms", ignore_errors=True)
    cms.data_dir.mkdir(parents=True)
    cms.manage("migrate", "--no-input", "-v0")
    print(f"database: generating {n} pages")
    out = child(cms, "--generate", str(n))
    info = json.loads(out.strip().splitlines()[-1])
    marker.write_text(json.dumps(info))
    print(f"database: {n} pages in {info['seconds']} s")
    return cms, info


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        # As the CMS's server binds: a port left in TIME_WAIT by the last run is free.
        # Without this the CMS of a run started soon after another got a new port, so
        # its API URL differed and the next build synced and rendered everything.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_twin(cms: CMSProcess, info: dict[str, Any]) -> str:
    """Compare the API output of the bulk-inserted page and its normally published twin."""
    import requests

    def fetch(pid: int) -> dict[str, Any]:
        data = requests.get(f"{cms.api_url}pages/{pid}/", timeout=60).json()
        for key in ("id", "title"):
            data.pop(key, None)
        meta = data.pop("meta")
        data["type"] = meta["type"]
        data["parent"] = meta["parent"]["id"]
        for block in data.get("body", []):
            block.pop("id", None)
        data.pop("last_published_at", None)
        return data

    bulk, normal = fetch(info["twin_bulk"]), fetch(info["twin_normal"])
    if bulk == normal:
        return "identical (but for id, title, slug and publication times)"
    differing = sorted(k for k in set(bulk) | set(normal) if bulk.get(k) != normal.get(k))
    return f"DIFFERENT in {', '.join(differing)}"


def summary_of(out: str) -> str:
    """The build's summary, kind (patch/incremental) and stage timings lines."""
    lines = [line.strip() for line in out.strip().splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith("Built ")), None)
    if start is None:
        return "?"
    shown = [line for line in lines[start + 1 : start + 3] if not line.startswith("Deployed")]
    return "\n      ".join([lines[start], *shown])


def bench_size(n: int, hugo: bool, warm: bool) -> None:
    work = OUT / f"site-{n}"
    work.mkdir(parents=True, exist_ok=True)
    cms, info = ensure_database(work, n)
    site = work / "site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(ROOT / "site", site)
    for name in ("build", ".build.spare", "deploy", *([] if warm else ["cache"])):
        shutil.rmtree(work / name, ignore_errors=True)
    for state in ("graph.sqlite3", "links.sqlite3"):  # the first build below starts afresh
        (work / "cache" / state).unlink(missing_ok=True)
    env = {**os.environ, "JAMTAIL_DEPLOY_DIR": str(work / "deploy")}
    jamtail = [sys.executable, "-m", "jamtail.cli"]
    build = [*jamtail, "build", "--api", cms.api_url, "--out", str(work / "build")]
    build += ["--cache", str(work / "cache"), "--site", str(site), "--timings"]
    # The generated site has thousands of broken links from the corpus (the Rust blog's
    # own URLs, anchors its slugger made differently). A deploy is refused only for new
    # ones (jamtail/links/gate.py); the deploys here re-deploy one build, so allow them.
    deploy = [*jamtail, "deploy", "--target", "local", "--dir", str(work / "build")]
    deploy.append("--allow-broken-links")
    publish = [*build, "--deploy", "local"]  # what the runner does on a publish
    results: dict[str, float] = {}
    cms.start()
    try:
        print(f"API: bulk-inserted page vs normally published twin: {check_twin(cms, info)}")
        if not warm:
            # Issue 14's cold start: a new build host (an empty build cache, so a full
            # sync) against a running CMS, which keeps each page's serialised form;
            # then the rarer case of a CMS that has serialised nothing yet (after
            # `migrate`, or pages written straight to its database, as above).
            cms.manage("clear_sync_cache")
            for label, key in (
                ("cold first build, the CMS serialising every page", "cold_unserialised"),
                ("cold first build (a new build host; the CMS running)", "cold"),
            ):
                shutil.rmtree(work / "cache", ignore_errors=True)
                forget_build(work)
                seconds, peak, out = run(build, env)
                results[key] = seconds
                print(f"  {label}: {seconds:.1f} s, peak {mb(peak)}\n    {summary_of(out)}")
        # Every output rendered and written, from the synced content cache; the median
        # of runs (Hugo's figure below is a median of as many).
        full: list[tuple[float, int, str]] = []
        for _ in range(_runs(n)):
            forget_build(work)
            full.append(run(build, env))
        seconds, peak, out = sorted(full)[len(full) // 2]
        pages = int(out.split("Built ", 1)[1].split()[0])
        results["full"] = seconds
        print(
            f"  full render (no previous build; content and media caches warm): {seconds:.2f} s"
            f" (median of {_secs([f[0] for f in full])}), {pages / seconds:.0f} pages/s,"
            f" builder peak memory (PSS) {mb(max(f[1] for f in full))}\n    {summary_of(out)}"
        )
        seconds, _, out = run(deploy, env)
        print(f"  first local deploy (a new release tree): {seconds:.2f} s")
        # A site deployed before has JAMTAIL_DEPLOY_KEEP releases; from then on a deploy
        # recycles the oldest one (jamtail/deploy/local.py). Until then each is a new tree.
        warm = [run(deploy, env)[0] for _ in range(KEEP - 1)]
        print(f"  {len(warm)} more deploys to fill the {KEEP} kept releases: {_secs(warm)}")
        seconds, peak, out = run(build, env)
        print(f"  unchanged rebuild: {seconds:.2f} s, peak {mb(peak)}\n    {summary_of(out)}")
        for label, change in [
            ("one edited page (title)", lambda: child(cms, "--edit", "title")),
            ("the same page's title again", lambda: child(cms, "--edit", "title")),
            ("one edited page (summary)", lambda: child(cms, "--edit", "summary")),
            ("one template change (section_page.html)", lambda: _touch_template(site)),
            ("one page moved between sections", lambda: child(cms, "--edit", "move")),
        ]:
            change()
            # A moved page's broken links have a new source URL: new ones, for the gate.
            moved = ["--allow-broken-links"] if "moved" in label else []
            total, peak, out = run([*publish, *moved], env)
            deployed = next((x for x in out.splitlines() if x.startswith("Deployed")), "?")
            print(
                f"  {label}: build and local deploy in one process {total:.2f} s"
                f" (target < 1 s at 10,000 pages), peak {mb(peak)}\n    {summary_of(out)}"
                f"\n      {deployed}"
            )
        # A full rebuild deployed (a builder upgrade, --full), then a publish: the build
        # after a full one starts from the spare refreshed once the deploy was done.
        total, _, _ = run([*publish, "--full"], env)
        print(f"  a full rebuild, deployed, and the spare refreshed: {total:.2f} s")
        child(cms, "--edit", "title")
        total, _, out = run(publish, env)
        print(
            f"  the first title edit after it: build and local deploy {total:.2f} s"
            f"\n    {summary_of(out)}"
        )
        forked_publishes(cms, build[4:], env)
    finally:
        cms.stop()
    (work / "results.json").write_text(json.dumps(results))
    if hugo:
        bench_hugo(cms, work, n, results)


def _runs(n: int) -> int:
    """Runs of a full build (ours and Hugo's) to take the median of."""
    return 3 if n <= 10_000 else 1


def forked_publishes(cms: CMSProcess, build_args: list[str], env: dict[str, str]) -> None:
    """20 title edits, each built and deployed as a worker does: ``jamtail build --deploy
    local`` forked from the fork server (``jamtail/service/launch.py``); median and p95."""
    from jamtail.service import launch
    from jamtail.service.build import SiteBuild
    from jamtail.service.sites import Site

    state = Path(build_args[build_args.index("--out") + 1]).parent / "runner-state"
    args = [a for a in build_args if a != "--timings"] + ["--allow-broken-links"]
    worker = SiteBuild(Site(api="", build_args=args), state)
    run_env = {**worker.hook_environment({}), **env}
    launch.start()  # as the worker does when it starts (jamtail/service/commands.py)
    seconds = []
    for _ in range(20):
        child(cms, "--edit", "title")
        start = time.perf_counter()
        text, status = worker.execute(run_env)
        seconds.append(time.perf_counter() - start)
        if status != 0:
            sys.exit(f"a forked build failed ({status}):\n{text[-2000:]}")
    ordered = sorted(seconds)
    p95 = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest rank
    print(
        f"  20 title edits, each built and deployed as a worker does (forked from the"
        f" fork server): median {ordered[len(ordered) // 2]:.2f} s, p95 {p95:.2f} s"
        f" (target p95 < 0.5 s at 10,000 pages), load average {os.getloadavg()[0]:.1f}"
    )


def _secs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f} s" for v in values)


def _touch_template(site: Path) -> None:
    path = site / "templates" / "section_page.html"
    path.write_text(path.read_text().replace("{% block content %}", "{% block content %}\n", 1))


def hugo_content(content: Path, n: int) -> None:
    """Write the generated site's ``n`` pages as Markdown for Hugo (runs inside Django)."""
    import django

    django.setup()
    if not (content / ".complete").exists():
        shutil.rmtree(content, ignore_errors=True)
        docs = corpus_documents(rust_blog_content())
        for name in SECTIONS:
            (content / name.lower()).mkdir(parents=True)
            (content / name.lower() / "_index.md").write_text(f'+++\ntitle = "{name}"\n+++\n')
        for i in range(n):
            body, doc = docs[i % len(docs)]
            plan = page_plan(i, doc)
            front = {
                "title": plan["title"],
                "date": plan["date"].isoformat(),
                "tags": [f"topic {t}" for t in plan["tags"]],
                "authors": [f"Author {a:02d}" for a in plan["authors"]],
                "summary": plan["summary"],
            }
            path = content / SECTIONS[plan["section"]].lower() / f"{plan['slug']}.md"
            path.write_text("---\n" + json.dumps(front, ensure_ascii=False) + "\n---\n" + body)
        (content / ".complete").touch()


def bench_hugo(cms: CMSProcess, work: Path, n: int, ours: dict[str, float]) -> None:
    hugo = shutil.which("hugo")
    if not hugo:
        print("hugo: not installed (apt-get install hugo); no comparison")
        return
    content = work / "hugo-content"
    child(cms, "--hugo-content", str(n))
    site = hugo_site(work, content)
    runs = []
    for _ in range(_runs(n)):
        shutil.rmtree(site / "public", ignore_errors=True)
        runs.append(timed([hugo, "--quiet", "-s", str(site)], os.environ.copy())[:2])
    seconds = sorted(r[0] for r in runs)[len(runs) // 2]
    print(
        f"  hugo on the same {n} Markdown pages: {seconds:.2f} s"
        f" (median of {_secs([r[0] for r in runs])}), peak {mb(max(r[1] for r in runs))}"
    )
    for key, label, target in (
        ("full", "our full build", 1.0),
        ("cold", "our cold first build", 1.5),
        ("cold_unserialised", "our cold first build, the CMS serialising every page", 1.5),
    ):
        if key in ours:
            print(f"  ratio, {label} / hugo: {ours[key] / seconds:.2f}x (target <= {target}x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[10_000])
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument(
        "--warm", action="store_true", help="keep the content and media caches of the last run"
    )
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--edit", choices=["title", "summary", "move"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--hugo-content", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--hugo-only", action="store_true", help="compare Hugo with the last results only"
    )
    args = parser.parse_args()
    if args.hugo_content:
        hugo_content(Path(args.data).parent / "hugo-content", args.hugo_content)
        return 0
    if args.generate:
        print(json.dumps(generate(args.generate)))
        return 0
    if args.edit:
        info = json.loads((Path(args.data) / "generated.json").read_text())
        print(f"    ({edit(args.edit, info)})")
        return 0
    if not rust_blog_content().is_dir():
        print(f"{missing_message(rust_blog_content())}; nothing to measure")
        return 0
    for n in args.pages:
        print(f"== {n} pages ==")
        if args.hugo_only:
            work = OUT / f"site-{n}"
            results = json.loads((work / "results.json").read_text())
            bench_hugo(CMSProcess(work / "cms"), work, n, results)
        else:
            bench_size(n, hugo=not args.no_hugo, warm=args.warm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
