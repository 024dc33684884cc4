"""JSON API for partner systems (token auth, no session, no CSRF) and the token admin pages."""

import json
from functools import wraps

import click
import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.api import bp
from app.api import service as api
from app.api.forms import TokenForm
from app.api.models import ApiToken
from app.api.openapi import document
from app.audit import service as audit
from app.auth.permissions import partner_referrals, require
from app.auth.session import public
from app.core.db import utcnow
from app.core.forms import select_choices
from app.extensions import csrf, db
from app.partners.models import Partner
from app.portal.service import referrals_page, with_stage_details
from app.referrals.models import Referral

PROBLEM_TYPES = "https://houvast.example/problemen/"


def problem(status: int, slug: str, title: str, detail_nl: str, detail_en: str,
            errors: list | None = None, headers: dict | None = None) -> Response:
    body = {"type": PROBLEM_TYPES + slug, "title": title, "status": status,
            "detail": detail_en, "detail_nl": detail_nl, "detail_en": detail_en}
    if errors:
        body["errors"] = [{"field": e.field, "detail_nl": e.detail_nl, "detail_en": e.detail_en}
                          for e in errors]
    response = current_app.response_class(json.dumps(body), status=status,
                                          mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def not_found() -> Response:
    return problem(404, "niet-gevonden", "Not Found", "Deze aanmelding bestaat niet.",
                   "This referral does not exist.")


def token_required(view):
    """Token authentication and the per-token rate limit; sets `g.api_token`."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        now = utcnow()
        token = api.authenticate(request.headers.get("Authorization"), now)
        if token is None:
            db.session.rollback()
            return problem(401, "niet-ingelogd", "Unauthorized",
                           "Geen geldig API-token. Vraag het Taalhuis om een token.",
                           "No valid API token. Ask the Taalhuis for a token.",
                           headers={"WWW-Authenticate": 'Bearer realm="houvast"'})
        limit, window = current_app.config.get("API_RATE_LIMIT", (120, 60))
        wait = api.over_limit(f"token:{token.id}", limit, window, now)
        if wait is not None:
            db.session.commit()
            return problem(429, "te-veel-verzoeken", "Too Many Requests",
                           "Te veel verzoeken. Probeer het zo nog eens.",
                           "Too many requests. Try again shortly.",
                           headers={"Retry-After": str(wait)})
        db.session.commit()
        g.api_token = token
        g.api_now = now
        return view(*args, **kwargs)

    return wrapped


def api_view(view):
    return csrf.exempt(public(view))


@bp.get("/openapi.json")
@api_view
def openapi():
    return jsonify(document())


@bp.post("/referrals")
@api_view
@token_required
def create_referral():
    token, now = g.api_token, g.api_now
    partner = token.partner
    key = request.headers.get("Idempotency-Key")
    if key is not None and not api.IDEMPOTENCY_KEY.match(key):
        return problem(400, "ongeldige-sleutel", "Bad Request",
                       "De Idempotency-Key mag alleen letters, cijfers en . _ : - bevatten "
                       "(hoogstens 200).",
                       "The Idempotency-Key may only hold letters, digits and . _ : - "
                       "(at most 200).")
    if not request.is_json:
        return problem(415, "geen-json", "Unsupported Media Type",
                       "Stuur JSON (Content-Type: application/json).",
                       "Send JSON (Content-Type: application/json).")
    data = _request_json()
    if data is None:
        return problem(400, "onleesbaar", "Bad Request", "Deze JSON is niet te lezen.",
                       "This JSON cannot be parsed.")
    if _depth_over(data, MAX_JSON_DEPTH):
        return problem(400, "te-diep", "Bad Request",
                       f"Deze JSON is te diep genest (hoogstens {MAX_JSON_DEPTH} lagen).",
                       f"This JSON is nested too deeply (at most {MAX_JSON_DEPTH} levels).")
    req_hash = api.request_hash(data)
    if key is not None:
        earlier = api.find_idempotent(partner.id, key)
        if earlier is not None:
            return _replay(earlier, req_hash)
    validated = api.validate_referral(data, partner, now)
    if validated.errors:
        return problem(422, "ongeldige-aanmelding", "Unprocessable Content",
                       "De aanmelding is niet compleet of klopt niet. Zie 'errors'.",
                       "The referral is incomplete or invalid. See 'errors'.",
                       errors=validated.errors)
    referral = api.create_referral(validated, partner, now)
    body = api.referral_json(referral)
    try:
        # The flush in remember() is where a second request with the same key meets the
        # unique constraint (PostgreSQL waits there for the first one to commit).
        if key is not None:
            api.remember(partner.id, key, req_hash, 201, body, now)
        db.session.commit()
    except sa.exc.IntegrityError:
        # The same key arrived twice at once: the other request won; answer as it did.
        db.session.rollback()
        earlier = api.find_idempotent(partner.id, key) if key is not None else None
        if earlier is None:
            raise
        return _replay(earlier, req_hash)
    response = current_app.response_class(json.dumps(body), status=201,
                                          mimetype="application/json")
    response.headers["Location"] = url_for("api.get_referral", referral_id=referral.id)
    return response


# A referral is two or three levels deep; anything much deeper is not one, and every later
# step (hashing, validation) would walk it again.
MAX_JSON_DEPTH = 20


def _request_json():
    """The posted JSON, or None when it cannot be read. Python's parser gives up on deeply
    nested input with RecursionError, not ValueError: without this it was a 500."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is None and len(request.get_data()) >= limit:
        # A body without Content-Length (chunked) is cut off at the limit by Werkzeug,
        # silently: say it was too large rather than "unreadable".
        abort(413)
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def _depth_over(data, limit: int) -> bool:
    """Whether `data` nests deeper than `limit` lists/objects; iterative, so no recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _replay(earlier, req_hash: str) -> Response:
    if earlier.request_hash != req_hash:
        return problem(422, "sleutel-hergebruikt", "Unprocessable Content",
                       "Deze Idempotency-Key is al gebruikt voor een andere aanmelding.",
                       "This Idempotency-Key was already used for a different request.")
    response = current_app.response_class(earlier.response_body, status=earlier.response_status,
                                          mimetype="application/json")
    body = json.loads(earlier.response_body)
    if "id" in body:
        response.headers["Location"] = url_for("api.get_referral", referral_id=body["id"])
    return response


def _page_arguments(max_per_page: int, default_per_page: int) -> tuple[int, int] | None:
    try:
        page = int(request.args.get("page", "1"))
        per_page = int(request.args.get("per_page", str(default_per_page)))
    except ValueError:
        return None
    if not (1 <= page <= 100000 and 1 <= per_page <= max_per_page):
        return None
    return page, per_page


def _bad_page() -> Response:
    return problem(400, "ongeldige-pagina", "Bad Request",
                   "page moet 1 tot 100000 zijn, per_page 1 tot 100.",
                   "page must be 1 to 100000, per_page 1 to 100.")


@bp.get("/referrals")
@api_view
@token_required
def list_referrals():
    arguments = _page_arguments(100, 25)
    if arguments is None:
        return _bad_page()
    page, per_page = arguments

    result = referrals_page(partner_referrals(g.api_token.partner_id), page, per_page)
    body = {"items": [api.referral_json(r) for r in result.items], "page": page,
            "per_page": per_page, "total": result.total}
    audit.record(None, "view", "partner_referrals", None, now=g.api_now,
                 summary=f"API {g.api_token.prefix}: lijst, pagina {page}")
    db.session.commit()
    return jsonify(body)


@bp.get("/locations")
@api_view
@token_required
def list_locations():
    """The active Taalhuis locations, so a partner system can pick a `location_id`."""
    arguments = _page_arguments(100, 100)
    if arguments is None:
        return _bad_page()
    page, per_page = arguments
    result = db.paginate(api.active_locations(), page=page, per_page=per_page,
                         error_out=False)
    body = {"items": [{"id": loc.id, "name": loc.name} for loc in result.items],
            "page": page, "per_page": per_page, "total": result.total}
    return jsonify(body)


@bp.get("/referrals/<int:referral_id>")
@api_view
@token_required
def get_referral(referral_id: int):

    referral = db.session.scalar(with_stage_details(
        partner_referrals(g.api_token.partner_id).where(Referral.id == referral_id)))
    if referral is None:
        return not_found()
    body = api.referral_json(referral)
    audit.record(None, "view", "referral", referral.id, now=g.api_now,
                 participant_id=referral.trajectory.participant_id,
                 summary=f"API {g.api_token.prefix}: stand opgevraagd")
    db.session.commit()
    return jsonify(body)


# --- Token administration (/beheer/api-tokens) ---------------------------------------------------

tokens_bp = Blueprint("api_tokens", __name__, url_prefix="/beheer/api-tokens")


@bp.record_once
def _register_token_pages(state) -> None:
    # The feature has one blueprint; its admin pages live under /beheer, outside /api/v1.
    state.app.register_blueprint(tokens_bp)


def _partners():
    return db.session.scalars(
        sa.select(Partner).where(Partner.active.is_(True)).order_by(Partner.name)).all()


@tokens_bp.route("/", methods=["GET", "POST"])
@require("partners.manage")
def tokens():

    form = TokenForm()
    form.partner_id.choices = select_choices((p.id, p.name) for p in _partners())
    new_token = None
    if form.validate_on_submit():
        partner = db.session.get(Partner, form.partner_id.data)
        now = utcnow()
        record, new_token = api.create_token(partner, form.name.data, current_user, now)
        audit.record(current_user, "create", "api_token", record.id,
                     summary=f"API-token voor {partner.name}", now=now)
        db.session.commit()
        flash(_("Het token is gemaakt. Kopieer het nu: u ziet het maar één keer."), "success")
    page = db.paginate(
        sa.select(ApiToken).options(joinedload(ApiToken.partner))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc()),
        page=request.args.get("page", 1, type=int), per_page=current_app.config["PER_PAGE"],
        error_out=False)
    return render_template("api/tokens.html", form=form, page=page, new_token=new_token)


@tokens_bp.post("/<int:token_id>/intrekken")
@require("partners.manage")
def revoke(token_id: int):

    record = db.session.get(ApiToken, token_id) or abort(404)
    now = utcnow()
    api.revoke_token(record, now)
    audit.record(current_user, "update", "api_token", record.id, summary="API-token ingetrokken",
                 now=now)
    db.session.commit()
    flash(_("Het token is ingetrokken. Het werkt niet meer."), "success")
    return redirect(url_for("api_tokens.tokens"))


# --- CLI: flask --app wsgi api-token create --partner "<name>" ----------------------------------

@bp.cli.command("create")
@click.option("--partner", "partner_name", required=True, help="Name of the partner.")
@click.option("--name", default="", help="What the token is for (e.g. the system's name).")
def create_token_command(partner_name: str, name: str) -> None:
    """Create an API token for a partner; the token is printed once."""
    partner = db.session.scalar(sa.select(Partner).where(Partner.name == partner_name))
    if partner is None:
        raise click.ClickException(f"Partner {partner_name!r} not found.")
    _record, token = api.create_token(partner, name or partner.name, None, utcnow())
    db.session.commit()
    click.echo(token)


@bp.cli.command("revoke")
@click.argument("prefix")
def revoke_token_command(prefix: str) -> None:
    """Revoke the active token(s) that start with PREFIX."""
    records = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.prefix == prefix[:10],
                                  ApiToken.revoked_at.is_(None))).all()
    if not records:
        raise click.ClickException("No active token with that prefix.")
    for record in records:
        api.revoke_token(record, utcnow())
    db.session.commit()
    click.echo(f"revoked {len(records)}")
