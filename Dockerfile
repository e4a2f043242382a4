# syntax=docker/dockerfile:1
# One image for the whole workspace: every Keten service and the one-shot set-up step.
# docker-compose.yml chooses what a container runs: `python -m keten.<service>` for a service,
# `python infra/databases.py` and `python infra/topics.py` for the set-up.
FROM python:3.11-slim

ARG UV_VERSION=0.13.9
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=python3.11 \
    PATH=/app/.venv/bin:$PATH

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
 && useradd --create-home --uid 10001 --user-group keten

WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs/ libs/
COPY services/ services/
COPY infra/ infra/
# Every workspace member (libs and services), exactly as locked, without the test and lint
# tools, installed into /app/.venv as regular (not editable) packages.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages --no-editable

USER keten
# Overridden per container by docker-compose.yml.
CMD ["python", "-c", "import sys; sys.exit('keten: choose a service: python -m keten.<registration|placement|housing|capacity>')"]
