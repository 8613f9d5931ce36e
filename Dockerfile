# syntax=docker/dockerfile:1
# Build: docker build -t fieldgraph .   Run: see compose.yaml
# tests/core/test_image_path.py repeats these steps without Docker (same venv, wheel, layout).

# The console: typed from the schema snapshot, built into static files the API serves.
FROM node:20-slim AS console
WORKDIR /src/console
COPY console/package.json console/package-lock.json console/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY schema/schema.graphql /src/schema/schema.graphql
COPY console ./
RUN npx graphql-codegen --config codegen.ts && npx tsc --noEmit && npx vite build --logLevel warn

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements/base.txt requirements/base.txt
RUN /opt/venv/bin/pip install -r requirements/base.txt
COPY pyproject.toml README.md ./
COPY app app
COPY schema schema
COPY resolvers resolvers
COPY subscriptions subscriptions
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install --no-deps /wheels/*.whl

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    ENV=prod HOST=0.0.0.0 PORT=8000 LOG_JSON=true \
    MIGRATIONS_DIR=/srv/migrations ATTACHMENTS_DIR=/srv/var/attachments \
    CONSOLE_DIST=/srv/console
RUN useradd --create-home --uid 10001 fieldgraph \
 && mkdir -p /srv/var/attachments && chown -R fieldgraph /srv/var
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
# Read-only for the server: owned by root.
COPY alembic.ini ./
COPY migrations migrations
COPY --from=console /src/console/dist console
# Local attachment storage: the only place the server writes. Mount a volume (compose does).
VOLUME ["/srv/var/attachments"]
USER fieldgraph
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import os,urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2).status != 200)"
CMD ["sh", "-c", "fieldgraph migrate && exec fieldgraph serve"]
