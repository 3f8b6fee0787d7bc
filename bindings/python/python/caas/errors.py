"""Every error CAAS raises: :class:`CaasError` and one subclass per kind.

Each carries ``code`` (stable, machine-readable: ``invalid_input``,
``token_expired``, …), ``status`` (the HTTP status the server would answer),
``field`` (the argument at fault, when there is one) and ``detail`` (extra
structured information, or ``None``).

Token errors keep PyJWT's names, so code written against PyJWT ports by
changing an import: ``ExpiredSignatureError``, ``InvalidAudienceError``,
``InvalidIssuerError``, ``ImmatureSignatureError``, ``InvalidAlgorithmError``,
``MissingRequiredClaimError``, ``InvalidSignatureError`` are all
:class:`InvalidToken` (``InvalidTokenError``), itself :class:`Unauthenticated`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CaasError",
    "Conflict",
    "DecodeError",
    "ExpiredSignatureError",
    "ExpiredToken",
    "Forbidden",
    "ImmatureSignatureError",
    "Internal",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidInput",
    "InvalidIssuerError",
    "InvalidSignatureError",
    "InvalidToken",
    "InvalidTokenError",
    "MissingRequiredClaimError",
    "NotFound",
    "QuotaExceeded",
    "RateLimited",
    "Unauthenticated",
    "Unavailable",
]


class CaasError(Exception):
    """An error CAAS raised; the base of every other class here."""

    #: The code when none is given.
    default_code = "internal"
    #: The HTTP status when none is given.
    default_status = 500

    code: str
    status: int
    field: str | None
    detail: Any | None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
        detail: Any | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.status = status if status is not None else self.default_status
        self.field = field
        self.detail = detail

    def __reduce__(self) -> Any:
        return (
            _rebuild,
            (type(self), self.message, self.code, self.status, self.field, self.detail),
        )

    def __repr__(self) -> str:
        field = f", field={self.field!r}" if self.field else ""
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}{field})"


def _rebuild(
    cls: type[CaasError],
    message: str,
    code: str,
    status: int,
    field: str | None,
    detail: Any | None,
) -> CaasError:
    return cls(message, code=code, status=status, field=field, detail=detail)


class InvalidInput(CaasError, ValueError):
    """A value fails validation (400); ``field`` names it."""

    default_code, default_status = "invalid_input", 400


class Unauthenticated(CaasError):
    """No valid credentials (401)."""

    default_code, default_status = "unauthenticated", 401


class Forbidden(CaasError):
    """The caller is known but not allowed (403)."""

    default_code, default_status = "forbidden", 403


class NotFound(CaasError, LookupError):
    """The thing does not exist, or the caller may not know it does (404)."""

    default_code, default_status = "not_found", 404


class Conflict(CaasError):
    """The request conflicts with the current state (409)."""

    default_code, default_status = "conflict", 409


class RateLimited(CaasError):
    """Too many requests; retry later (429)."""

    default_code, default_status = "rate_limited", 429


class QuotaExceeded(CaasError):
    """The tenant's quota for the period is used up (429)."""

    default_code, default_status = "quota_exceeded", 429


class Unavailable(CaasError):
    """A backend cannot be reached; retrying may help (503)."""

    default_code, default_status = "unavailable", 503


class Internal(CaasError):
    """A bug or an unexpected state (500); the detail is in the log."""


class InvalidToken(Unauthenticated):
    """A token failed a check (401 ``invalid_token``)."""

    default_code = "invalid_token"


class ExpiredToken(InvalidToken):
    """The token's ``exp`` has passed."""

    default_code = "token_expired"


class InvalidAudienceError(InvalidToken):
    """The token's ``aud`` does not name this service."""

    default_code = "invalid_audience"


class InvalidIssuerError(InvalidToken):
    """The token's ``iss`` is another issuer."""

    default_code = "invalid_issuer"


class ImmatureSignatureError(InvalidToken):
    """The token is not valid yet (``nbf`` or ``iat`` ahead)."""

    default_code = "token_not_yet_valid"


class InvalidAlgorithmError(InvalidToken):
    """The token's algorithm is not allowed (``none``, HS256, or not its key's)."""

    default_code = "invalid_algorithm"


class MissingRequiredClaimError(InvalidToken):
    """The token lacks a claim CAAS requires."""

    default_code = "missing_claim"


class InvalidSignatureError(InvalidToken):
    """The signature does not verify, or the key is unknown."""

    default_code = "invalid_signature"


#: PyJWT's names for the same classes.
InvalidTokenError = InvalidToken
ExpiredSignatureError = ExpiredToken
DecodeError = InvalidToken
