"""Gunicorn settings for the DISPATCH web app (ASGI through uvicorn workers).

Values come from Django settings (``GUNICORN_*`` environment variables, see ``.env.example``),
so the web server is configured in the same one place as everything else. Logs go to stdout in
the project's one-line format; Supervisor writes them to ``logs/web.log``.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")

from django.conf import settings

wsgi_app = "dispatch.asgi:application"
worker_class = "uvicorn_worker.UvicornWorker"
bind = [settings.GUNICORN_BIND]
workers = settings.GUNICORN_WORKERS
timeout = settings.GUNICORN_TIMEOUT
graceful_timeout = settings.GUNICORN_GRACEFUL_TIMEOUT
keepalive = 5
# Recycle workers now and then so a slow leak never grows unbounded.
max_requests = 2000
max_requests_jitter = 200
# Behind the nginx gateway the client address comes from X-Forwarded-For.
forwarded_allow_ips = "*" if settings.TRUSTED_PROXY_COUNT else "127.0.0.1"
accesslog = "-"
errorlog = "-"
logconfig_dict = settings.LOGGING
proc_name = "dispatch-web"
