from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    # Before the detail pattern, so these are never taken for a plan id.
    path("export.csv", views.plan_export, name="export"),
    path("template-options/", views.template_options, name="template_options"),
    # <str:…> matches one path segment, so ids with a colon (raw or as %3A) both work.
    path("<str:api_id>/", views.plan_detail, name="detail"),
    path("<str:api_id>/panels/", views.plan_panels, name="panels"),
    path("<str:api_id>/participation/", views.plan_participation, name="participation"),
    path("<str:api_id>/users.csv", views.plan_users_export, name="users_export"),
]
