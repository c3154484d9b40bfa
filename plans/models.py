from django.db import models


class Plan(models.Model):  # noqa: DJ008 - never instantiated
    """Conversation plans live in Perform & Engage 365; the dashboard stores none.

    This unmanaged model has no table. It exists to own the `plans.view_plans` and
    `plans.send_reminders` permissions (granted through the "HR admins" group) and to give
    django-filter the model its FilterSet insists on reading, without ever being queried.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_plans", "Can view conversation plans"),
            ("send_reminders", "Can send reminders and managers' lists"),
        ]
