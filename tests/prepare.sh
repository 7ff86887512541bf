#!/usr/bin/env bash
# Make sure what the suite needs is here: Debian's Chromium, the PDF font and Pango, and a running PostgreSQL.
# Under CI=true anything missing is an error; elsewhere the suite skips what it cannot run.
set -uo pipefail

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium for the browser tests…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) >/dev/null \
      || echo "could not install chromium"
  else
    echo "chromium is missing and cannot be installed here (not root or no apt-get)"
  fi
fi

# The PDFs (WeasyPrint) need Pango and a font with every Vietnamese letter: DejaVu Serif.
bash "$(dirname "$0")/../tools/system-packages.sh" || exit 1

if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
exit 0
