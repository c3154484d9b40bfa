"""Start the real programs for end-to-end tests and benchmarks: the demo API and the dashboard.

Both run as separate processes on free loopback ports and talk real HTTP, so the
client path under test is exactly the one production uses.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
E2E_USER = "e2e-admin"
E2E_PASSWORD = "e2e-password-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, *, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            requests.get(url, timeout=1, allow_redirects=False)
            return
        # gunicorn listens before its workers have loaded the app: a first read may time out.
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout} s")


@contextmanager
def running(
    args: list[str], *, env: dict[str, str], ready_url: str, timeout: float = 30
) -> Iterator[None]:
    """Run `args` until the block ends; on failure, show the tail of its output."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(ready_url, process=process, timeout=timeout)
            yield
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass(frozen=True)
class DemoAPI:
    url: str

    def stats(self) -> dict:
        return requests.get(f"{self.url}/_demo/stats", timeout=5).json()

    def reset_stats(self) -> None:
        requests.post(f"{self.url}/_demo/stats/reset", timeout=5)

    def calls(self) -> int:
        return self.stats()["requests"]


@contextmanager
def demo_api(
    *,
    latency_ms: float = 0,
    fault: str = "NONE",
    plans: int | None = None,
    people: int | None = None,
) -> Iterator[DemoAPI]:
    """The demo API; `plans` makes it serve that many generated plans (slower to start)."""
    port = free_port()
    args = [PYTHON, "-m", "demo_api", "--port", str(port)]
    args += ["--latency-ms", str(latency_ms), "--fault", fault]
    if plans is not None:
        args += ["--plans", str(plans)]
    if people is not None:
        args += ["--people", str(people)]
    url = f"http://127.0.0.1:{port}"
    # Generating tens of thousands of plans takes a while on a busy machine.
    timeout = 30 if plans is None else 30 + plans / 100
    with running(args, env=dict(os.environ), ready_url=f"{url}/_demo/stats", timeout=timeout):
        yield DemoAPI(url)


def dashboard_env(api_url: str | None, **overrides: str) -> dict[str, str]:
    """Environment of a dashboard process: like `make run`, pointed at `api_url`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PE365_", "DJANGO_", "OIDC_", "AUDIT_"))
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        DJANGO_DEBUG="1",
        DJANGO_SECRET_KEY="e2e-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        PE365_CACHE_TTL="0",
    )
    if api_url:
        env.update(PE365_API_URL=api_url, PE365_API_USERNAME="demo", PE365_API_KEY="demo-key")
    env.update(overrides)
    return env


@contextmanager
def dashboard(
    env: dict[str, str], *, server: str = "runserver", gunicorn_args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Migrate a throw-away database, create a superuser, serve; yields the base URL.

    `server="gunicorn"` serves like `make serve`: collectstatic first (when DEBUG is
    off), then gunicorn with the repository's gunicorn.conf.py plus `gunicorn_args`.
    Pass DATABASE_URL in `env` to reach the database from outside (see session_cookie).
    """
    with tempfile.TemporaryDirectory() as tmp:
        env = {**env, "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{tmp}/db.sqlite3"}
        manage = [PYTHON, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        if server == "gunicorn" and env.get("DJANGO_DEBUG") != "1":
            subprocess.run(
                [*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
            )
        subprocess.run(
            [*manage, "createsuperuser", "--noinput", "--email", "e2e@example.com"],
            cwd=ROOT,
            env={
                **env,
                "DJANGO_SUPERUSER_USERNAME": E2E_USER,
                "DJANGO_SUPERUSER_PASSWORD": E2E_PASSWORD,
            },
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        if server == "gunicorn":
            args = [PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *gunicorn_args]
        else:
            args = [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"]
        url = f"http://127.0.0.1:{port}"
        with running(args, env=env, ready_url=f"{url}/accounts/login/"):
            yield url


def log_in(
    base_url: str, username: str = E2E_USER, password: str = E2E_PASSWORD
) -> requests.Session:
    """Log in through the form and land on /plans/ (whatever that page then shows)."""
    session = requests.Session()
    session.get(f"{base_url}/accounts/login/", timeout=10)
    response = session.post(
        f"{base_url}/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/plans/",
        },
        headers={"Referer": f"{base_url}/accounts/login/"},
        timeout=10,
    )
    assert response.url.endswith("/plans/"), "login failed"
    return session


def session_cookie(env: dict[str, str], username: str = E2E_USER, *, hr_admin: bool = False) -> str:
    """A logged-in session for `username`, made in the dashboard's database (DATABASE_URL).

    With DEBUG off the session cookie is Secure, so a client on plain loopback HTTP (the
    benchmark) cannot log in through the form; it sends `Cookie: sessionid=<this>` instead.
    `hr_admin=True` first makes `username` a plain user in the "HR admins" group, as the
    dashboard's real users are (a superuser skips the permission queries of a page view).
    """
    find_user = (
        f"user, _ = User.objects.get_or_create(username={username!r})\n"
        "user.groups.add(Group.objects.get(name='HR admins'))\n"
        if hr_admin
        else f"user = User.objects.get(username={username!r})\n"
    )
    script = (
        "import django; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.models import Group\n"
        "from django.test import Client\n"
        "User = get_user_model()\n"
        f"{find_user}"
        "client = Client()\n"
        "client.force_login(user)\n"
        "print(client.cookies['sessionid'].value)\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()
