"""Admin views of shareable preview links (``preview_links.py``): list, make, revoke.

``/admin/preview-links/<page id>/`` lists the page's links (who made each, when it
expires, its status) with a form to make one; ``.../<link id>/revoke/`` revokes.
Anyone who may edit the page may share and revoke its previews; changes are POSTs
with Django's CSRF token.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from wagtail.models import Page

from .preview_links import DEFAULT_DAYS, MAX_DAYS, PreviewLink


class ShareForm(forms.Form):
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=f"1 to {MAX_DAYS} days. The link always shows the latest draft.",
    )


def _editable_page(request: HttpRequest, page_id: int) -> Page:
    page = get_object_or_404(Page, pk=page_id).specific
    if not page.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    return page


def index(request: HttpRequest, page_id: int) -> HttpResponse:
    """The page's links and the form to make one; a POST makes one and shows its URL."""
    page = _editable_page(request, page_id)
    form = ShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        link = PreviewLink.make(page, request.user, form.cleaned_data["days"])
        messages.success(request, "Preview link made: copy it from the list below.")
        return redirect(reverse("preview_links:index", args=[page.pk]) + f"#link-{link.pk}")
    links = PreviewLink.objects.filter(page=page).select_related("created_by", "revoked_by")
    return render(
        request,
        "content/preview_links.html",
        {"page": page, "form": form, "links": links, "title": f"Share a preview: {page.title}"},
    )


@require_POST
def revoke(request: HttpRequest, page_id: int, link_id: int) -> HttpResponse:
    page = _editable_page(request, page_id)
    link = get_object_or_404(PreviewLink, pk=link_id, page=page)
    link.revoke(request.user)
    messages.success(request, "Preview link revoked: it no longer opens the draft.")
    return redirect("preview_links:index", page.pk)
