from django.urls import path

from meetings.api import (
    ActionDoneApi,
    AgendaAddApi,
    AgendaRefreshApi,
    AmendmentApi,
    AttendanceApi,
    AttendanceRemoveApi,
    EscalationListApi,
    ItemActionsApi,
    ItemAllocationsApi,
    ItemApi,
    ItemEscalationApi,
    MeetingCloseApi,
    MeetingDetailApi,
    MeetingForDecisionApi,
    MeetingListApi,
    MinutesApi,
    MyActionsApi,
)

urlpatterns = [
    path("", MeetingListApi.as_view(), name="api-meeting-list"),
    path("for-decision/", MeetingForDecisionApi.as_view(), name="api-meeting-for-decision"),
    path("actions/", MyActionsApi.as_view(), name="api-meeting-my-actions"),
    path("actions/<uuid:public_id>/done/", ActionDoneApi.as_view(), name="api-meeting-action-done"),
    path("escalations/", EscalationListApi.as_view(), name="api-meeting-escalations"),
    path("<uuid:public_id>/", MeetingDetailApi.as_view(), name="api-meeting-detail"),
    path("<uuid:public_id>/agenda/", AgendaAddApi.as_view(), name="api-meeting-agenda"),
    path("<uuid:public_id>/agenda/refresh/", AgendaRefreshApi.as_view(), name="api-meeting-agenda-refresh"),
    path("<uuid:public_id>/attendance/", AttendanceApi.as_view(), name="api-meeting-attendance"),
    path("<uuid:public_id>/attendance/remove/", AttendanceRemoveApi.as_view(), name="api-meeting-attendance-remove"),
    path("<uuid:public_id>/close/", MeetingCloseApi.as_view(), name="api-meeting-close"),
    path("<uuid:public_id>/amendments/", AmendmentApi.as_view(), name="api-meeting-amendments"),
    path("<uuid:public_id>/minutes/", MinutesApi.as_view(), name="api-meeting-minutes"),
    path("<uuid:public_id>/items/<uuid:item_id>/", ItemApi.as_view(), name="api-meeting-item"),
    path("<uuid:public_id>/items/<uuid:item_id>/actions/", ItemActionsApi.as_view(), name="api-meeting-item-actions"),
    path(
        "<uuid:public_id>/items/<uuid:item_id>/allocations/",
        ItemAllocationsApi.as_view(),
        name="api-meeting-item-allocations",
    ),
    path(
        "<uuid:public_id>/items/<uuid:item_id>/escalation/",
        ItemEscalationApi.as_view(),
        name="api-meeting-item-escalation",
    ),
]
