from django.urls import path

from risk import views

app_name = "risk"

urlpatterns = [
    path("oversight/", views.oversight, name="oversight"),
    path("child/<uuid:child_id>/", views.child_assessments, name="child-assessments"),
    path("child/<uuid:child_id>/new/", views.assessment_new, name="assessment-new"),
    path("<uuid:public_id>/", views.assessment_detail, name="assessment-detail"),
    path("<uuid:public_id>/review/", views.assessment_review, name="assessment-review"),
]
