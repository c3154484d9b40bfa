import pytest
import responses
from django.contrib.auth.models import Group
from django.core.cache import cache

from devtools.hostile_upstream import hostile_upstream
from tests.identity_provider import ADMIN_GROUP, CLIENT_ID, CLIENT_SECRET, identity_provider


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def upstream():
    """The fake API: every registered call must happen, and nothing unregistered may."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def hr_admin(django_user_model):
    user = django_user_model.objects.create_user(username="hannah", password="not-used-123")
    user.groups.add(Group.objects.get(name="HR admins"))
    return user


@pytest.fixture
def admin_client(client, hr_admin):
    """A browser session logged in as an HR admin."""
    client.force_login(hr_admin)
    return client


@pytest.fixture(scope="session")
def provider():
    """An OpenID Connect provider on loopback (tests/identity_provider.py)."""
    with identity_provider() as running:
        yield running


@pytest.fixture
def sso_settings(settings, provider):
    """Single sign-on turned on against `provider`, HR admins being its ADMIN_GROUP."""
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ADMIN_GROUPS = [ADMIN_GROUP]
    return settings


@pytest.fixture(scope="session")
def hostile():
    """The misbehaving upstream of devtools/hostile_upstream.py, on a loopback port."""
    with hostile_upstream() as server:
        yield server
