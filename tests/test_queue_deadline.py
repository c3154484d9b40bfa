"""A request that waited its whole budget (PE365_TIMEOUT) for a worker thread is answered at
once with 503 "busy, try again" instead of starting; the gunicorn worker stamps when each
request was queued, in a header no client can forge."""

import types

import pytest
from django.test import Client

from dashboard import serving
from plans import middleware

pytestmark = pytest.mark.django_db

NOW = 1_000.0


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(middleware, "clock", lambda: NOW)


def queued(seconds_ago: float) -> dict[str, str]:
    return {"HTTP_X_DASHBOARD_QUEUED_AT": repr(NOW - seconds_ago)}


def test_a_request_that_waited_its_whole_budget_is_refused_at_once(clock, settings, upstream):
    settings.PE365_TIMEOUT = 10
    response = Client().get("/plans/", **queued(10.5))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "The dashboard is busy" in page and "Try again in a few seconds" in page
    # (`upstream` fails the test on any call: none was made.)


def test_a_request_that_waited_less_than_its_budget_is_served(clock, settings, admin_client):
    settings.PE365_TIMEOUT = 10
    response = admin_client.get("/accounts/login/", **queued(9.5))
    assert response.status_code == 200


def test_liveness_is_answered_however_long_it_waited(clock):
    assert Client().get("/healthz", **queued(60)).status_code == 200


@pytest.mark.parametrize("stamp", ["", "soon", "nan-ish"])
def test_a_request_without_a_readable_stamp_is_served(clock, stamp):
    response = Client().get("/accounts/login/", HTTP_X_DASHBOARD_QUEUED_AT=stamp)
    assert response.status_code == 200


class _Request:
    def __init__(self, headers):
        self.headers = headers


def test_the_worker_stamps_the_queueing_time_and_drops_a_clients_copy(monkeypatch):
    seen = {}

    def handle_request(self, req, conn):
        seen["headers"] = req.headers

    monkeypatch.setattr(serving.ThreadWorker, "handle_request", handle_request)
    monkeypatch.setattr(serving.ThreadWorker, "enqueue_req", lambda self, conn: None)
    monkeypatch.setattr(serving.time, "monotonic", lambda: 42.5)
    worker = object.__new__(serving.QueueStampingWorker)
    conn = types.SimpleNamespace()
    worker.enqueue_req(conn)
    forged = [
        ("HOST", "x"),
        ("X-DASHBOARD-QUEUED-AT", "1e99"),
        ("X-DASHBOARD_QUEUED-AT", "1e99"),
        ("x-dashboard-queued-at", "0"),
    ]
    worker.handle_request(_Request(forged), conn)
    assert seen["headers"] == [("HOST", "x"), ("X-DASHBOARD-QUEUED-AT", "42.5")]
