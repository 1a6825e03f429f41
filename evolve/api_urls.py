"""The REST API, under /api/. Each app adds its endpoints here."""

from django.urls import include, path

urlpatterns = [
    path("children/", include("evolve.people.api_urls")),
    path("referrals/", include("referrals.api_urls")),
    path("cases/", include("evolve.cases.api_urls")),
    path("risk/", include("risk.api_urls")),
    path("meetings/", include("meetings.api_urls")),
    path("mapping/", include("mapping.api_urls")),
    path("reports/", include("reporting.api_urls")),
]
