from django.db import models


class Action(models.TextChoices):
    """What someone did with personal data (or that they signed in)."""

    EXPORT_PLANS = "export_plans", "Export of plans"
    EXPORT_PLAN_USERS = "export_plan_users", "Export of a plan's users"
    PARTICIPATION_VIEW = "participation_view", "Participation view"
    ASSIGNED_USERS_VIEW = "assigned_users_view", "Assigned users view"
    PERSON_LOOKUP = "person_lookup", "Person lookup"
    OUTSTANDING_VIEW = "outstanding_view", "People still to act, organisation-wide"
    EXPORT_OUTSTANDING = "export_outstanding", "Export of people still to act"
    DATA_ISSUES_VIEW = "data_issues_view", "People whose records need fixing"
    SIGN_IN = "sign_in", "Sign-in"
    SEND_REMINDERS = "send_reminders", "Reminders sent"
    SEND_DIGEST = "send_digest", "Manager's list sent"
