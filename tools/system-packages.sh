#!/usr/bin/env bash
# Debian packages the app itself needs at run time: Pango and a font with every Vietnamese letter
# (DejaVu Serif) for the PDFs WeasyPrint makes. Used by `make run`, `make serve` and `make test`.
# Without them everything but the PDF works; under CI=true a missing package is an error.
set -uo pipefail

if [ -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] && ldconfig -p | grep -q libpangoft2-1.0; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's fonts-dejavu-core and Pango for the PDFs…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core libpango-1.0-0 \
    libpangoft2-1.0-0) >/dev/null && exit 0
  echo "could not install fonts-dejavu-core and Pango"
else
  echo "fonts-dejavu-core or Pango is missing and cannot be installed here (not root or no apt-get):"
  echo "  sudo apt-get install fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0"
fi
[ "${CI:-}" = true ] && exit 1
exit 0
