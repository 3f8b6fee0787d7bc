"""Interop check of caas-auth against a running caas-server, with
independent libraries: pyotp computes the TOTP codes the server must accept
(and refuse when replayed), and PyJWT verifies an access token using only
the tenant's published JWKS, with issuer and audience checks.

Usage: check_auth.py BASE_URL ADMIN_KEY TOKEN_OUT
Writes the access token and the tenant's issuer to TOKEN_OUT (JSON) for the
npm `jose` check that follows.
"""
import json
import secrets
import sys
import time
import urllib.error
import urllib.request

import jwt
import pyotp

base, admin_key, out = sys.argv[1], sys.argv[2], sys.argv[3]
slug = "interop-" + secrets.token_hex(4)
password = "kamen-skarje-papir-interop"


def call(method, path, body=None, token=None, tenant=slug):
    req = urllib.request.Request(base + path, method=method)
    if body is not None:
        req.data = json.dumps(body).encode()
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    if tenant:
        req.add_header("x-tenant-id", tenant)
    try:
        with urllib.request.urlopen(req) as r:
            text = r.read()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


status, _ = call("POST", "/v1/admin/tenants", {
    "slug": slug, "name": "Interop",
    "admin": {"email": "boss@example.com", "password": password},
}, token=admin_key, tenant=None)
assert status == 201, status

status, pair = call("POST", "/v1/auth/login", {"login": "boss@example.com", "password": password})
assert status == 200, (status, pair)
token = pair["access_token"]

# TOTP: enroll, confirm with pyotp's code.
status, enrollment = call("POST", "/v1/auth/mfa/totp", token=token)
assert status == 201, (status, enrollment)
totp = pyotp.parse_uri(enrollment["otpauth_uri"])
assert totp.secret == enrollment["secret"]
status, codes = call("POST", "/v1/auth/mfa/totp/confirm", {"code": totp.now()}, token=token)
assert status == 200 and len(codes["backup_codes"]) == 10, (status, codes)

# Log in again: the MFA step accepts pyotp's next code once.
step = totp.interval - int(time.time()) % totp.interval
time.sleep(step + 0.5)  # a step the confirmation did not use
code = totp.now()
status, challenge = call("POST", "/v1/auth/login", {"login": "boss@example.com", "password": password})
assert status == 200 and challenge["mfa_required"], (status, challenge)
status, pair = call("POST", "/v1/auth/mfa/verify", {"challenge_id": challenge["challenge_id"], "code": code})
assert status == 200, (status, pair)
status, again = call("POST", "/v1/auth/login", {"login": "boss@example.com", "password": password})
status, refused = call("POST", "/v1/auth/mfa/verify", {"challenge_id": again["challenge_id"], "code": code})
assert status == 401 and refused["code"] == "invalid_code", (status, refused)
print("ok: pyotp codes accepted, a replayed code refused")

# PyJWT with nothing but the JWKS.
token = pair["access_token"]
issuer = f"{base}/t/{slug}"  # the server's public_url is the base
jwks = jwt.PyJWKClient(f"{base}/t/{slug}/.well-known/jwks.json")
key = jwks.get_signing_key_from_jwt(token)
claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="caas", issuer=issuer)
assert claims["amr"] == ["pwd", "otp", "mfa"], claims
for wrong in [{"audience": "other", "issuer": issuer}, {"audience": "caas", "issuer": issuer + "x"}]:
    try:
        jwt.decode(token, key.key, algorithms=["EdDSA"], **wrong)
        raise SystemExit(f"PyJWT accepted a token with {wrong}")
    except jwt.InvalidTokenError:
        pass
print(f"ok: PyJWT verified the access token with the JWKS (kid {key.key_id})")
json.dump({"token": token, "issuer": issuer, "jwks": f"{base}/t/{slug}/.well-known/jwks.json"}, open(out, "w"))
