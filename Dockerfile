# syntax=docker/dockerfile:1
# One image for the four services; docker-compose.yml runs it as ingester, triage, notifier and
# duty (`standby <service>`). Each service migrates its own PostgreSQL schema when it starts.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install standby and its dependencies into a virtual environment -------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies first, so editing the code does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p services schemas \
    && touch services/__init__.py schemas/__init__.py \
    && /opt/venv/bin/pip install . \
    && /opt/venv/bin/pip uninstall --yes standby
COPY services ./services
COPY schemas ./schemas
RUN /opt/venv/bin/pip install --no-deps . \
    && /opt/venv/bin/python -m compileall -q /opt/venv

# --- runtime: the virtual environment, the example configuration, a non-root user ------------
FROM ${PYTHON_IMAGE} AS runtime
# Fonts for the labels of the incident map a member alert carries as a PNG (decision 0704).
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends fonts-dejavu-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 standby \
    && useradd --system --uid 10001 --gid standby --home-dir /app --shell /usr/sbin/nologin standby
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# criteria.yaml, members.example.yaml, rota.example.yaml (Grafana/Prometheus files are excluded
# by .dockerignore); mount your own over them or point the STANDBY_*_FILE settings elsewhere.
COPY --chown=root:root deploy/ ./deploy/
RUN mkdir -p /app/var && chown standby:standby /app/var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    STANDBY_ENVIRONMENT=production \
    STANDBY_LOG_FORMAT=json \
    STANDBY_METRICS_HOST=0.0.0.0 \
    STANDBY_VAR_DIR=/app/var
USER standby:standby
# Ports: metrics of ingester 9101, triage 9102, notifier 9103, duty 9104, response 9106;
# duty console 8080 (it forwards the roll-call pages to the response service on 8081).
EXPOSE 9101 9102 9103 9104 8080
# Healthy when the service's own /metrics answers; the port follows HEALTHCHECK_PORT.
ENV HEALTHCHECK_PORT=""
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('HEALTHCHECK_PORT'); sys.exit(0 if not port else (urllib.request.urlopen(f'http://127.0.0.1:{port}/metrics', timeout=4).status != 200))"]
ENTRYPOINT ["standby"]
CMD ["--help"]
