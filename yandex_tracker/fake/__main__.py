"""``python -m yandex_tracker.fake [--port N] [--queue Q]``: run the fake in the foreground."""

from __future__ import annotations

import argparse

from yandex_tracker.fake.server import FakeTrackerServer


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Yandex Tracker API on 127.0.0.1")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--queue", default="DISP")
    parser.add_argument("--token", default="robot-token", help="access token accepted")
    parser.add_argument("--org-id", default="fake-org")
    parser.add_argument(
        "--cloud-org", action="store_true", help="a Cloud org: the id goes in X-Cloud-Org-ID"
    )
    parser.add_argument(
        "--bare", action="store_true", help="no custom fields (to try setup_tracker)"
    )
    args = parser.parse_args()
    server = FakeTrackerServer(
        args.host,
        args.port,
        queue=args.queue,
        access_token=args.token,
        org_id=args.org_id,
        cloud_org=args.cloud_org,
        provision_fields=not args.bare,
    )
    print(f"fake tracker: YT_API_BASE_URL={server.url} YT_OAUTH_URL={server.oauth_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
