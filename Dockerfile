# One image for every service; the command picks the service (see docker-compose.yml).

# The console's pinned front-end packages (htmx, ECharts), from its package-lock.json.
FROM node:20-slim AS frontend
WORKDIR /console
COPY services/console/package.json services/console/package-lock.json ./
RUN npm ci --no-audit --no-fund

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
COPY --from=frontend /console/node_modules ./services/console/node_modules
RUN pip install --no-cache-dir . && useradd --system --uid 10001 sc \
 && cp -r services/console/node_modules "$(python -c 'import os, services.console as c; print(os.path.dirname(c.__file__))')/"
USER sc

ENV SC_ENV=production SC_CONFIG_DIR=/app/infra/config PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["sc", "run", "registry"]
