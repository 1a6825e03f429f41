from django.urls import path

from dataprotection import views

app_name = "dataprotection"
urlpatterns = [
    path("children/<uuid:public_id>/export/", views.export_start, name="export"),
    path("exports/<uuid:public_id>/", views.export_detail, name="export-detail"),
    path("exports/<uuid:public_id>/pdf/", views.export_pdf, name="export-pdf"),
    path("exports/<uuid:public_id>/json/", views.export_json, name="export-json"),
    path("exports/<uuid:public_id>/retry/", views.export_retry, name="export-retry"),
    path("retention/", views.retention_list, name="retention-list"),
    path("retention/<uuid:public_id>/", views.retention_review, name="retention-review"),
    path("holds/", views.hold_list, name="hold-list"),
    path("children/<uuid:public_id>/holds/", views.child_holds, name="child-holds"),
    path("holds/<uuid:public_id>/lift/", views.hold_lift, name="hold-lift"),
]
