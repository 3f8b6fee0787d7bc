"""Verifying CAAS access tokens in a resource server.

:class:`TokenVerifier` checks a token's signature (an asymmetric algorithm
its key declares: EdDSA, ES256, RS256 or PS256 — never ``none`` or HS256),
``exp``/``nbf``/``iat`` with leeway, ``iss``, ``aud`` and the tenant, and
hands back :class:`Claims`. Keys come from a JWKS document
(:meth:`TokenVerifier.from_jwks`) or from the issuer's discovery document
(:meth:`TokenVerifier.from_issuer`, fetched again when a token names a new
key). A verified token is remembered, so verifying it again is a lookup; its
expiry is still checked every time. Revocation is not visible here: a
service that must see a logout at once introspects the token instead.
"""

from caas._caas import Claims, TokenVerifier

__all__ = ["Claims", "TokenVerifier"]
