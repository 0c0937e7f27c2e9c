"""Run the fake Yandex Tracker in the foreground (demo, manual testing)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from yandex_tracker.fake import FakeTrackerServer


class Command(BaseCommand):
    help = "Serve a fake Yandex Tracker API (and OAuth token endpoint) on 127.0.0.1."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--queue", default="DISP")
        parser.add_argument("--token", default="robot-token")
        parser.add_argument("--org-id", default="fake-org")
        parser.add_argument(
            "--cloud-org", action="store_true", help="a Cloud org: the id goes in X-Cloud-Org-ID"
        )
        parser.add_argument("--bare", action="store_true", help="Start without custom fields.")

    def handle(self, *args, **options) -> None:
        server = FakeTrackerServer(
            "127.0.0.1",
            options["port"],
            queue=options["queue"],
            access_token=options["token"],
            org_id=options["org_id"],
            cloud_org=options["cloud_org"],
            provision_fields=not options["bare"],
        )
        self.stdout.write(f"YT_API_BASE_URL={server.url}\nYT_OAUTH_URL={server.oauth_url}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()
