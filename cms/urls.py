"""URL routes of the CMS: admin, API, documents, and Wagtail's own page serving."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.content.api import api_router, extra_urlpatterns

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/preview/", include("cms.content.preview")),
    path("api/v2/sync/", include("cms.sync.urls")),
    path("api/v2/", include(extra_urlpatterns)),
    path("api/v2/", include("cms.publishing.urls")),
    path("api/v2/", include("cms.comments.urls")),
    path("api/v2/", api_router.urls),
]

if settings.DEBUG or settings.MEDIA_URL.startswith("/"):
    # The builder downloads renditions from the CMS; with file storage the CMS serves them.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
# The admin's CSS and JS under gunicorn in development (empty unless DEBUG).
urlpatterns += staticfiles_urlpatterns()

urlpatterns.append(path("", include(wagtail_urls)))
