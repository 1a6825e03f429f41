from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("rebuild/", views.report_rebuild, name="rebuild"),
    path("<uuid:public_id>/", views.report_detail, name="detail"),
    path("<uuid:public_id>/pdf/", views.report_pdf, name="pdf"),
    path("<uuid:public_id>/csv/", views.report_csv, name="csv"),
]
