"""Write many brand-new pages at once: tree rows, first revisions, publication, redirects.

Wagtail's own path for one new page (``add_child``, ``save_revision``,
``revision.publish()``) takes about 190 queries: treebeard reads the last
sibling and updates the parent, ``full_clean`` runs twice, the publish reloads
the page from its revision and saves it again, and every save fans out to
signal handlers. For a page nobody has seen yet none of that is needed, so the
importer writes a batch of new pages in a few statements per table and leaves
every row exactly as that path would (see ``tests/test_import_bulk.py``):

:func:`add_children`
    treebeard materialised paths (``path``/``depth``/``numchild``, steplen and
    alphabet of :class:`~wagtail.models.Page`) for new last children of one
    parent, ``url_path``, ``draft_title`` and the parent's locale; then the
    ``wagtailcore_page`` rows in one ``bulk_create`` and each page type's own
    rows in one ``INSERT`` (Django cannot ``bulk_create`` a multi-table model).
:func:`publish_new`
    tags and authors, one :class:`~wagtail.models.Revision` per page, then the
    fields ``PublishRevisionAction`` sets (``live``, ``live_revision``,
    ``first_published_at``...; drafts stay ``live=False`` with a latest
    revision only), a ``wagtail.publish`` log entry, the search index and the
    reference index. The ``page_published`` signal is not sent: its one
    receiver that matters to Jamtail (the build outbox, which writes the sync
    change log) is called directly, once per batch.

Callers run these inside their own transaction; nothing here commits.
Raises ``treebeard.exceptions.PathOverflow`` when a parent has no free path
step left (36**4 children per parent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import CharField, F, Model, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from modelcluster.models import get_all_child_relations
from treebeard.exceptions import PathOverflow
from wagtail.models import Page, PageLogEntry, Revision
from wagtail.search.backends import get_search_backends
from wagtail.tasks import update_reference_index_task

from cms.publishing.outbox import record_change


def add_children(parent: Page, pages: list[Page]) -> None:
    """Insert unsaved ``pages`` (specific instances) as the last children of ``parent``.

    Their slugs must already be unique among the parent's children (the
    importer's :class:`~cms.importer.slugs.SiblingSlugs`). Sets each page's
    ``pk``; raises ``PathOverflow`` when the parent runs out of path steps.
    """
    if not pages:
        return
    last = (
        Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    step = Page._str2int(last[-Page.steplen :]) if last else 0
    depth = parent.depth + 1
    for page in pages:
        step += 1
        key = Page._int2str(step)
        if len(key) > Page.steplen:
            raise PathOverflow(f"page {parent.pk} has no room for another child page")
        page.path = Page._get_path(parent.path, depth, step)
        page.depth = depth
        page.numchild = 0
        page.url_path = f"{parent.url_path}{page.slug}/"
        page.draft_title = page.title
        page.locale_id = parent.locale_id
    _insert_pages(pages)
    Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + len(pages))
    parent.numchild += len(pages)


def _insert_pages(pages: list[Page]) -> None:
    base_fields = [f for f in Page._meta.concrete_fields if not f.primary_key]
    rows = [Page(**{f.attname: getattr(p, f.attname) for f in base_fields}) for p in pages]
    Page.objects.bulk_create(rows, batch_size=_batch_size(base_fields))
    for page, row in zip(pages, rows, strict=True):
        page.pk = page.id = row.pk
        page._state.adding = False
        page._state.db = row._state.db
    by_model: dict[type[Model], list[Page]] = defaultdict(list)
    for page in pages:
        by_model[type(page)].append(page)
    for model, objs in by_model.items():
        if model is Page:
            continue
        # One INSERT per page type of its own columns: what Model.save_base() runs for a
        # child table, batched (bulk_create refuses multi-table inheritance).
        fields = list(model._meta.local_concrete_fields)
        size = _batch_size(fields)
        for start in range(0, len(objs), size):
            model._base_manager._insert(objs[start : start + size], fields=fields)


def _batch_size(fields: list[Any]) -> int:
    return max(1, min(500, 999 // max(1, len(fields))))


def publish_new(pages: list[Page], live: Iterable[Page]) -> None:
    """Save the first revision of each new page and publish those in ``live``.

    ``pages`` were made by :func:`add_children` and have since been given their
    content (body, in-memory tags and authors); the others stay drafts. Leaves
    pages, revisions, log entries, the search and reference indexes and the
    sync change log as ``save_revision()`` then ``publish()`` would.
    """
    if not pages:
        return
    live_ids = {p.pk for p in live}
    _save_child_relations(pages)
    now = timezone.now()
    page_type = ContentType.objects.get_for_model(Page)
    revisions = []
    for page in pages:
        revisions.append(
            Revision(
                content_type_id=page.content_type_id,
                base_content_type=page_type,
                object_id=str(page.pk),
                content=page.serializable_data(),
                object_str=str(page),
                created_at=now,
            )
        )
    Revision.objects.bulk_create(revisions, batch_size=200)
    for page, revision in zip(pages, revisions, strict=True):
        page.latest_revision = revision
        page.latest_revision_created_at = revision.created_at
        page.draft_title = page.title
        if page.pk in live_ids:
            page.live = True
            page.has_unpublished_changes = False
            page.expired = False
            page.first_published_at = page.last_published_at = now
            page.live_revision = revision
        else:
            page.live = False
            page.has_unpublished_changes = True
    _update_page_rows([p for p in pages if p.pk in live_ids], page_type, live=True, now=now)
    _update_page_rows([p for p in pages if p.pk not in live_ids], page_type, live=False, now=now)
    _update_own_fields(pages)
    published = [p for p in pages if p.pk in live_ids]
    PageLogEntry.objects.bulk_create(
        [
            PageLogEntry(
                content_type_id=page.content_type_id,
                label=page.get_admin_display_title(),
                action="wagtail.publish",
                timestamp=now,
                data={},
                revision=page.live_revision,
                content_changed=True,
                page_id=page.pk,
            )
            for page in published
        ],
        batch_size=200,
    )
    _index(pages)
    if published:
        record_change("publish", published)


def _save_child_relations(pages: list[Page]) -> None:
    """Insert the in-memory tags and authors (modelcluster relations) in bulk.

    A new page has no other child rows, so every relation not set in memory is
    made an empty in-memory one: serialising the revision then reads nothing.
    """
    children: dict[type[Model], list[Model]] = defaultdict(list)
    for page in pages:
        related = page.__dict__.setdefault("_cluster_related_objects", {})
        for relation in get_all_child_relations(type(page)):
            name = relation.get_accessor_name()
            for child in related.setdefault(name, []):
                setattr(child, relation.field.attname, page.pk)
                children[type(child)].append(child)
    for model, objs in children.items():
        model.objects.bulk_create(objs, batch_size=200)


def _update_page_rows(pages: list[Page], page_type: ContentType, live: bool, now: Any) -> None:
    """One UPDATE for the publish fields of ``pages``; each one's revision found by a subquery.

    (``bulk_update``'s ``CASE WHEN`` over nine columns costs more than the rest
    of the batch together.)
    """
    if not pages:
        return
    revision = (
        Revision.objects.filter(
            base_content_type=page_type, object_id=Cast(OuterRef("pk"), CharField())
        )
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    values: dict[str, Any] = {
        "live": live,
        "has_unpublished_changes": not live,
        "latest_revision_id": Subquery(revision),
        "latest_revision_created_at": now,
        "draft_title": F("title"),
    }
    if live:
        values.update(
            expired=False,
            first_published_at=now,
            last_published_at=now,
            live_revision_id=Subquery(revision),
        )
    Page.objects.filter(pk__in=[p.pk for p in pages]).update(**values)


def _update_own_fields(pages: list[Page]) -> None:
    """Write each page type's own columns (body, intro, date...) set since the insert."""
    for page in pages:
        model = type(page)
        values = {
            f.attname: getattr(page, f.attname)
            for f in model._meta.local_concrete_fields
            if not f.primary_key
        }
        if values:
            model._base_manager.filter(pk=page.pk).update(**values)


def _index(pages: list[Page]) -> None:
    """Search index (Wagtail's admin search) and reference index of new pages."""
    by_model: dict[type[Model], list[Page]] = defaultdict(list)
    for page in pages:
        by_model[type(page)].append(page)
    for backend in get_search_backends(with_auto_update=True):
        for model, objs in by_model.items():
            backend.add_bulk(model, objs)
    for page in pages:
        # What Wagtail's post_save handler does for every saved page: the task runs in the
        # worker (at once with the immediate backend), keeping the import's batches short.
        update_reference_index_task.enqueue(
            page._meta.app_label, page._meta.model_name, str(page.pk)
        )


def supports_bulk_insert() -> bool:
    """Whether the database returns the ids of bulk-inserted rows (SQLite 3.35+, PostgreSQL)."""
    return bool(connection.features.can_return_rows_from_bulk_insert)
