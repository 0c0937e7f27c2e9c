"""ASGI entry point (gunicorn with uvicorn workers).

Only the live queue (server-sent events, an async view that stays open) needs Django's ASGI
handler. Everything else is ordinary sync Django, and under the ASGI handler every middleware's
``process_request``/``process_response`` hops to a worker thread and back (a dozen hops a
request, ~3 ms of CPU). Those requests go to the WSGI handler instead, run whole in one thread
of a pool (a2wsgi): same middleware, same views, one hop.
"""

from __future__ import annotations

import os

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.urls import reverse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
asgi_handler = get_asgi_application()
wsgi_handler = WSGIMiddleware(get_wsgi_application(), workers=settings.GUNICORN_THREADS)
STREAMING_PATHS = frozenset({reverse("api:incident-live")})


async def application(scope, receive, send) -> None:
    """Streaming endpoints (and anything that is not plain HTTP) to ASGI; the rest to WSGI."""
    if scope["type"] == "http" and scope["path"] not in STREAMING_PATHS:
        await wsgi_handler(scope, receive, send)
    else:
        await asgi_handler(scope, receive, send)
