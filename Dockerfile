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
# /data, the working directory, is the user's: the default SQLite database (./dockwatch.db) of
# the image run alone lives there (mount a volume on it to keep it).
RUN pip install . && useradd --system --uid 10001 --home-dir /data dockwatch \
    && mkdir /data && chown dockwatch:dockwatch /data

USER dockwatch
WORKDIR /data
EXPOSE 8000
# The all-in-one job (migrations, worker, beat, relay, mirror); compose overrides it per service.
# It needs a Redis (DOCKWATCH_REDIS_URL): without one it exits 1 with one line saying so. Run
# alone: see "The image alone" in the README (a Redis container on a network of their own).
CMD ["dockwatch", "run", "--host", "0.0.0.0", "--port", "8000"]
