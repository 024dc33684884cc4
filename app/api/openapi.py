"""The OpenAPI 3.1 document of /api/v1. Tests run schemathesis against it, so it stays true."""

from app.core.choices import PREFERRED_CHANNEL
from app.portal.service import STAGES

_TEXT = {"type": "string"}
# The characters of a phone number, at most 40 (the length lives in the pattern: schemathesis
# cannot combine maxLength with a pattern). The server then checks that it is a real number
# (app.core.phone: Dutch unless it starts with a country code) and answers 422 if not.
_PHONE = {"type": "string", "pattern": r"^\+?[0-9 ()./-]{8,39}$"}
_EMAIL = {"type": "string", "maxLength": 254, "format": "email"}


def _problem_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {
            "schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _page_schema(item: str) -> dict:
    """The body of a list answer: one page of `item` schemas and where it is in the list."""
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    }


def _page_operation(per_page: int, what: str, schema: str, unauthorized: dict,
                    rate_limited: dict) -> dict:
    """Parameters and responses of a paginated list endpoint."""
    return {
        "parameters": [
            {"name": "page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}},
            {"name": "per_page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": per_page}},
        ],
        "responses": {
            "200": {"description": f"A page of {what}", "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
            "400": _problem_response("Invalid page / ongeldige pagina."),
            "401": unauthorized,
            "429": rate_limited,
        },
    }


def document() -> dict:
    referral_in = {
        "type": "object",
        "additionalProperties": False,
        "required": ["first_name", "question", "location_id", "consent_referral",
                     "consent_share_status"],
        "properties": {
            "first_name": {**_TEXT, "minLength": 1, "maxLength": 80,
                           "description": "Voornaam / first name."},
            "last_name": _nullable({**_TEXT, "maxLength": 120}),
            "phone": _nullable({**_PHONE, "examples": ["06-12345678"],
                                "description": "Telefoon van de persoon / the person's "
                                               "phone, Dutch or with a country code (+32 ...). "
                                               "Phone or email is required."}),
            "email": _nullable({**_EMAIL,
                                "description": "E-mail van de persoon / the person's "
                                               "e-mail. Phone or email is required."}),
            "preferred_channel": {"type": "string", "enum": list(PREFERRED_CHANNEL),
                                  "default": "phone"},
            "question": {**_TEXT, "minLength": 1, "maxLength": 2000,
                         "description": "Wat wil de persoon leren / the learning question."},
            "best_moment": _nullable({**_TEXT, "maxLength": 200}),
            "referrer_name": _nullable({**_TEXT, "maxLength": 120,
                                        "description": "Contactpersoon bij de verwijzer / "
                                                       "the referrer's contact person."}),
            "referrer_phone": _nullable({**_PHONE, "examples": ["030-1234567"],
                                         "description": "Telefoon van de contactpersoon / "
                                                        "the contact person's phone."}),
            "referrer_email": _nullable({**_EMAIL,
                                         "description": "E-mail van de contactpersoon. "
                                                        "With consent, stage signals about "
                                                        "this referral go here instead of "
                                                        "to the organisation's address."}),
            "location_id": {"type": "integer", "minimum": 1,
                            "description": "The Taalhuis location that should call."},
            "consent_referral": {"type": "boolean", "const": True,
                                 "description": "The person agreed to be referred."},
            "consent_share_status": {"type": "boolean",
                                     "description": "The person agreed that the referrer "
                                                    "hears how it goes: for this referral "
                                                    "only."},
        },
        # The Taalhuis must be able to reach the person: at least one of phone and email.
        "anyOf": [
            {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
            {"required": ["email"], "properties": {"email": {"type": "string"}}},
        ],
    }
    location_out = {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer", "description": "Use as location_id in a referral."},
            "name": {"type": "string"},
        },
    }
    referral_out = {
        "type": "object",
        "required": ["id", "name", "referred_on", "status_shared", "stage", "stage_label",
                     "stage_date"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "description": "First name and initial only."},
            "referred_on": {"type": "string", "format": "date"},
            "status_shared": {"type": "boolean",
                              "description": "False: no consent to share with this "
                                             "referral's referrer (consent is per "
                                             "referral); the stage is then always "
                                             "'aangemeld'."},
            "stage": {"type": "string", "enum": list(STAGES)},
            "stage_label": {"type": "string"},
            "stage_date": {"type": "string", "format": "date"},
        },
    }
    problem = {
        "type": "object",
        "required": ["type", "title", "status", "detail", "detail_nl", "detail_en"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "detail_nl": {"type": "string"},
            "detail_en": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object",
                "required": ["field", "detail_nl", "detail_en"],
                "properties": {"field": {"type": "string"}, "detail_nl": {"type": "string"},
                               "detail_en": {"type": "string"}},
            }},
        },
    }
    unauthorized = _problem_response("No valid API token / geen geldig token.")
    rate_limited = {
        **_problem_response("Too many requests / te veel verzoeken."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
    referral_ok = {"application/json": {"schema": {"$ref": "#/components/schemas/Referral"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Houvast partner API",
            "version": "1.0.0",
            "description": "Refer people to the Taalhuis and follow their stage, within the "
                           "person's consent. Errors are application/problem+json (RFC 9457) "
                           "with Dutch (detail_nl) and English (detail_en) detail.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/referrals": {
                "post": {
                    "operationId": "createReferral",
                    "summary": "Refer a person",
                    "parameters": [{
                        "name": "Idempotency-Key", "in": "header", "required": False,
                        "description": "A retried POST with the same key returns the first "
                                       "result; another body with the same key gives 422.",
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,200}$"},
                    }],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ReferralInput"}}}},
                    "responses": {
                        "201": {"description": "Created", "content": referral_ok,
                                "headers": {"Location": {"schema": {"type": "string"}}}},
                        "400": _problem_response("Malformed request / onleesbaar verzoek."),
                        "401": unauthorized,
                        "415": _problem_response("Not JSON / geen JSON."),
                        "422": _problem_response("Invalid referral (for example neither phone "
                                                 "nor email), or Idempotency-Key reused "
                                                 "with another body."),
                        "429": rate_limited,
                    },
                },
                "get": {
                    "operationId": "listReferrals",
                    "summary": "The partner's own referrals, newest first",
                    **_page_operation(25, "referrals", "ReferralPage", unauthorized, rate_limited),
                },
            },
            "/locations": {
                "get": {
                    "operationId": "listLocations",
                    "summary": "The active Taalhuis locations (for location_id), by name",
                    **_page_operation(100, "locations", "LocationPage", unauthorized, rate_limited),
                },
            },
            "/referrals/{referral_id}": {
                "get": {
                    "operationId": "getReferral",
                    "summary": "The stage of one of the partner's referrals",
                    "parameters": [{"name": "referral_id", "in": "path", "required": True,
                                    "schema": {"type": "integer", "minimum": 1,
                                               "maximum": 2147483647}}],
                    "responses": {
                        "200": {"description": "The referral", "content": referral_ok},
                        "401": unauthorized,
                        "404": _problem_response("Unknown, or not this partner's referral."),
                        "429": rate_limited,
                    },
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1 document",
                                          "content": {"application/json": {
                                              "schema": {"type": "object"}}}}},
                },
            },
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A token from the Taalhuis "
                                                              "admin (hv_...)."}},
            "schemas": {
                "ReferralInput": referral_in,
                "Referral": referral_out,
                "ReferralPage": _page_schema("Referral"),
                "Location": location_out,
                "LocationPage": _page_schema("Location"),
                "Problem": problem,
            },
        },
    }
