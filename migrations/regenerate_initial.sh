#!/usr/bin/env bash
# Regenerates 0001_initial from the models. Only for the first, not yet released schema:
# once 0001 has been applied anywhere, every change is a new migration (flask db migrate).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f migrations/versions/0001_initial.py
export DATABASE_URL="sqlite:///$tmp/empty.sqlite" HOUVAST_INSTANCE_PATH="$tmp"
flask --app wsgi db migrate --rev-id 0001 -m initial >/dev/null 2>&1
mv migrations/versions/0001_initial.py "$tmp/gen.py"
# Alembic names the file 0001_initial.py; keep later migrations pointing at it.
mv "$tmp/gen.py" migrations/versions/0001_initial.py
echo "migrations/versions/0001_initial.py regenerated"
