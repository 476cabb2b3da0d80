# The exporter's image, built by docker-compose.yml. The package is installed here, once, at
# build time; a container start only runs it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
COPY pyproject.toml README.md ./
COPY exporter ./exporter
RUN pip install --no-cache-dir . && rm -rf /build

# A system user without a shell; its home holds ./state (catalog memory, ledger offsets), which
# docker-compose.yml mounts as a volume so it survives restarts.
RUN useradd --system --uid 10001 --create-home --home-dir /var/lib/llm-fleet-exporter --shell /usr/sbin/nologin exporter \
    && mkdir /var/lib/llm-fleet-exporter/state && chown exporter: /var/lib/llm-fleet-exporter/state
USER exporter
WORKDIR /var/lib/llm-fleet-exporter

# The demo fleet unless EXPORTER_ARGS says otherwise, e.g. "--config.file /config/config.yml".
ENV EXPORTER_ARGS="--demo"
EXPOSE 8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/readyz', timeout=4)"]
CMD ["sh", "-c", "exec llm-fleet-exporter $EXPORTER_ARGS --web.listen-address 0.0.0.0:8001"]
