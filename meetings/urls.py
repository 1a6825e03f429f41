from django.urls import path

from meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="meeting-list"),
    path("new/", views.meeting_new, name="meeting-new"),
    path("decision/<uuid:decision_id>/new/", views.meeting_for_decision, name="meeting-for-decision"),
    path("actions/", views.my_actions, name="my-actions"),
    path("actions/<uuid:public_id>/done/", views.action_done, name="action-done"),
    path("escalations/", views.escalations, name="escalations"),
    path("<uuid:public_id>/", views.meeting_detail, name="meeting-detail"),
    path("<uuid:public_id>/minutes/", views.minutes_download, name="minutes"),
    path("<uuid:public_id>/<slug:action>/", views.meeting_action, name="meeting-action"),
    path("<uuid:public_id>/children/<uuid:item_id>/", views.item_detail, name="item-detail"),
    path("<uuid:public_id>/children/<uuid:item_id>/extract/", views.item_extract, name="item-extract"),
    path("<uuid:public_id>/children/<uuid:item_id>/<slug:action>/", views.item_action, name="item-action"),
]
