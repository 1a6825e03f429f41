from django.urls import path

from evolve.people.api import ChildDetailApi, ChildListApi

urlpatterns = [
    path("", ChildListApi.as_view(), name="api-child-list"),
    path("<uuid:public_id>/", ChildDetailApi.as_view(), name="api-child-detail"),
]
