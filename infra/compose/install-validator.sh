#!/usr/bin/env bash
# Provides a Compose implementation that can check infra/compose offline (`docker-compose config`):
# `docker compose` (v2 plugin) or `docker-compose` on PATH, else Debian's docker-compose 1.29 via apt
# (root only; ~1 min). Prints the command (one word, or "docker compose") on stdout.
set -euo pipefail
if docker compose version >/dev/null 2>&1; then echo "docker compose"; exit 0; fi
if command -v docker-compose >/dev/null 2>&1; then command -v docker-compose; exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "no Compose implementation found: install docker-compose (Debian: apt-get install docker-compose) or the docker compose plugin" >&2
  exit 2
fi
echo "Installing Debian's docker-compose with apt-get..." >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >&2
command -v docker-compose
