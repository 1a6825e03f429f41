"""Site URLs. Every page and API endpoint behind these requires a signed-in, two-factor-verified user, except the
sign-in pages, the accessibility statement and /healthz (see evolve.accounts.middleware)."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from evolve.health.views import healthz

# Swagger UI's split view keeps its script in a separate file (no inline script); its one small inline style block is
# allowed by hash on this page alone. If a sidecar upgrade changes it, the page still works, a little less styled.
API_DOCS = csp_update({"style-src": ["'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("", include("evolve.ui.urls")),
    path("accounts/", include("evolve.accounts.urls")),
    path("children/", include("evolve.people.urls")),
    path("referrals/", include("referrals.urls")),
    path("cases/", include("evolve.cases.urls")),
    path("risk/", include("risk.urls")),
    path("mapping/", include("mapping.urls")),
    path("meetings/", include("meetings.urls")),
    path("reports/", include("reporting.urls")),
    path("data-protection/", include("dataprotection.urls")),
    path("notifications/", include("evolve.notifications.urls")),
    path("api/", include("evolve.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", API_DOCS, name="api-docs"),
    path("healthz", healthz, name="healthz"),
    # Administrators manage users, agencies, teams and API tokens; no child's record is registered here.
    path("admin/", admin.site.urls),
]

handler400 = "evolve.ui.views.bad_request"
handler403 = "evolve.ui.views.permission_denied"
handler404 = "evolve.ui.views.page_not_found"
handler500 = "evolve.ui.views.server_error"
