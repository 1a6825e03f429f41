# syntax=docker/dockerfile:1
#
# One image for the web server (gunicorn), the Celery worker and Celery beat (see docker-compose.yml).
#
#   docker build -t evolve .
#
# Stage 1 compiles GOV.UK Frontend and MOJ Frontend into static/css and static/vendor (frontend/build.mjs, the same
# build `make assets` runs). Stage 2 is the Python runtime; Node and node_modules stay behind in stage 1.

FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ frontend/
COPY static/ static/
RUN node frontend/build.mjs


FROM python:3.11-slim-bookworm AS runtime

# PYTHONPATH=/app: the code runs from /app, not from site-packages. settings.BASE_DIR is worked out from the
# location of evolve/settings/base.py, and templates/, static/ and the apps' templates live beside the code in /app
# (the installed wheel carries only the .py files).
# DJANGO_SETTINGS_MODULE: manage.py on its own would pick the local (DEBUG) settings; in this image it never should.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=evolve.settings.production

# What WeasyPrint loads at run time (Pango, PangoFT2 and fontconfig, HarfBuzz and its subsetter), fonts for it to
# draw with, and the MIME database.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fonts-liberation \
        fonts-dejavu-core \
        shared-mime-info \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 evolve \
 && useradd --system --uid 10001 --gid evolve --create-home --home-dir /home/evolve --shell /usr/sbin/nologin evolve

WORKDIR /app

# The dependencies first, read from pyproject.toml alone, so that changing the code does not reinstall them.
# (The dev extra is not installed.)
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep=chr(10))" \
        > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Then the project itself: a normal (non-editable) install, with its dependencies already in place.
COPY . .
RUN pip install --no-deps . \
 && rm -rf build ./*.egg-info

# The compiled design systems from stage 1 (static/js is the project's own and comes with them).
COPY --from=assets /src/static/ static/

# Gather every static file into STATIC_ROOT (var/staticfiles) for WhiteNoise. The secret key here exists only for
# this command and is not kept in the image; the real one comes from the environment at run time.
RUN SECRET_KEY=collectstatic-at-build-time-only-not-a-secret python manage.py collectstatic --noinput

# The code and the collected static files stay owned by root: the service can read them, not change them.
USER evolve

EXPOSE 8000

# gunicorn takes its number of worker processes from WEB_CONCURRENCY (run with -e WEB_CONCURRENCY=5 for more).
# Other settings can be added through GUNICORN_CMD_ARGS; the flags below win over it.
ENV WEB_CONCURRENCY=3
CMD ["gunicorn", "evolve.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-", \
     "--error-logfile", "-"]
