from django.urls import path

from reporting.api import ReportDetailApi, ReportListApi, ReportRebuildApi

urlpatterns = [
    path("", ReportListApi.as_view(), name="api-reports-list"),
    path("rebuild/", ReportRebuildApi.as_view(), name="api-reports-rebuild"),
    path("<uuid:public_id>/", ReportDetailApi.as_view(), name="api-reports-detail"),
]
