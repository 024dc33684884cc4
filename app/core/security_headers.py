"""Security headers on every response (issue 19, "Headers and limits").

One after-request hook instead of an extension: the policy is a handful of fixed headers,
and a hook keeps them in one readable place (Flask-Talisman would add its own HTTPS redirect
and session-cookie handling, which config.py and the proxy already decide).
"""

from flask import Flask, request

# Scripts and styles only from our own static files: no inline <script>, no style=""
# attributes, no on*= handlers (the templates carry none; static/js does the work).
# img-src allows data: because Pico's own stylesheet draws its checkbox, select and date
# icons as data: SVG images; nothing of ours uses data: URLs.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

# Two years, the value the HSTS preload list asks for; only ever sent over HTTPS (a browser
# ignores it over http anyway, and a plain-http `make run` must keep working).
HSTS = "max-age=63072000; includeSubDomains"

FIXED_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Off, as the OWASP Secure Headers Project advises: the old browsers' XSS filter could be
    # abused to leak or break pages, and the CSP above is what protects (wapiti still asks
    # for "1"; see the README).
    "X-XSS-Protection": "0",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def register(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response):
    for name, value in FIXED_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        # Every page but the static files may show personal data (a signed-in page, the
        # portal, the API, a set-password link, a form that came back with what was typed):
        # no browser or proxy may keep a copy. Static files (CSS, JS, fonts) stay cacheable.
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.headers["Pragma"] = "no-cache"
    return response
