# Multi-stage: build wheels with the toolchain, run on a slim image as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY switchboard ./switchboard
COPY bots ./bots
COPY graph ./graph
COPY tools ./tools
COPY storage ./storage
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 switchboard
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER switchboard
WORKDIR /home/switchboard
# The demo company's help pages, for `switchboard demo load` inside the container.
COPY --chown=switchboard demo/kb ./demo/kb
ENV SWITCHBOARD_CACHE_DIR=/home/switchboard/.cache/switchboard
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz')"
CMD ["switchboard", "serve", "--host", "0.0.0.0", "--port", "8000"]
