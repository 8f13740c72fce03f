#!/usr/bin/env bash
# One-time setup, re-run cheaply by every make target: system libraries, then the venv.
# Each step leaves a stamp keyed by its inputs, so a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
STAMP_DIR=.local/stamps
mkdir -p "$STAMP_DIR"

# --- system libraries (WeasyPrint's Pango/HarfBuzz, poppler for PDF tests, a PostgreSQL server) ---
SYS_PKGS="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig poppler-utils"
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && [ -z "${PANTAU_WAREHOUSE_URL:-}" ]; then
  SYS_PKGS="$SYS_PKGS postgresql"
fi
missing=""
for p in $SYS_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> memasang paket sistem:$missing"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "!! paket sistem belum terpasang:$missing" >&2
    echo "   jalankan: sudo apt-get install$missing" >&2
  fi
fi

# --- Python environment from the locks ---
# constraints.txt is the runtime lock (what the Docker image installs); constraints-dev.txt is
# the same set plus the test tools, compiled with the runtime lock as constraint. The venv is
# synced from the dev lock, and the stamp is keyed on both files: editing either re-syncs.
pins() { grep -E '^[A-Za-z0-9]' "$1" | sed 's/ *\\$//' | sort; }
stray=$(comm -23 <(pins constraints.txt) <(pins constraints-dev.txt))
if [ -n "$stray" ]; then
  echo "!! constraints-dev.txt tidak sejalan dengan constraints.txt; pin runtime yang tidak ada/berbeda:" >&2
  echo "$stray" | sed 's/^/   /' >&2
  echo "   buat ulang: .venv/bin/uv pip compile requirements-dev.txt -c constraints.txt --python-version 3.11 \\" >&2
  echo "     --python-platform x86_64-manylinux_2_28 --generate-hashes -o constraints-dev.txt" >&2
  exit 1
fi
lock_sum=$(cat constraints.txt constraints-dev.txt | sha256sum | cut -c1-16)
if [ ! -f "$STAMP_DIR/venv-$lock_sum" ] || [ ! -x .venv/bin/python ]; then
  echo "==> menyiapkan .venv dari constraints.txt + constraints-dev.txt"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  [ -x .venv/bin/uv ] || .venv/bin/python -m pip install -q "uv==0.13.9"
  VIRTUAL_ENV="$PWD/.venv" .venv/bin/uv pip sync -q --compile-bytecode --require-hashes constraints-dev.txt
  rm -f "$STAMP_DIR"/venv-*
  touch "$STAMP_DIR/venv-$lock_sum"
fi

# --- the `pantau` console script (pyproject.toml [project.scripts]), as an editable install ---
# Keyed on pyproject.toml and re-done after a venv sync (which removes it). The venv's own
# setuptools builds it when it is new enough (>= 70.1 has bdist_wheel built in), so no index is
# needed offline; otherwise uv fetches the build backend into an isolated build environment.
proj_sum=$( (cat pyproject.toml; echo "$lock_sum") | sha256sum | cut -c1-16)
if [ ! -f "$STAMP_DIR/console-$proj_sum" ] || [ ! -x .venv/bin/pantau ]; then
  echo "==> memasang perintah pantau (.venv/bin/pantau)"
  iso=""
  .venv/bin/python -c "import setuptools.command.bdist_wheel" 2>/dev/null && iso="--no-build-isolation"
  if VIRTUAL_ENV="$PWD/.venv" .venv/bin/uv pip install -q --no-deps $iso -e .; then
    rm -f "$STAMP_DIR"/console-*
    touch "$STAMP_DIR/console-$proj_sum"
  else
    # not fatal: everything else runs as `.venv/bin/python -m pantau.cli`; retried next time
    echo "!! perintah pantau belum terpasang (butuh setuptools>=70.1 dari indeks paket); pakai: .venv/bin/python -m pantau.cli" >&2
  fi
fi
