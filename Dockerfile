# Puente's image. Stage one builds the wheel (config.yaml and the compiled catalogs inside it) and
# installs it with the pinned, hash-checked dependencies of requirements.lock into /opt/puente by
# scripts/install-from-lock, the same script .ci/run and tests/system/test_wheel.py run. Stage two
# copies that venv into a clean slim image and runs it as a user without privileges.
#
#   docker build -t puente .      (compose.yaml runs the whole stack: docs/operations.md)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.lock ./
COPY scripts/install-from-lock scripts/
# The dependencies first: this layer is rebuilt only when the lock changes.
RUN scripts/install-from-lock /opt/puente
COPY pyproject.toml setup.py MANIFEST.in README.md config.yaml babel.cfg webhook.py ./
COPY bot bot
COPY flows flows
COPY nlu nlu
COPY vocab vocab
COPY locales locales
RUN python -m pip wheel --no-deps --wheel-dir /dist . \
 && scripts/install-from-lock /opt/puente /dist/puente-*.whl

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/puente/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    PUENTE_ENV=production PORT=8000
# gpg: referral details e-mailed to an NGO are encrypted to its OpenPGP key (python-gnupg runs it).
RUN apt-get update \
 && apt-get install -y --no-install-recommends gnupg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /srv/puente --uid 10001 --user-group puente
COPY --from=build /opt/puente /opt/puente
USER puente
# The instance folder (Prometheus' multiprocess files) is made here, in the working directory.
WORKDIR /srv/puente
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["puente", "serve", "--host", "0.0.0.0", "--port", "8000"]
