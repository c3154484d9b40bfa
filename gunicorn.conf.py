"""gunicorn settings for `make serve` (gunicorn reads ./gunicorn.conf.py by itself).

Pages mostly wait on the Perform & Engage 365 API, so each worker process runs many
threads: while they wait for the API, others render. Workers add CPU parallelism (one
per core); threads add waiting capacity, and an idle thread costs little. The defaults
suit a 2-core machine serving a few dozen people at once on an API that takes seconds.
A request that waited a whole PE365_TIMEOUT for a thread is refused at once with 503
"busy" (dashboard/serving.py, plans.middleware.QueueDeadlineMiddleware).
"""

import os


def _env_count(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise SystemExit(f"{name} must be a whole number from 1 to 64, not {raw!r}.")
    return int(raw)


wsgi_app = "dashboard.wsgi"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"

# Worker processes (one per core) × threads per worker = requests served at once.
workers = _env_count("WEB_CONCURRENCY", 2)
threads = _env_count("GUNICORN_THREADS", 16)
# gunicorn's gthread worker, stamping when each request was queued for a thread.
worker_class = "dashboard.serving.QueueStampingWorker"

# A page waits at most PE365_TIMEOUT (default 10 s) for the API; leave room above it.
timeout = 60
graceful_timeout = 30
# Behind a load balancer that keeps connections open between requests.
keepalive = 5

accesslog = "-"
# The path without its query string and no referrer: a query can hold a searched name.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
