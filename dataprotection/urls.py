from django.urls import URLPattern

app_name = "dataprotection"
urlpatterns: list[URLPattern] = []
