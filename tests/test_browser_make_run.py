"""`make run` in a real browser (issue 19): the server started exactly as `make run` starts
it (its commands from `make -n run`: migrations, demo data, `flask run` without the debugger)
over plain http on 127.0.0.1, where the session cookie is Secure. Chromium counts
http://127.0.0.1 as a secure context, so signing in must still work there; and no page the
demo walks through may break the Content-Security-Policy."""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.browser_support import _require_chromium, sign_in
from tests.conftest import free_port

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make") or "/usr/bin/make"
BASH = shutil.which("bash") or "/bin/bash"
PASSWORD = "demo-wachtwoord-voor-de-test"
DESKTOP = {"width": 1280, "height": 900}
PAGES = ["/aanmeldingen/", "/deelnemers/", "/koppelen/", "/taken", "/groepen/", "/agenda/",
         "/zorgen", "/rapportage/", "/vrijwilligers/", "/mijn-account"]


def _wait_for(port: int, process, log_path: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make run stopped: {log_path.read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("make run did not start in time")


@pytest.fixture(scope="module")
def make_run_server(tmp_path_factory):
    _require_chromium()
    port = free_port()
    printed = subprocess.run(  # noqa: S603 (our own Makefile, fixed arguments)
        [MAKE, "-n", "run", f"PORT={port}"], cwd=ROOT, check=True, capture_output=True,
        text=True).stdout
    # The app's own steps; not a reinstall of the virtualenv when pyproject.toml is newer.
    commands = "\n".join(line for line in printed.splitlines() if "bin/flask" in line)
    env = {key: value for key, value in os.environ.items()
           if key not in ("FLASK_DEBUG", "DATABASE_URL", "SECRET_KEY")}
    folder = tmp_path_factory.mktemp("make-run")
    env.update(HOUVAST_INSTANCE_PATH=str(folder / "instance"), HOUVAST_DEMO_PASSWORD=PASSWORD)
    log_path = folder / "make-run.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(  # noqa: S603 (the Makefile's own commands)
            [BASH, "-ec", commands], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(port, process, log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        # Our own process group only (bash and the flask it started).
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


class Server:
    def __init__(self, url: str):
        self.url = url

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def test_sign_in_works_over_http_on_127_0_0_1_and_no_page_breaks_the_csp(make_run_server,
                                                                         browser_page):
    server = Server(make_run_server)
    page = browser_page(DESKTOP)
    violations, errors = [], []
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.context.expose_function("reportViolation", lambda text: violations.append(text))
    page.context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));")

    sign_in(page, server, "coordinator@houvast.demo", PASSWORD)
    assert page.url.startswith(server("/")) and "/inloggen" not in page.url
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["secure"] and cookie["httpOnly"]
    for path in PAGES:
        response = page.goto(server(path))
        assert response.status == 200, path
        assert "no-store" in response.headers["cache-control"]
        page.wait_for_load_state("networkidle")
    assert not violations, violations
    assert not errors, errors

    # The debugger of `make dev` is not there.
    assert page.goto(server("/console")).status == 404
