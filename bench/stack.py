"""What the request path costs outside the views: the same URLs under gunicorn and in process.

Seeds a small PostgreSQL (``bench/load.py``'s seed at ``--scale``), starts the production
``gunicorn.conf.py`` (2 uvicorn workers × 2 threads) and asks, one request at a time over one
keep-alive connection, ``/health/``, a small logged-in page, the API detail and a list page, the
console queue and incident page ``--repeat`` times each; then the same through Django's test
client in this process. Prints CPU milliseconds a request: the web workers' (from /proc) and in
process (the views, middleware and request handling without the HTTP server), and what the
benchmark's own client (``load.Client``) costs a request against a ``requests`` session.

    flock /work/notes/bench.lock .venv/bin/python bench/stack.py --repeat 300
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import random
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402
import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402


def _least_of_chunks(samples: list[float], chunk: int = 10) -> float:
    """The mean of the least disturbed chunk of ``chunk`` samples (a shared machine)."""
    sums = [sum(samples[i : i + chunk]) / chunk for i in range(0, len(samples) - chunk + 1, chunk)]
    return min(sums) if sums else 0.0


def _web_cpu(master: int) -> float:
    """CPU seconds so far of the web server's processes and all their threads, to the
    nanosecond (``/proc/*/task/*/schedstat``; ``/proc/*/stat`` counts 10 ms ticks)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in [master, *map(int, children)]:
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def over_http(
    servers: list[tuple[int, int]], path: str, headers: dict[str, str], repeat: int,
    clients: int = 1,
) -> list[float]:  # fmt: skip
    """Web CPU ms a request of each server (``(port, master pid)``), ``clients`` at a time, each
    over its own keep-alive connection, one request after another; the servers take turns by
    chunks of 50 requests a client (so a busy moment of a shared machine falls on both), the
    least disturbed chunk after the first counts (``repeat`` below 50 still measures one)."""
    conns = [
        [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(clients)]
        for port, _ in servers
    ]

    def client(conn: http.client.HTTPConnection) -> None:
        conn.close()  # idle past the server's keep-alive while the other server had its turn
        for _ in range(50):
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}")

    samples: list[list[float]] = [[] for _ in servers]
    with ThreadPoolExecutor(clients) as pool:
        for _ in range(1 + max(1, repeat // 50)):  # a warming chunk and at least one more
            for n, (_, master) in enumerate(servers):
                before = _web_cpu(master)
                list(pool.map(client, conns[n]))
                samples[n].append(1000 * (_web_cpu(master) - before) / (50 * clients))
    for conn in itertools.chain(*conns):
        conn.close()
    return [min(chunks[1:]) for chunks in samples]  # the first chunk warms the workers


def in_process(path: str, headers: dict[str, str], cookies: dict[str, str], repeat: int) -> float:
    """CPU ms a request through Django's test client in this process."""
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    client = Client(HTTP_HOST="127.0.0.1", **meta)
    for name, value in cookies.items():
        client.cookies[name] = value
    for _ in range(5):
        client.get(path)
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        response = client.get(path)
        samples.append(1000 * (time.process_time() - started))
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code} in process")
    return _least_of_chunks(samples)


def client_cost(port: int, path: str, headers: dict[str, str], repeat: int) -> tuple[float, float]:
    """CPU ms of this process a request: a ``requests`` session vs ``bench/load.py``'s client."""
    session = requests.Session()
    session.headers.update(headers)
    url = f"http://127.0.0.1:{port}{path}"
    started = time.thread_time()
    for _ in range(repeat):
        session.get(url, timeout=30, allow_redirects=False).content  # noqa: B018
    with_requests = 1000 * (time.thread_time() - started) / repeat
    client = load.Client(port, headers, {})
    started = time.thread_time()
    for _ in range(repeat):
        client.get(path)
    lean = 1000 * (time.thread_time() - started) / repeat
    return with_requests, lean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.002)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--clients", type=int, default=1, help="concurrent connections")
    parser.add_argument("--only-served", action="store_true", help="skip the in-process column")
    parser.add_argument(
        "--compare", type=Path, nargs="*", help="also serve these checkouts (the old code)"
    )
    args = parser.parse_args()
    incidents = max(100, int(100_000 * args.scale))
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    ids, session_id, token = load.seed(incidents, incidents * 10)
    connection.close()
    incident = random.Random(1).choice(ids)
    session = {"Cookie": f"sessionid={session_id}"}
    api = {"Authorization": f"Token {token}"}
    urls = [
        ("/health/", {}),
        ("/accounts/profile/", session),
        (f"/api/v1/incidents/{incident}/", api),
        ("/api/v1/incidents/?page=2", api),
        ("/", session),
        (f"/incidents/{incident}/", session),
    ]
    from dispatch.testing.postgres import free_port

    roots = [ROOT, *(args.compare or [])]
    webs = []
    try:
        for root in roots:
            load.ROOT = root.resolve()
            port = free_port()
            webs.append((port, load.start_web(port, 2, 2)))
        servers = [(port, web.pid) for port, web in webs]
        names = "".join(f"{root.name[:10]:>11}" for root in roots)
        print(f"{'path':<28}{names} {'in process':>11}   (CPU ms a request)")
        for path, headers in urls:
            served = over_http(servers, path, headers, args.repeat, args.clients)
            cookies = {"sessionid": session_id} if headers is session else {}
            local = 0.0
            if not args.only_served:
                local = in_process(path, {k: v for k, v in headers.items() if k != "Cookie"},
                                   cookies, args.repeat)  # fmt: skip
            label = path if len(path) < 28 else path[:25] + "…"
            figures = "".join(f"{value:11.2f}" for value in served)
            print(f"{label:<28}{figures} {local:11.2f}", flush=True)
        with_requests, lean = client_cost(servers[0][0], "/health/", {}, args.repeat)
        print(f"client CPU a request: requests {with_requests:.2f} ms, load.Client {lean:.2f} ms")
    finally:
        for _, web in webs:
            web.send_signal(signal.SIGTERM)  # all at once: they stop side by side
        for _, web in webs:
            load.stop_web(web)


if __name__ == "__main__":
    main()
