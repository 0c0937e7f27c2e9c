"""Gunicorn settings for the DISPATCH web app (ASGI through uvicorn workers).

Values come from Django settings (``GUNICORN_*`` environment variables, see ``.env.example``),
so the web server is configured in the same one place as everything else. Logs go to stdout in
the project's one-line format; Supervisor writes them to ``logs/web.log``.
"""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")

from django.conf import settings

from dispatch import worker_balance

wsgi_app = "dispatch.asgi:application"
worker_class = "uvicorn_worker.UvicornWorker"
bind = [settings.GUNICORN_BIND]
workers = settings.GUNICORN_WORKERS
timeout = settings.GUNICORN_TIMEOUT
graceful_timeout = settings.GUNICORN_GRACEFUL_TIMEOUT
keepalive = 5
# Recycle workers now and then so a slow leak never grows unbounded (at 100 req/s a worker
# lives minutes; a restart costs a second of CPU and the warm per-process memos).
max_requests = 20000
max_requests_jitter = 2000
# Forwarded headers are read in one place only, the app (dispatch/client_ip.py and
# SECURE_PROXY_SSL_HEADER, both governed by TRUSTED_PROXY_COUNT): uvicorn must never rewrite the
# client address or scheme from them, not even for connections from 127.0.0.1.
forwarded_allow_ips = ""
accesslog = "-"
errorlog = "-"
logconfig_dict = settings.LOGGING
proc_name = "dispatch-web"
# The table of active connections per worker (dispatch/worker_balance.py), made before any fork.
worker_balance.create()


def pre_fork(server, worker) -> None:
    """In the master: give the new worker a slot of the table no live worker holds."""
    worker.balance_slot = worker_balance.free_slot(
        getattr(live, "balance_slot", None) for live in server.WORKERS.values()
    )


def post_fork(server, worker) -> None:
    """In the new worker: take its slot."""
    worker_balance.attach(worker.balance_slot, settings.GUNICORN_THREADS)


def child_exit(server, worker) -> None:
    """In the master, once a worker has exited: free its slot."""
    worker_balance.release(getattr(worker, "balance_slot", None))


def post_worker_init(worker) -> None:
    """Once the app is loaded: move its objects (Django, DRF, the URL and template caches) out
    of the collector's sight and collect the young generation less often. A request allocates
    tens of thousands of objects; the default thresholds ran full collections over the whole
    heap mid-request (~8 % of the CPU of an incident page or list, measured)."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
