"""Settings for the test suite: the real settings, with a test environment set first.

With ``TEST_DB=postgres`` a throw-away PostgreSQL cluster is started here (once per test
process, before the real settings read ``DB_*``) and removed when the process exits.
"""

import atexit
import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("USE_HTTPS", "false")
os.environ.setdefault("EMAIL_DELIVERY", "file")
# Tests roll back their data without signals: reference lists are read fresh unless a test asks.
os.environ.setdefault("CONSOLE_CHOICES_CACHE_SECONDS", "0")
os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="dispatch-test-data-")
# WhiteNoise warns on every request when STATIC_ROOT is missing; tests serve from the finders.
os.makedirs(os.path.join(os.environ["DATA_DIR"], "static"))

if os.environ.get("TEST_DB") == "postgres" and not os.environ.get("DB_HOST"):
    from dispatch.testing.postgres import start_cluster

    _cluster = start_cluster(autovacuum=False)
    atexit.register(_cluster.stop)
    os.environ.update(_cluster.env())
    os.environ["DISPATCH_TEST_PG_LOG"] = str(_cluster.log_path)

from dispatch.settings import *  # noqa: E402, F403

# Tests render pages without running collectstatic first: no manifest of hashed names.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
