#!/usr/bin/env bash
# Opens a report.html in a real headless browser (Debian's chromium) and saves a screenshot,
# so we know the report renders: tables, inline SVG plots, styles, no external resources.
#
#   scripts/screenshot-report.sh [REPORT.html] [OUT.png]
#
# Without arguments it runs the quickstart scenario into a temporary results store and
# screenshots that report. Needs chromium (`apt-get install chromium`); exits 77 (skipped)
# without it.
set -euo pipefail
cd "$(dirname "$0")/.."

browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$browser" ]; then
  echo "screenshot-report: no chromium on PATH; skipping (apt-get install chromium)" >&2
  exit 77
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
report="${1:-}"
out="${2:-target/report-screenshot.png}"
if [ -z "$report" ]; then
  cargo run --quiet --release -- run scenarios/quickstart.yaml --store "$work/store" >/dev/null
  report="$work/store/quickstart/latest/report.html"
fi
report="$(cd "$(dirname "$report")" && pwd -P)/$(basename "$report")"
mkdir -p "$(dirname "$out")"

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --disable-dev-shm-usage --hide-scrollbars \
  --user-data-dir="$work/profile" --window-size=1400,"${HEIGHT:-4200}" \
  --screenshot="$out" "file://$report" >"$work/chromium.log" 2>&1 || {
  cat "$work/chromium.log" >&2
  exit 1
}
test -s "$out"
echo "screenshot: $out"
