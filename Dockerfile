# syntax=docker/dockerfile:1
# Build: docker build -t fieldgraph .   Run: see compose.yaml

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements/base.txt requirements/base.txt
RUN /opt/venv/bin/pip install -r requirements/base.txt
COPY pyproject.toml README.md alembic.ini ./
COPY app app
COPY schema schema
COPY resolvers resolvers
COPY subscriptions subscriptions
COPY migrations migrations
RUN /opt/venv/bin/pip install --no-deps .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    ENV=prod HOST=0.0.0.0 PORT=8000 LOG_JSON=true
RUN useradd --create-home --uid 10001 fieldgraph
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY --chown=fieldgraph alembic.ini ./
COPY --chown=fieldgraph migrations migrations
USER fieldgraph
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["sh", "-c", "fieldgraph migrate && exec fieldgraph serve"]
