"""The exception hierarchy: kinds, PyJWT's names, attributes, pickling."""

from __future__ import annotations

import pickle

import pytest

import caas
from caas import errors


def test_every_token_error_is_an_invalid_token_and_unauthenticated() -> None:
    for cls in (
        errors.ExpiredToken,
        errors.InvalidAudienceError,
        errors.InvalidIssuerError,
        errors.ImmatureSignatureError,
        errors.InvalidAlgorithmError,
        errors.MissingRequiredClaimError,
        errors.InvalidSignatureError,
    ):
        assert issubclass(cls, errors.InvalidToken)
        assert issubclass(cls, errors.Unauthenticated)
        assert issubclass(cls, errors.CaasError)
        assert cls("x").status == 401
    assert errors.ExpiredSignatureError is errors.ExpiredToken
    assert errors.InvalidTokenError is errors.InvalidToken
    assert issubclass(errors.InvalidInput, ValueError)
    assert issubclass(errors.NotFound, LookupError)


def test_each_kind_has_its_status_and_code() -> None:
    expected = {
        errors.InvalidInput: (400, "invalid_input"),
        errors.Unauthenticated: (401, "unauthenticated"),
        errors.Forbidden: (403, "forbidden"),
        errors.NotFound: (404, "not_found"),
        errors.Conflict: (409, "conflict"),
        errors.RateLimited: (429, "rate_limited"),
        errors.QuotaExceeded: (429, "quota_exceeded"),
        errors.Unavailable: (503, "unavailable"),
        errors.Internal: (500, "internal"),
    }
    for cls, (status, code) in expected.items():
        e = cls("message")
        assert (e.status, e.code, e.field, e.detail) == (status, code, None, None)
        assert str(e) == "message"


def test_errors_pickle_with_their_attributes() -> None:
    e = errors.InvalidInput("bad slug", code="invalid_slug", field="slug", detail={"max": 63})
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is errors.InvalidInput
    assert (back.message, back.code, back.status, back.field, back.detail) == (
        "bad slug",
        "invalid_slug",
        400,
        "slug",
        {"max": 63},
    )


def test_a_native_refusal_names_the_field(platform: caas.Platform) -> None:
    with pytest.raises(caas.InvalidInput) as raised:
        platform.tenants.create("X!", "Bad slug")
    assert raised.value.field == "slug"
    assert raised.value.status == 400
    with pytest.raises(caas.InvalidInput) as raised:
        platform.tenants.create("fine-slug", "Half an admin", admin_email="a@b.example")
    assert raised.value.field == "admin_password"
