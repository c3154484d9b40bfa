from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    # <str:…> matches one path segment, so ids with a colon (raw or as %3A) both work.
    path("<str:api_id>/", views.plan_detail, name="detail"),
]
