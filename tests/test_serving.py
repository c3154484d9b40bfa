"""Production serving as `make serve` does it: gunicorn.conf.py, DEBUG off, whitenoise."""

import re
import subprocess
import time
from pathlib import Path

import pytest
import requests

from devtools.servers import (
    PYTHON,
    ROOT,
    dashboard,
    dashboard_env,
    demo_api,
    session_cookie,
)

pytestmark = pytest.mark.e2e


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text()
    return [int(pid) for pid in children.split()]


@pytest.fixture(scope="module")
def api():
    with demo_api() as server:
        yield server


@pytest.fixture(scope="module")
def production(api, tmp_path_factory):
    """The dashboard under gunicorn with DEBUG off; yields (url, env, master pid file)."""
    tmp = tmp_path_factory.mktemp("serve")
    env = dashboard_env(
        api.url,
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback; TLS ends at the proxy
        DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="3",
    )
    pid_file = tmp / "gunicorn.pid"
    with dashboard(env, server="gunicorn", gunicorn_args=("--pid", str(pid_file))) as url:
        yield url, env, pid_file


def test_gunicorn_starts_the_configured_number_of_workers(production):
    _, _, pid_file = production
    assert len(worker_pids(int(pid_file.read_text()))) == 2


def test_the_gunicorn_config_defaults_suit_an_io_bound_service_and_read_the_environment():
    def config(**overrides: str) -> dict[str, str]:
        env = dashboard_env(None, DJANGO_DEBUG="1")
        for knob in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "HOST", "PORT"):
            env.pop(knob, None)  # the developer's own settings must not leak in
        done = subprocess.run(
            [PYTHON, "-m", "gunicorn", "--print-config"],
            cwd=ROOT,
            env={**env, **overrides},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return dict(re.findall(r"^(\w+)\s+= (.*)$", done.stdout, re.MULTILINE))

    defaults = config()
    assert defaults["wsgi_app"] == "dashboard.wsgi"
    assert defaults["worker_class"] == "dashboard.serving.QueueStampingWorker"
    assert (defaults["workers"], defaults["threads"]) == ("2", "16")
    assert defaults["bind"] == "['127.0.0.1:8000']"

    tuned = config(WEB_CONCURRENCY="3", GUNICORN_THREADS="8", HOST="localhost", PORT="9000")
    assert (tuned["workers"], tuned["threads"]) == ("3", "8")
    assert tuned["bind"] == "['localhost:9000']"


def test_static_files_are_hashed_compressed_and_cached_for_ever(production):
    url, _, _ = production
    login_page = requests.get(f"{url}/accounts/login/", timeout=10).text
    css = re.search(r'href="(/static/css/dashboard\.[0-9a-f]{12}\.css)"', login_page)
    assert css, "templates link the hashed file name from the manifest"

    response = requests.get(url + css[1], headers={"Accept-Encoding": "gzip"}, timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=315360000" in response.headers["Cache-Control"]


def test_a_logged_in_admin_gets_the_list_with_one_upstream_call(production, api):
    url, env, _ = production
    cookie = {"Cookie": f"sessionid={session_cookie(env)}"}
    api.reset_stats()

    response = requests.get(f"{url}/plans/", headers=cookie, timeout=10, allow_redirects=False)

    assert response.status_code == 200
    assert "Showing 1–25 of 150 plans" in " ".join(response.text.split())
    assert api.calls() == 1


@pytest.mark.parametrize(
    ("variable", "value"),
    [("WEB_CONCURRENCY", "0"), ("WEB_CONCURRENCY", "65"), ("GUNICORN_THREADS", "four")],
)
def test_gunicorn_refuses_a_bad_worker_or_thread_count(variable, value):
    env = dashboard_env(None, DJANGO_DEBUG="1", **{variable: value})
    done = subprocess.run(
        [PYTHON, "-m", "gunicorn", "--check-config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert f"{variable} must be a whole number from 1 to 64, not {value!r}." in done.stderr


@pytest.fixture
def locked_database(production):
    """Another process holds the dashboard's SQLite file locked (BEGIN EXCLUSIVE)."""
    import sqlite3

    _, env, _ = production
    cookie = session_cookie(env)  # signed in before the lock
    holder = sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///"), timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield {"Cookie": f"sessionid={cookie}"}
    finally:
        holder.rollback()
        holder.close()


def test_with_the_database_locked_pages_are_a_503_naming_it_and_health_checks_answer(
    production, locked_database
):
    url, _, _ = production
    cookie = locked_database
    for path in ("/plans/", "/accounts/login/"):
        response = requests.get(f"{url}{path}", headers=cookie, timeout=30, allow_redirects=False)
        assert response.status_code == 503, path
        assert "The dashboard&#x27;s database is not answering" in response.text
        assert "(SQLite)" in response.text
        assert response.elapsed.total_seconds() < 5 + 1 + 1, "SQLite's lock wait, then the page"
    assert requests.get(f"{url}/healthz", headers=cookie, timeout=5).status_code == 200
    # /readyz answers at once with its last check and starts a new one: ask until it ran.
    deadline = time.monotonic() + 30
    while "database" not in (readiness := requests.get(f"{url}/readyz", timeout=5)).text:
        assert time.monotonic() < deadline, readiness.text
        time.sleep(0.5)
    assert readiness.status_code == 503
    assert readiness.text.startswith("not ready: database: database is locked")
