"""URL map: the CbM API under /query/, cached chip files under /dump/, the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import common.schema  # noqa: F401  (registers the Basic scheme before a schema is generated)
from demo import views
from inspection.web import urls as inspection_urls

# Errors outside the views answer JSON under /query/ and /dump/ (common.fallbacks).
handler400 = "common.fallbacks.bad_request"
handler404 = "common.fallbacks.page_not_found"
handler500 = "common.fallbacks.server_error"

admin.site.site_header = "cbmweb operations"
admin.site.site_title = "cbmweb"
admin.site.index_title = "Scenes, parcels, users, usage and the chip cache"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("query/", include("parcels.web.urls")),
    path("query/", include("chips.web.urls")),
    path("query/", include("markers.web.urls")),
    path("query/", include(inspection_urls.api_urlpatterns)),
    path("inspect/", include(inspection_urls.page_urlpatterns)),
    path("query/", include("background.web.urls")),
    path("query/", include("weather.web.urls")),
    path("background/", include("background.web.tile_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The schema rendered (Swagger UI); the split view loads its script from a URL, not
    # inline, so the pages' Content-Security-Policy stays as it is.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="common/api_docs.html"
        ),
        name="api-docs",
    ),
    path("", include("chips.web.dump_urls")),
    path("", views.home, name="home"),
]
