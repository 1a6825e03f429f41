from django.urls import path

from evolve.ui import views

app_name = "ui"
urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
]
