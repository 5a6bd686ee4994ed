# syntax=docker/dockerfile:1
# reckon as a container image, built from this repository (not built or run on the machine this
# file was written on: it has no Docker engine; see README "Install").
#
#   docker build -t reckon .                    small image: reckon, git, CA certificates
#   docker build --target keeper -t reckon:keeper .   plus Keeper Commander, for `command:` sources
#   docker run --rm -v "$PWD:/workspace" reckon plan
#
# Both run as the unprivileged user `reckon` (uid 10001) in /workspace.

# ---- build: compile once, with the registry and target directory cached between builds
FROM rust:1.89-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin reckon \
    && install -m 0755 target/release/reckon /usr/local/bin/reckon

# ---- the default image: no compiler, no Python
FROM debian:bookworm-slim AS reckon
# git: saved plans record the workspace's commit and dirty flag (it is run as `git`).
# ca-certificates: the PSA APIs are HTTPS, verified against the system's roots.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git \
    && rm -rf /var/lib/apt/lists/* \
    # A mounted workspace is owned by another uid; without this git refuses to read it.
    && git config --system --add safe.directory '*' \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin reckon
COPY --from=build /usr/local/bin/reckon /usr/local/bin/reckon
USER reckon
WORKDIR /workspace
ENTRYPOINT ["reckon"]
CMD ["--help"]

# ---- keeper: reckon plus Keeper Commander from PyPI, for `source.command:` integrations
FROM reckon AS keeper
USER root
# The version the report fixtures were produced with (tests/fixtures/keeper/commander-18.1.8).
ARG KEEPERCOMMANDER_VERSION=18.1.8
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/keeper \
    && /opt/keeper/bin/pip install --no-cache-dir --disable-pip-version-check \
       "keepercommander==${KEEPERCOMMANDER_VERSION}"
# The sticky merge-request note of examples/ci/gitlab-ci.yml.
COPY examples/ci/mr-note.py /usr/local/share/reckon/mr-note.py
ENV PATH=/opt/keeper/bin:$PATH
USER reckon
