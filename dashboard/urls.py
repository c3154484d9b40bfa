from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from plans import health
from plans.login import LoginView
from plans.views import outstanding, overview, people
from sso.views import LogoutView, password_login_switch

urlpatterns = [
    path("", overview.overview, name="overview"),
    # Only log in and log out from django.contrib.auth: its password-reset views need
    # no login and would send mail; an administrator resets passwords in the admin.
    path("accounts/login/", password_login_switch(LoginView.as_view()), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    # One login form for everyone, so the throttle cannot be bypassed through the admin's.
    path(
        "admin/login/",
        login_not_required(
            RedirectView.as_view(pattern_name="login", query_string=True, permanent=False)
        ),
    ),
    path("admin/", admin.site.urls),
    # Single sign-on: /oidc/authenticate/ and the provider's redirect URI /oidc/callback/.
    path("oidc/", include("sso.urls")),
    path("plans/", include("plans.urls")),
    path("people/", people.people, name="people"),
    # Across the organisation (plans.organisation): who is still to act, by manager.
    path("outstanding/", outstanding.outstanding, name="outstanding"),
    path("outstanding.csv", outstanding.outstanding_export, name="outstanding_export"),
    path("outstanding/data-issues/", outstanding.data_issues, name="data_issues"),
    path("completion/", outstanding.completion, name="completion"),
    path("", include("reminders.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

# A database error outside any view (the session read or save) is a 503 naming the database.
handler500 = "plans.middleware.server_error"
