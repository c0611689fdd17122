# One image for every service; the command picks the service (see docker-compose.yml).
FROM python:3.11-slim

# libpq for psycopg (pure Python build: its waits cooperate with eventlet), curl-free
# health checks use python itself.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
COPY infra ./infra
COPY docs ./docs
RUN pip install --no-cache-dir . && useradd --system --uid 10001 sc
USER sc

ENV SC_ENV=production SC_CONFIG_DIR=/app/infra/config PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["sc", "run", "registry"]
