from django.urls import path

from plans.views import plan, plan_list, rounds

app_name = "plans"

urlpatterns = [
    path("", plan_list.plan_list, name="list"),
    # Before the detail pattern, so these are never taken for a plan id.
    path("export.csv", plan_list.plan_export, name="export"),
    path("template-options/", plan_list.template_options, name="template_options"),
    # <str:…> matches one path segment, so ids with a colon (raw or as %3A) both work.
    path("<str:api_id>/", plan.plan_detail, name="detail"),
    path("<str:api_id>/panels/", plan.plan_panels, name="panels"),
    path(
        "<str:api_id>/panels/template/",
        plan.plan_panels,
        {"panel": "template"},
        name="template_panel",
    ),
    path(
        "<str:api_id>/panels/progress/",
        plan.plan_panels,
        {"panel": "progress"},
        name="progress_panel",
    ),
    path("<str:api_id>/participation/", plan.plan_participation, name="participation"),
    path("<str:api_id>/users.csv", plan.plan_users_export, name="users_export"),
    path("<str:api_id>/rounds/", rounds.plan_rounds, name="rounds"),
]
