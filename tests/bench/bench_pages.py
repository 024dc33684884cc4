"""The pages people open all day, at regional scale (issue 14), and a web worker's memory.

On a copy of the regional data set (tests/bench/regional.py), signed in through the real
/inloggen form as each heavy user, every target page is requested RUNS times, each request
right after a `/healthz` so both see the same machine. Per page: p50, p95, the ratio of its
p95 to the p95 of /healthz, and the queries per request (a `before_cursor_execute` count);
the machine's load average at the start and the end; PASS/FAIL against the issue's targets.
The queries column is the fewest per request: about once a minute a request also moves its
server session's last_seen_at, a few queries more whatever the page.
The clock stands at the data set's NOW (time-machine, ticking), so "due today" is the data's
today. Each request runs in a fresh app context, as a server gives it.

Then the worker's memory: gunicorn with one sync worker serves the same database, the page
mix is requested MEMORY_REQUESTS times with signed-in cookies, and the worker's resident
memory (VmRSS) is read before and after (the server runs on the real clock).

BENCH_PAGES_RUNS (default 30) and BENCH_MEMORY_REQUESTS (default 10,000; 0 skips it) change
the counts. Only the memory part, on an existing migrated copy of the regional data set:
`BENCH_PAGES_DATABASE_URL=postgresql+psycopg://... python -m tests.bench.bench_pages`.
"""

import http.cookiejar
import math
import os
import socket
import statistics
import subprocess
import sys
import time
import traceback
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from . import regional

REGIONAL = True  # tests/bench/__main__.py gives this module a copy of the regional data set
RUNS = int(os.environ.get("BENCH_PAGES_RUNS", "30"))
MEMORY_REQUESTS = int(os.environ.get("BENCH_MEMORY_REQUESTS", "10000"))
TARGET_MS = 100
HEALTHZ_FACTOR = 5
DASHBOARD_MS = 300
MEMORY_TARGET_MB = 150
PERIOD = {"start": "2026-01-01", "end": "2026-12-31"}
API = "api"  # the "user" of the API pages: the partner's token, no sign-in

ADMIN = regional.ADMIN_EMAIL
HEAVY = regional.COORDINATOR_HEAVY_EMAIL
LOCATION = regional.COORDINATOR_LOCATION_EMAIL
VOLUNTEER = regional.VOLUNTEER_HEAVY_EMAIL
PARTNER = regional.PARTNER_HEAVY_EMAIL
WHO = {ADMIN: "admin", HEAVY: "heavy coordinator", LOCATION: "location coordinator",
       VOLUNTEER: "heavy volunteer", PARTNER: "heavy partner", API: "API token"}


@dataclass
class Page:
    label: str
    user: str
    path: str
    query: dict = field(default_factory=dict)
    target_ms: int = TARGET_MS
    # Besides the absolute target, p95 within HEALTHZ_FACTOR x the p95 of /healthz.
    relative: bool = True
    timings: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def url(self) -> str:
        return self.path + ("?" + urllib.parse.urlencode(self.query) if self.query else "")


def _ids() -> dict:
    """What the page URLs need from the data: a waiting trajectory, the last page."""
    from app.extensions import db

    per_page = 25
    visible = db.session.scalar(sa.text(
        "SELECT count(*) FROM participants WHERE restricted_at IS NULL "
        "AND anonymised_at IS NULL"))
    waiting = db.session.scalar(sa.text(
        "SELECT t.id FROM trajectories t JOIN intakes i ON i.trajectory_id = t.id "
        "WHERE t.status = 'waiting' AND t.owner_id = :owner ORDER BY t.id LIMIT 1"),
        {"owner": regional.COORDINATOR_HEAVY_ID})
    match = db.session.scalar(sa.text(
        "SELECT id FROM matches WHERE volunteer_id = :v AND status = 'active' "
        "ORDER BY (trajectory_id = :t) DESC, id LIMIT 1"),
        {"v": regional.VOLUNTEER_HEAVY_ID, "t": regional.HEAVY_TRAJECTORY_ID})
    db.session.rollback()
    from app.participants.service import LIST_LIMIT

    # The list pages through at most LIST_LIMIT people (then: narrow down, or jump to a
    # letter), so its last page is page LIST_LIMIT / 25 at this size.
    last = max(1, min(math.ceil(visible / per_page), LIST_LIMIT // per_page))
    return {"last": last, "middle": max(1, last // 2), "waiting": waiting, "match": match}


def pages(ids: dict) -> list[Page]:
    p = Page
    heavy_owner = str(regional.COORDINATOR_HEAVY_ID)
    person = f"/deelnemers/{regional.HEAVY_PARTICIPANT_ID}"
    return [
        p("participant list, first page", ADMIN, "/deelnemers/"),
        p("participant list, middle page", ADMIN, "/deelnemers/", {"page": ids["middle"]}),
        p("participant list, last page", ADMIN, "/deelnemers/", {"page": ids["last"]}),
        p("participant list, from the letter M", ADMIN, "/deelnemers/", {"vanaf": "m"}),
        p("participant list, search by name", ADMIN, "/deelnemers/", {"q": "jansen"}),
        p("participant list, search by phone", ADMIN, "/deelnemers/", {"q": "0612345678"}),
        p("participant list, filter status", ADMIN, "/deelnemers/", {"status": "active"}),
        p("participant list, filter location", ADMIN, "/deelnemers/", {"location": "2"}),
        p("participant list, filter owner", ADMIN, "/deelnemers/", {"owner": heavy_owner}),
        p("participant list, my participants", HEAVY, "/deelnemers/", {"owner": "me"}),
        p("participant page, heaviest person", HEAVY, person),
        p("participant page, heaviest person", ADMIN, person),
        p("Mijn taken", HEAVY, "/taken"),
        p("Mijn taken, location view", LOCATION, "/taken", {"van": "vestiging"}),
        *[p(f"work queue, tab {tab}", user, "/aanmeldingen/", {"lijst": tab})
          for user in (HEAVY, ADMIN) for tab in ("nieuw", "contact", "niet-bereikt")],
        p("buiten beeld", HEAVY, "/buiten-beeld"),
        p("buiten beeld", ADMIN, "/buiten-beeld"),
        p("wachtlijst", HEAVY, "/koppelen/"),
        p("wachtlijst", ADMIN, "/koppelen/"),
        p("candidates for a waiting trajectory", HEAVY, f"/trajecten/{ids['waiting']}/koppelen"),
        p("candidates for a waiting trajectory", ADMIN, f"/trajecten/{ids['waiting']}/koppelen"),
        p("volunteer overview", HEAVY, "/vrijwilligers/"),
        p("volunteer overview", ADMIN, "/vrijwilligers/"),
        p("volunteer: my participants", VOLUNTEER, "/mijn/deelnemers"),
        p("volunteer: one match", VOLUNTEER, f"/mijn/koppelingen/{ids['match']}"),
        p("partner portal", PARTNER, "/partner/"),
        p("API list of referrals", API, "/api/v1/referrals"),
        p("dashboard 2026, all locations", ADMIN, "/rapportage/", PERIOD,
          target_ms=DASHBOARD_MS, relative=False),
    ]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _load() -> str:
    return ", ".join(f"{n:.2f}" for n in os.getloadavg()) + f" on {os.cpu_count()} cores"


# --- In-process: the test client -----------------------------------------------------------------

def _sign_in(app, email: str):
    client = app.test_client()
    with app.app_context():
        response = client.post("/inloggen", data={"email": email,
                                                   "password": regional.PASSWORD})
    assert response.status_code == 302, f"sign-in of {email} failed: {response.status_code}"
    with app.app_context():
        home = client.get("/")
    assert "/inloggen" not in (home.headers.get("Location") or ""), f"{email} not signed in"
    return client


def _measure(app, page_list: list[Page]) -> list[float]:
    from app.extensions import db

    clients = {user: (app.test_client() if user == API else _sign_in(app, user))
               for user in {page.user for page in page_list}}
    api_headers = {"Authorization": f"Bearer {regional.API_TOKEN}"}
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def get(page: Page):
        client = clients[page.user]
        headers = api_headers if page.user == API else {}
        with app.app_context():
            return client.get(page.path, query_string=page.query, headers=headers)

    def healthz() -> float:
        with app.app_context():
            started = time.perf_counter()
            response = clients[API].get("/healthz")
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, "healthz failed"
        return elapsed * 1000

    # Warm-up: connections, templates, caches; and a page that fails says so once.
    for page in page_list:
        try:
            response = get(page)
            if response.status_code != 200:
                page.error = f"HTTP {response.status_code}"
        except Exception:  # noqa: BLE001 (a 500 with real data is what this reports)
            page.error = traceback.format_exc(limit=-6)
    health: list[float] = []
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _run in range(RUNS):
            for page in page_list:
                if page.error:
                    continue
                health.append(healthz())
                statements.clear()
                started = time.perf_counter()
                response = get(page)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    page.error = f"HTTP {response.status_code}"
                    continue
                page.timings.append(elapsed * 1000)
                page.queries.append(len(statements))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return health


def _report(page_list: list[Page], health: list[float]) -> list[str]:
    health_p95 = _p95(health) if health else float("nan")
    lines = [f"{'page':<48} {'as':<20} {'p50':>6} {'p95':>6} {'ratio':>6} {'queries':>8}  "
             f"result (ms; ratio = p95 / p95 of /healthz; queries: the fewest per request, "
             f"(≤ the most) when a request also refreshed its session)"]
    failed = []
    for page in page_list:
        who = WHO[page.user]
        if page.error:
            lines.append(f"{page.label:<48} {who:<20} ERROR {page.error.splitlines()[-1]}")
            lines += ["    " + line for line in page.error.splitlines()[1:]]
            failed.append(f"{page.label} ({who})")
            continue
        p50, p95 = statistics.median(page.timings), _p95(page.timings)
        ratio = p95 / health_p95
        # The fewest: about once a minute a request also moves the server session's
        # last_seen_at (a few queries more), whatever the page.
        low, high = min(page.queries), max(page.queries)
        queries = str(low) if low == high else f"{low} (≤{high})"
        ok = p95 <= page.target_ms and (not page.relative or ratio <= HEALTHZ_FACTOR)
        target = f"p95 <= {page.target_ms}" + (f", <= {HEALTHZ_FACTOR}x" if page.relative
                                               else "")
        lines.append(f"{page.label:<48} {who:<20} {p50:>6.0f} {p95:>6.0f} {ratio:>6.1f} "
                     f"{queries:>8}  {'PASS' if ok else 'FAIL'} ({target})")
        if not ok:
            failed.append(f"{page.label} ({who})")
    lines.append(f"{'/healthz':<48} {'-':<20} {statistics.median(health):>6.1f} "
                 f"{health_p95:>6.1f}    1.0")
    passed = len(page_list) - len(failed)
    lines.append(f"targets: {passed} of {len(page_list)} pages PASS"
                 + (f"; FAIL: {'; '.join(failed)}" if failed else ""))
    return lines


# --- A real server: gunicorn, one sync worker ---------------------------------------------------

def wsgi_app():
    """The app gunicorn serves for the memory measurement (`module:wsgi_app()`)."""
    import tempfile

    from app import create_app
    from config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_PAGES_DATABASE_URL"]
    config["API_RATE_LIMIT"] = (10**9, 60)
    os.environ.setdefault("HOUVAST_INSTANCE_PATH", tempfile.mkdtemp())
    return create_app(config)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _private_mb(pid: int) -> float:
    """The worker's own memory (USS): pages no other process shares, so not the parts of the
    interpreter and libraries it shares with the gunicorn master."""
    total = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            total += int(line.split()[1])
    return total / 1024


def _worker_pid(master: int) -> int | None:
    children = Path(f"/proc/{master}/task/{master}/children")
    pids = children.read_text().split() if children.exists() else []
    return int(pids[0]) if pids else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _opener(base: str, email: str | None):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    if email is not None:
        data = urllib.parse.urlencode({"email": email, "password": regional.PASSWORD}).encode()
        try:
            opener.open(base + "/inloggen", data=data, timeout=60)
            raise AssertionError(f"sign-in of {email}: no redirect")
        except urllib.error.HTTPError as redirect:
            assert redirect.code == 302, f"sign-in of {email}: HTTP {redirect.code}"
    return opener


def _memory(url: str, page_list: list[Page]) -> list[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BENCH_PAGES_DATABASE_URL": url}
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--timeout", "300", "--log-level", "warning",
         "tests.bench.bench_pages:wsgi_app()"], cwd=root, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.5)
        worker = _worker_pid(server.pid)
        booted = _rss_mb(worker)
        booted_private = _private_mb(worker)
        openers = {user: _opener(base, None if user == API else user)
                   for user in {page.user for page in page_list}}
        mix = [page for page in page_list if not page.error]
        headers = {"Authorization": f"Bearer {regional.API_TOKEN}"}

        def request(page: Page) -> None:
            req = urllib.request.Request(base + page.url,  # noqa: S310 (our own server)
                                         headers=headers if page.user == API else {})
            with openers[page.user].open(req, timeout=300) as response:
                response.read()

        for page in mix:  # one round: every page has been rendered once
            request(page)
        warm = _rss_mb(worker)
        warm_private = _private_mb(worker)
        started = time.perf_counter()
        peak = warm
        for n in range(MEMORY_REQUESTS):
            request(mix[n % len(mix)])
            if n % 100 == 0:
                peak = max(peak, _rss_mb(worker))
        after = _rss_mb(worker)
        after_private = _private_mb(worker)
        peak = max(peak, after)
        same = _worker_pid(server.pid) == worker
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    ok = after <= MEMORY_TARGET_MB and same
    return [f"worker memory (gunicorn, 1 sync worker): VmRSS {booted:.0f} MB after start, "
            f"{warm:.0f} MB after one round of {len(mix)} pages, {after:.0f} MB after "
            f"{MEMORY_REQUESTS:,} more requests over the page mix (peak {peak:.0f} MB, "
            f"{elapsed:.0f} s{'' if same else ', WORKER RESTARTED'}) — "
            f"{'PASS' if ok else 'FAIL'} (<= {MEMORY_TARGET_MB} MB); private (USS) "
            f"{booted_private:.0f} / {warm_private:.0f} / {after_private:.0f} MB"]


def run(app) -> list[str]:
    import time_machine

    from app.extensions import db

    lines = [f"load average at start (1, 5, 15 min): {_load()}"]
    counts = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM participants), (SELECT count(*) FROM trajectories),"
        " (SELECT count(*) FROM checkins), (SELECT count(*) FROM match_sessions),"
        " (SELECT count(*) FROM audit_events)")).one()
    db.session.rollback()
    lines.append(f"data: {counts[0]:,} people, {counts[1]:,} trajectories, {counts[2]:,} "
                 f"check-ins, {counts[3]:,} sessions, {counts[4]:,} audit events; "
                 f"{RUNS} requests per page, each after a /healthz")
    # Unlimited API requests here: the limit per minute is not what is measured.
    app.config["API_RATE_LIMIT"] = (10**9, 60)
    page_list = pages(_ids())
    with time_machine.travel(regional.NOW, tick=True):
        health = _measure(app, page_list)
    lines += _report(page_list, health)
    lines.append(f"load average at end (1, 5, 15 min): {_load()}")
    if MEMORY_REQUESTS > 0:
        url = db.engine.url.render_as_string(hide_password=False)
        lines += _memory(url, page_list)
    return lines


if __name__ == "__main__":
    # Only the memory part, against an existing migrated database (see the docstring).
    _url = os.environ["BENCH_PAGES_DATABASE_URL"]
    with wsgi_app().app_context():
        _page_list = pages(_ids())
    print("\n".join(_memory(_url, _page_list)))
