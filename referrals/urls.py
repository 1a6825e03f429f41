from django.urls import path

from referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.referral_list, name="referral-list"),
    path("new/", views.referral_start, name="referral-start"),
    path("new/cse/", views.referral_start_cse, name="referral-start-cse"),
    path("queue/<slug:stage>/", views.referral_queue, name="referral-queue"),
    path("<uuid:public_id>/", views.referral_detail, name="referral-detail"),
    path("<uuid:public_id>/edit/", views.referral_edit, name="referral-edit"),
    path("<uuid:public_id>/files/<uuid:attachment_id>/", views.referral_attachment, name="referral-attachment"),
    path("<uuid:public_id>/clocks/<int:deadline_id>/<slug:verb>/", views.referral_clock, name="referral-clock"),
    path("<uuid:public_id>/<slug:action>/", views.referral_action, name="referral-action"),
]
