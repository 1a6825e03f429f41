from django.urls import path

from evolve.cases.api import (
    AwaitingMeetingApi,
    CaseAllocationsApi,
    CaseDetailApi,
    CaseListApi,
    CaseNotesApi,
    CheckAnswerApi,
    NoteShareApi,
    ReviewChecksApi,
    ReviewDecisionApi,
    ReviewQueueApi,
)

urlpatterns = [
    path("", CaseListApi.as_view(), name="api-case-list"),
    path("review/", ReviewQueueApi.as_view(), name="api-review-queue"),
    path("review/<uuid:public_id>/decision/", ReviewDecisionApi.as_view(), name="api-review-decision"),
    path("review/<uuid:public_id>/checks/", ReviewChecksApi.as_view(), name="api-review-checks"),
    path("checks/<uuid:public_id>/answer/", CheckAnswerApi.as_view(), name="api-check-answer"),
    path("awaiting-meeting/", AwaitingMeetingApi.as_view(), name="api-awaiting-meeting"),
    path("<uuid:public_id>/", CaseDetailApi.as_view(), name="api-case-detail"),
    path("<uuid:public_id>/notes/", CaseNotesApi.as_view(), name="api-case-notes"),
    path("<uuid:public_id>/notes/<uuid:note_id>/share/", NoteShareApi.as_view(), name="api-case-note-share"),
    path("<uuid:public_id>/allocations/", CaseAllocationsApi.as_view(), name="api-case-allocations"),
]
