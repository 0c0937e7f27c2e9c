# DISPATCH backend: the Django app, its workers and scheduled jobs under Supervisor.
# Slim, pinned base; runs as an unprivileged user; code is read-only for that user and only the
# data/log/static/media/backup directories (volumes) are writable.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump/pg_restore for backup_db/restore_db (Debian bookworm: PostgreSQL 15 client).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 dispatch \
    && useradd --system --uid 10001 --gid dispatch --home-dir /app --shell /usr/sbin/nologin dispatch

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Writable state, each a volume in the compose files. Collected static files go to their own
# directory: /app/static is the source (STATICFILES_DIRS) and must stay the image's.
RUN mkdir -p /app/data /app/logs /app/staticfiles /app/media /app/backups \
    && chown dispatch:dispatch /app/data /app/logs /app/staticfiles /app/media /app/backups

ENV DATA_DIR=/app/data \
    LOG_DIR=/app/logs \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media \
    BACKUP_DIR=/app/backups \
    GUNICORN_BIND=0.0.0.0:8000 \
    TRUSTED_PROXY_COUNT=1

USER dispatch
EXPOSE 8000
HEALTHCHECK --interval=60s --timeout=20s --start-period=120s --retries=3 \
    CMD ["python", "manage.py", "healthcheck"]

# init_dispatch (migrate, collectstatic, defaults, admin), then Supervisor: web + all workers.
CMD ["python", "manage.py", "run_dispatch"]
