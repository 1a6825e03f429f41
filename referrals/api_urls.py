from django.urls import path

from referrals.api import ReferralActionApi, ReferralDetailApi, ReferralListApi

urlpatterns = [
    path("", ReferralListApi.as_view(), name="api-referral-list"),
    path("<uuid:public_id>/", ReferralDetailApi.as_view(), name="api-referral-detail"),
    path("<uuid:public_id>/steps/<slug:action>/", ReferralActionApi.as_view(), name="api-referral-action"),
]
