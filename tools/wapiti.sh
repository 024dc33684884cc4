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
BASE=https://127.0.0.1:$PORT
WORK=$(mktemp -d)

# The server: the app's own lines of `make run` (migrations, demo data, flask run), served
# over HTTPS with a throw-away certificate: the session cookie is Secure, and wapiti (unlike
# a browser on 127.0.0.1) would not send it back over plain http. It also lets wapiti see the
# headers a production server sends (HSTS).
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
make -n run PORT="$PORT" | grep 'bin/flask' \
    | sed "s|run --no-reload|run --cert $WORK/cert.pem --key $WORK/key.pem --no-reload|" \
    > "$WORK/run.sh"
env -u FLASK_DEBUG -u DATABASE_URL -u SECRET_KEY HOUVAST_INSTANCE_PATH="$WORK/instance" \
    HOUVAST_DEMO_PASSWORD="$PASSWORD" setsid bash -e "$WORK/run.sh" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill -TERM -- "-$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
echo "wapiti: starting Houvast on $BASE (log: $WORK/server.log)"
for _ in $(seq 1 240); do
    curl -kfs -o /dev/null "$BASE/healthz" && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
    sleep 0.5
done

# Sign in as the demo role; the session cookie goes to wapiti in its cookie file format.
$PY - "$BASE" "$ROLE@houvast.demo" "$PASSWORD" "$WORK/cookies.json" <<'PYTHON'
import json
import re
import sys

import requests
import urllib3

urllib3.disable_warnings()  # our own throw-away certificate
base, email, password, cookie_file = sys.argv[1:]


def session_cookie(response):
    match = re.search(r"session=([^;]+)", response.headers.get("Set-Cookie", ""))
    return match.group(1) if match else None


# The same User-Agent as wapiti's: Flask-Login's "strong" session protection drops a session
# that comes back from another browser.
AGENT = {"User-Agent": "houvast-wapiti-scan"}
form = requests.get(f"{base}/inloggen", timeout=10, verify=False, headers=AGENT)
token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text) or \
    re.search(r'name="csrf_token" value="([^"]+)"', form.text)
answer = requests.post(f"{base}/inloggen", timeout=10, allow_redirects=False, verify=False,
                       data={"csrf_token": token.group(1), "email": email,
                             "password": password},
                       # Over HTTPS Flask-WTF also checks the Referer is our own page.
                       headers={**AGENT, "Cookie": f"session={session_cookie(form)}",
                                "Referer": f"{base}/inloggen"})
if answer.status_code != 302 or "/inloggen" in answer.headers.get("Location", ""):
    sys.exit(f"wapiti: signing in as {email} failed ({answer.status_code})")
cookie = {"value": session_cookie(answer), "expires": None, "secure": True, "port": None,
          "version": 0}
json.dump({"127.0.0.1": {"/": {"session": cookie}}}, open(cookie_file, "w"))
PYTHON
echo "wapiti: signed in as $ROLE@houvast.demo; scanning for at most $SCAN_TIME s"

# Not followed: signing out, and the own account pages ("Overal afmelden" would end the
# scan's session; a wrong current password counts toward the sign-in throttle). Wapiti 3.0.4 (Debian 12)
# cannot use -x on Python 3.11 (its pattern puts the (?ms) flags last, which `re` refuses):
# the same wapiti is started with that one function corrected.
wapiti() {
    /usr/bin/python3 - "$@" <<'PYTHON'
import re
import sys

from wapitiCore.main.wapiti import wapiti_main
from wapitiCore.net import crawler


def wildcard_translate(pattern):
    return re.compile("(?ms)" + ".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z")


crawler.wildcard_translate = wildcard_translate
sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
PYTHON
}
wapiti -u "$BASE/" --scope folder -c "$WORK/cookies.json" --verify-ssl 0 -A houvast-wapiti-scan \
    -x "$BASE/uitloggen" -x "$BASE/mijn-account/*" -m "$MODULES" -d 4 --max-links-per-page 40 --max-files-per-dir 30 \
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
