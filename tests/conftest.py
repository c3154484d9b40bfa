import pytest
import responses
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone

from demo_api import start_demo_server
from plans.api import caching
from plans.api import clock as api_clock
from tests.helpers import FakeClock, FlightJoins
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


@pytest.fixture
def clock(monkeypatch):
    """The client's clock (plans.api.clock) and Django's, still until the test advances them."""
    fake = FakeClock()
    monkeypatch.setattr(api_clock, "monotonic", fake.monotonic)
    monkeypatch.setattr(api_clock, "now", fake.now)
    # Django's and post-office's time (timezone.now) moves with it.
    monkeypatch.setattr(timezone, "now", fake.datetime)
    return fake


@pytest.fixture
def flight_joins(monkeypatch):
    """Counts the callers that join a fetch under way (caching.single_flight)."""
    joins = FlightJoins()

    class CountedFuture(caching.Future):
        def result(self, timeout=None):
            joins.joined()
            return super().result(timeout)

    monkeypatch.setattr(caching, "Future", CountedFuture)
    return joins


@pytest.fixture(scope="session")
def fault_api():
    """The demo API on a loopback port, for its faults (`!fault:<faults>`, demo_api/server.py)."""
    server = start_demo_server()
    yield server
    server.stop()


@pytest.fixture
def demo_upstream(settings, fault_api):
    """Pages read the demo API's own data set, with the shared cache on (plans.organisation
    keeps its read there)."""
    from demo_api import DEMO_API_KEY, DEMO_USERNAME

    settings.PE365_API_URL = fault_api.url
    settings.PE365_API_USERNAME = DEMO_USERNAME
    settings.PE365_API_KEY = DEMO_API_KEY
    settings.PE365_CACHE_TTL = 300
    return fault_api


@pytest.fixture(scope="session")
def demo_organisation_read(fault_api):
    """The demo organisation, read once for the whole session (a read is 242 calls)."""
    from django.test import override_settings

    from demo_api import DEMO_API_KEY, DEMO_USERNAME
    from plans import organisation

    with override_settings(
        PE365_API_URL=fault_api.url,
        PE365_API_USERNAME=DEMO_USERNAME,
        PE365_API_KEY=DEMO_API_KEY,
    ):
        return organisation.read(organisation.background_client())


@pytest.fixture
def demo_organisation(demo_upstream, demo_organisation_read):
    """The demo organisation as pages find it when a read is kept: the session's read, kept
    as of now. Tests of the read itself (its calls, a Refresh) use `demo_upstream` alone."""
    from dataclasses import replace

    from plans import organisation

    org = replace(demo_organisation_read, read_at=api_clock.now())
    organisation.keep(organisation.background_client(), org)
    return org


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback collecting what it receives; mail settings point at it."""
    from aiosmtpd.controller import Controller

    from tests.helpers import CollectingHandler, free_port

    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "plans-dashboard@example.com"
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def hung_smtp_server(settings):
    """An SMTP port that accepts connections and never answers; mail settings point at it."""
    from tests.helpers import HungSMTPServer

    server = HungSMTPServer()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def send_queued_mail(tmp_path, monkeypatch):
    """Runs post-office's `manage.py send_queued_mail` with a lock file of this test's own."""
    from types import SimpleNamespace

    import post_office.mail
    from django.core.management import call_command
    from django.db import connection

    def close_unless_in_the_tests_transaction() -> None:
        if not connection.in_atomic_block:
            connection.close()

    # post-office closes the database connection for its forked workers; in a test that
    # connection may hold the test's transaction (SQLite in memory ignores the close).
    monkeypatch.setattr(
        post_office.mail,
        "db_connection",
        SimpleNamespace(close=close_unless_in_the_tests_transaction),
    )

    def run() -> None:
        call_command("send_queued_mail", lockfile=str(tmp_path / "post_office"))

    return run


@pytest.fixture
def reminder_sender(hr_admin):
    """The HR admin who sends reminders, with the address replies go to."""
    hr_admin.email = "hannah.hr@example.com"
    hr_admin.first_name, hr_admin.last_name = "Hannah", "Reyes"
    hr_admin.save()
    return hr_admin
