from django.urls import path

from risk.api import AssessmentDetailApi, AssessmentListApi, AssessmentReviewApi, CatalogueApi, OversightApi

urlpatterns = [
    path("catalogue/", CatalogueApi.as_view(), name="api-risk-catalogue"),
    path("assessments/", AssessmentListApi.as_view(), name="api-risk-assessment-list"),
    path("assessments/<uuid:public_id>/", AssessmentDetailApi.as_view(), name="api-risk-assessment-detail"),
    path("assessments/<uuid:public_id>/review/", AssessmentReviewApi.as_view(), name="api-risk-assessment-review"),
    path("oversight/", OversightApi.as_view(), name="api-risk-oversight"),
]
