"""Shareable preview links: a signed URL that shows a page's latest draft to anyone holding it.

An editor makes one from the page's header menu ("Share preview", see
``wagtail_hooks.py`` and ``share_views.py``) for a reviewer with no CMS
account, choosing its lifetime (:data:`DEFAULT_DAYS`, at most
:data:`MAX_DAYS`). Each link is a :class:`PreviewLink` row, so the page lists
its links (who made each, when it expires) and any can be revoked.

The URL is the front end's preview URL (``JAMTAIL_PREVIEW_URL``) with
``?share=<token>``; the token is ``django.core.signing.dumps({"link": id,
"page": id})`` with the key ``JAMTAIL_PREVIEW_LINK_SECRET`` (default the
CMS's ``SECRET_KEY``) and its own salt, so Wagtail preview tokens and share
tokens are never interchangeable. :func:`draft_for_link` checks, in order,
the signature (and that it is younger than :data:`MAX_DAYS`), the row, its
revocation and its expiry, and answers the page's latest revision each time
(the reviewer sees today's draft, not the one that was shared).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.http import urlencode
from wagtail.models import Page, Site
from wagtail_headless_preview.models import get_client_root_url_from_site

DEFAULT_DAYS = 7
MAX_DAYS = 30
SALT = "jamtail.build.preview-link"
ASK = "Ask the person who shared it for a new link."


class LinkRefused(Exception):
    """A share token the CMS refuses: ``status``, ``code`` and a message for the reviewer."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class PreviewLink(models.Model):
    """One shareable preview link of a page (see the module docstring)."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "content"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"preview link {self.pk} of page {self.page_id}"

    @classmethod
    def make(cls, page: Page, user: Any, days: int) -> PreviewLink:
        """A new link to ``page`` by ``user`` valid ``days`` days; ``ValueError`` outside 1-30."""
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"a preview link lasts 1 to {MAX_DAYS} days, not {days}")
        expires = timezone.now() + dt.timedelta(days=days)
        return cls.objects.create(page=page, created_by=user, expires_at=expires)

    @property
    def status(self) -> str:
        """``"active"``, ``"revoked"`` or ``"expired"``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"

    @property
    def token(self) -> str:
        return signing.dumps({"link": self.pk, "page": self.page_id}, key=_secret(), salt=SALT)

    def url(self) -> str:
        """The link a reviewer opens: the front end's ``/preview/`` with ``?share=<token>``."""
        site = self.page.get_site() or Site.objects.filter(is_default_site=True).first()
        return get_client_root_url_from_site(site) + "?" + urlencode({"share": self.token})

    def revoke(self, user: Any) -> None:
        if self.revoked_at is None:
            self.revoked_at, self.revoked_by = timezone.now(), user
            self.save(update_fields=["revoked_at", "revoked_by"])


def _secret() -> str:
    return getattr(settings, "JAMTAIL_PREVIEW_LINK_SECRET", "") or settings.SECRET_KEY


def draft_for_link(token: str) -> Page:
    """The latest draft of the page a share token names; :class:`LinkRefused` otherwise.

    ===  ==================  ==============================================
    403  ``invalid_link``    the signature does not verify (forged, tampered)
    410  ``link_expired``    past its lifetime (or older than 30 days)
    410  ``link_revoked``    revoked by an editor
    404  ``page_not_found``  the page was deleted
    ===  ==================  ==============================================
    """
    try:
        data = signing.loads(token, key=_secret(), salt=SALT, max_age=MAX_DAYS * 86400 + 60)
    except signing.SignatureExpired as exc:
        raise LinkRefused(410, "link_expired", f"This preview link has expired. {ASK}") from exc
    except signing.BadSignature as exc:
        raise LinkRefused(403, "invalid_link", f"This preview link is not valid. {ASK}") from exc
    link = PreviewLink.objects.filter(pk=data.get("link"), page_id=data.get("page")).first()
    if link is None:
        raise LinkRefused(404, "page_not_found", f"The page of this preview link is gone. {ASK}")
    if link.status == "revoked":
        raise LinkRefused(410, "link_revoked", f"This preview link has been revoked. {ASK}")
    if link.status == "expired":
        raise LinkRefused(410, "link_expired", f"This preview link has expired. {ASK}")
    page = link.page.specific
    return page.get_latest_revision_as_object() if page.latest_revision_id else page
