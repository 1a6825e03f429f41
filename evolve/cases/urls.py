from django.urls import path

from evolve.cases import quality_views, views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("review/", views.review_queue, name="review-queue"),
    path("review/<uuid:public_id>/", views.review_detail, name="review-detail"),
    path("review/<uuid:public_id>/<slug:action>/", views.review_action, name="review-action"),
    path("checks/", views.check_list, name="check-list"),
    path("checks/<uuid:public_id>/", views.check_detail, name="check-detail"),
    path("escalations/", views.escalation_list, name="escalation-list"),
    path("escalations/<uuid:public_id>/", views.escalation_detail, name="escalation-detail"),
    path("awaiting-meeting/", views.awaiting_meeting, name="awaiting-meeting"),
    path("caseloads/", views.caseload_list, name="caseloads"),
    path("child/<uuid:child_id>/", views.child_case, name="child-case"),
    path("<uuid:public_id>/", views.case_detail, name="case-detail"),
    path("<uuid:public_id>/allocations/<uuid:allocation_id>/end/", views.allocation_end_view, name="allocation-end"),
    path("<uuid:public_id>/notes/<uuid:note_id>/share/", views.note_share, name="note-share"),
    path("<uuid:public_id>/<slug:action>/", views.case_action, name="case-action"),
]

# The monthly quality assurance sample (seed 003).

urlpatterns += [
    path("quality/", quality_views.quality_samples, name="quality-samples"),
    path("quality/<uuid:public_id>/", quality_views.quality_sample, name="quality-sample"),
    path("quality/audit/<uuid:public_id>/", quality_views.case_audit, name="case-audit"),
]
