# The dockwatch image: one image for every service of docker-compose.yml (worker, beat, relay,
# mirror, migrate); the command picks the role. No secret is baked in: the API token and the
# database password come from the environment at run time.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md settings.py celeryconfig.py ./
COPY worker ./worker
COPY models ./models
COPY api_mirror ./api_mirror
COPY fake_upstream ./fake_upstream
RUN pip install . && useradd --system --uid 10001 --home-dir /app dockwatch

USER dockwatch
EXPOSE 8000
# The all-in-one job (migrations, worker, beat, relay, mirror); compose overrides it per service.
CMD ["dockwatch", "run", "--host", "0.0.0.0", "--port", "8000"]
