"""ASGI entry point (gunicorn with uvicorn workers).

Only the live queue (server-sent events, an async view that stays open) needs Django's ASGI
handler. Everything else is ordinary sync Django, and under the ASGI handler every middleware's
``process_request``/``process_response`` hops to a worker thread and back (a dozen hops a
request, ~3 ms of CPU). Those requests go to the WSGI handler instead, run whole in one thread
of a pool (a2wsgi): same middleware, same views, one hop. Their connections are balanced
between the workers (``dispatch.worker_balance``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.urls import reverse

from dispatch import worker_balance

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
asgi_handler = get_asgi_application()
wsgi_handler = WSGIMiddleware(get_wsgi_application(), workers=settings.GUNICORN_THREADS)
STREAMING_PATHS = frozenset({reverse("api:incident-live")})


def close_pool_connections(timeout: float = 5.0) -> None:
    """Close the database connection each pool thread keeps (they are per thread): one task per
    thread, held at a barrier so no thread runs two of them."""
    threads = settings.GUNICORN_THREADS
    barrier = threading.Barrier(threads, timeout=timeout)

    def close() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):  # a thread stayed busy
            barrier.wait()
        connections.close_all()

    for future in [wsgi_handler.executor.submit(close) for _ in range(threads)]:
        future.result()


async def lifespan(receive, send) -> None:
    """Start at once; on shutdown close the pool threads' database connections cleanly."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await asyncio.get_running_loop().run_in_executor(None, close_pool_connections)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope, receive, send) -> None:
    """Plain HTTP to the WSGI pool; streaming endpoints (and websockets) to Django's ASGI."""
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    elif scope["type"] == "http" and scope["path"] not in STREAMING_PATHS:
        await worker_balance.serve(wsgi_handler, scope, receive, send)
    else:
        await asgi_handler(scope, receive, send)
