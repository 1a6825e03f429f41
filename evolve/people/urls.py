from django.urls import path

from evolve.people import views

app_name = "people"
urlpatterns = [
    path("", views.child_list, name="child-list"),
    path("new/", views.child_create_page, name="child-create"),
    path("emergency-reviews/", views.breakglass_review_list, name="breakglass-review-list"),
    path("emergency-reviews/<uuid:public_id>/", views.breakglass_review, name="breakglass-review"),
    path("<uuid:public_id>/", views.child_detail, name="child-detail"),
    path("<uuid:public_id>/change/", views.child_edit, name="child-edit"),
    path("<uuid:public_id>/emergency/", views.child_break_glass, name="child-break-glass"),
    path("<uuid:public_id>/names/", views.child_alias_create, name="child-alias-create"),
    path("<uuid:public_id>/addresses/", views.child_address_create, name="child-address-create"),
    path("<uuid:public_id>/references/", views.child_identifier_create, name="child-identifier-create"),
    path("<uuid:public_id>/access-report/", views.child_access_report, name="child-access-report"),
    path("<uuid:public_id>/access-report/grants/", views.child_access_grant_create, name="child-access-grant-create"),
]
