#!/usr/bin/env bash
# Regenerates 0001_initial from the models. Only for the first, not yet released schema:
# once 0001 has been applied anywhere, every change is a new migration (flask db migrate).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
mkdir "$tmp/later"
restore() {
    mv "$tmp"/later/*.py migrations/versions/ 2>/dev/null || true
    rm -rf "$tmp"
}
trap restore EXIT
# Later (hand-written data) migrations point at 0001; set them aside while it is rebuilt.
for f in migrations/versions/*.py; do
    case "$(basename "$f")" in 0001_*) rm -f "$f" ;; *) mv "$f" "$tmp/later/" ;; esac
done
export DATABASE_URL="sqlite:///$tmp/empty.sqlite" HOUVAST_INSTANCE_PATH="$tmp"
if ! flask --app wsgi db migrate --rev-id 0001 -m initial >"$tmp/log" 2>&1; then
    cat "$tmp/log" >&2
    exit 1
fi
echo "migrations/versions/0001_initial.py regenerated"
