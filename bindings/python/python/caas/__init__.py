"""CAAS from Python: tenancy, tokens, sessions, authorization, end-to-end
encryption, privacy and KSP — the Rust SDK as a typed wheel.

- :class:`Platform` — the embedded CAAS (``Platform.open("sqlite::memory:")``),
  with ``.tenants``, ``.auth``, ``.tokens``, ``.authz``, ``.keys``, ``.games``
  and ``.privacy``. Every method has a sync form and an awaitable
  ``a``-prefixed form (``login`` / ``alogin``).
- :mod:`caas.tokens` — :class:`TokenVerifier` for resource servers.
- :mod:`caas.errors` — one exception class per error kind (re-exported here).
"""

from caas._caas import (
    Auth,
    Authz,
    Claims,
    Games,
    Keys,
    Platform,
    Privacy,
    RouteCheck,
    Tenant,
    Tenants,
    Tokens,
    TokenVerifier,
    __version__,
    verify_audit_consistency,
)
from caas.errors import (
    CaasError,
    Conflict,
    DecodeError,
    ExpiredSignatureError,
    ExpiredToken,
    Forbidden,
    ImmatureSignatureError,
    Internal,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidInput,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidToken,
    InvalidTokenError,
    MissingRequiredClaimError,
    NotFound,
    QuotaExceeded,
    RateLimited,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "Auth",
    "Authz",
    "CaasError",
    "Claims",
    "Conflict",
    "DecodeError",
    "ExpiredSignatureError",
    "ExpiredToken",
    "Forbidden",
    "Games",
    "ImmatureSignatureError",
    "Internal",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidInput",
    "InvalidIssuerError",
    "InvalidSignatureError",
    "InvalidToken",
    "InvalidTokenError",
    "Keys",
    "MissingRequiredClaimError",
    "NotFound",
    "Platform",
    "Privacy",
    "QuotaExceeded",
    "RateLimited",
    "RouteCheck",
    "Tenant",
    "Tenants",
    "TokenVerifier",
    "Tokens",
    "Unauthenticated",
    "Unavailable",
    "__version__",
    "verify_audit_consistency",
]
