from django.contrib.auth.decorators import login_not_required
from django.urls import path

from sso import views

# The names are mozilla-django-oidc's: it reverses "oidc_authentication_callback" to
# build the redirect URI it sends the provider.
urlpatterns = [
    path(
        "authenticate/",
        login_not_required(views.SignInView.as_view()),
        name="oidc_authentication_init",
    ),
    path(
        "callback/",
        login_not_required(views.CallbackView.as_view()),
        name="oidc_authentication_callback",
    ),
]
