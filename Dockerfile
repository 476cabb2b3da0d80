# The exporter's image. The package is installed here, once, at build time; a container start
# only runs it. Flags pass straight through:
#   docker run -v ./config:/config:ro IMAGE --config.file /config/config.yml
# Without flags it runs the demo fleet. It listens on 0.0.0.0:8001 unless the config's
# listen_address or --web.listen-address says otherwise.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
COPY pyproject.toml README.md LICENSE ./
COPY exporter ./exporter
RUN pip install --no-cache-dir . && rm -rf /build

# A system user without a shell; its home holds ./state (catalog memory, ledger offsets), a
# volume so it survives restarts (docker-compose.yml names it; Kubernetes mounts one there).
RUN useradd --system --uid 10001 --create-home --home-dir /var/lib/llm-fleet-exporter --shell /usr/sbin/nologin exporter \
    && mkdir /var/lib/llm-fleet-exporter/state && chown exporter: /var/lib/llm-fleet-exporter/state
USER 10001
WORKDIR /var/lib/llm-fleet-exporter
VOLUME ["/var/lib/llm-fleet-exporter/state"]

EXPOSE 8001
# Needs no configuration: /readyz answers without credentials even with basic auth on, and the
# check tries HTTPS before plain HTTP. If you move the port, pass the address you listen on.
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "exporter.web.healthcheck", "127.0.0.1:8001"]
ENTRYPOINT ["llm-fleet-exporter"]
CMD ["--demo"]
