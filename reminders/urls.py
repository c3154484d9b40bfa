from django.urls import path

from reminders import remind, views

app_name = "reminders"

# Included at the site's root: the outbox, and the send pages beside the pages they act on.
urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("plans/<str:api_id>/remind/", remind.plan_remind, name="remind"),
    path("outstanding/<str:manager_api_id>/remind/", remind.manager_list, name="manager_list"),
]
