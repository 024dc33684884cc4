#!/usr/bin/env bash
# A manual security scan of the signed-in app with wapiti (Debian package `wapiti`), as
# issue 19 asks: a server started exactly as `make run` starts it (no debugger, plain http on
# 127.0.0.1) on a spare port with fresh demo data, signed in as one demo role, scanned with a
# bounded set of modules and time. Slow (minutes): not part of CI. `make wapiti` runs it.
#
# Settings (environment):
#   WAPITI_ROLE       demo account to scan as (default coordinator; admin, staff, volunteer,
#                     partner work too)
#   WAPITI_MODULES    wapiti modules (default below; no ssrf: it calls an outside server)
#   WAPITI_SCAN_TIME  seconds for the whole scan (default 600); WAPITI_ATTACK_TIME per module
#   WAPITI_REPORT     where the JSON report goes (default wapiti-report.json)
set -euo pipefail
cd "$(dirname "$0")/.."

ROLE=${WAPITI_ROLE:-coordinator}
MODULES=${WAPITI_MODULES:-http_headers,cookieflags,csp,csrf,methods,redirect,crlf,xss,permanentxss,sql,file,exec,backup}
SCAN_TIME=${WAPITI_SCAN_TIME:-600}
ATTACK_TIME=${WAPITI_ATTACK_TIME:-90}
REPORT=${WAPITI_REPORT:-wapiti-report.json}
PASSWORD=wapiti-demo-wachtwoord
PY=.venv/bin/python
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
WORK=$(mktemp -d)

# The server: the app's own lines of `make run` (migrations, demo data, flask run).
make -n run PORT="$PORT" | grep 'bin/flask' > "$WORK/run.sh"
env -u FLASK_DEBUG -u DATABASE_URL -u SECRET_KEY HOUVAST_INSTANCE_PATH="$WORK/instance" \
    HOUVAST_DEMO_PASSWORD="$PASSWORD" setsid bash -e "$WORK/run.sh" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill -TERM -- "-$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
echo "wapiti: starting Houvast on $BASE (log: $WORK/server.log)"
for _ in $(seq 1 240); do
    curl -fs -o /dev/null "$BASE/healthz" && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
    sleep 0.5
done

# Sign in as the demo role; the session cookie goes to wapiti as a header (it is Secure,
# and a client would not send it back over plain http on its own).
COOKIE=$($PY - "$BASE" "$ROLE@houvast.demo" "$PASSWORD" <<'PYTHON'
import re
import sys

import requests

base, email, password = sys.argv[1:]


def session_cookie(response):
    match = re.search(r"session=([^;]+)", response.headers.get("Set-Cookie", ""))
    return match.group(1) if match else None


form = requests.get(f"{base}/inloggen", timeout=10)
token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text) or \
    re.search(r'name="csrf_token" value="([^"]+)"', form.text)
answer = requests.post(f"{base}/inloggen", timeout=10, allow_redirects=False,
                       data={"csrf_token": token.group(1), "email": email,
                             "password": password},
                       headers={"Cookie": f"session={session_cookie(form)}"})
if answer.status_code != 302 or "/inloggen" in answer.headers.get("Location", ""):
    sys.exit(f"wapiti: signing in as {email} failed ({answer.status_code})")
print(session_cookie(answer))
PYTHON
)
echo "wapiti: signed in as $ROLE@houvast.demo; scanning for at most $SCAN_TIME s"

# Not followed: signing out (it would end the scan's session).
wapiti -u "$BASE/" --scope folder -H "Cookie: session=$COOKIE" \
    -x "$BASE/uitloggen" -m "$MODULES" -d 4 --max-links-per-page 40 --max-files-per-dir 30 \
    --max-parameters 15 --max-scan-time "$SCAN_TIME" --max-attack-time "$ATTACK_TIME" \
    --store-session "$WORK/wapiti" --flush-session -f json -o "$REPORT" -v 1 --color 2>&1 \
    | grep -v '^\[+\] GET\|^\[+\] POST' || true

# A short summary: the number of findings per kind, and each finding.
$PY - "$REPORT" <<'PYTHON'
import json
import sys

report = json.load(open(sys.argv[1]))
total = 0
for kind in ("vulnerabilities", "anomalies", "additionals"):
    for name, findings in sorted(report.get(kind, {}).items()):
        for finding in findings:
            total += 1
            print(f"{kind[:-1]}: {name}: {finding.get('info')} [{finding.get('method')} "
                  f"{finding.get('path')}{' ' + finding.get('parameter') if finding.get('parameter') else ''}]")
print(f"wapiti: {total} finding(s); report in {sys.argv[1]}")
PYTHON
