"""EdDSA access-token verification: caas.TokenVerifier beside PyJWT 2.x, in
one run (compare the ratios; the machine is noisy).

- cold: every token seen for the first time (caas checks the signature);
- hot: the same token again (caas answers from its cache, still checking
  the times; PyJWT has no cache and verifies again);
- threads: cold verification on 4 threads against 1 (caas releases the GIL
  around the signature check; PyJWT's Python part holds it).

Run: ``python benches/bench_verify.py [--tokens N]`` with the wheel and
``pyjwt[crypto]`` installed. Prints one table; the goals are cold >= 2x
PyJWT, hot >= 20x PyJWT, 4 threads >= 1.6x one thread.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

import caas

ISSUER = "https://id.example/t/acme"
TENANT = "01900000-0000-7000-8000-000000000001"


def mint(key: Ed25519PrivateKey, n: int) -> list[str]:
    now = int(time.time())
    return [
        jwt.encode(
            {
                "iss": ISSUER,
                "sub": f"user-{i}",
                "aud": "api",
                "exp": now + 3600,
                "nbf": now,
                "iat": now,
                "jti": f"j-{i}",
                "tenant_id": TENANT,
                "kind": "user",
                "scope": "read write",
                "roles": ["editor"],
            },
            key,
            algorithm="EdDSA",
            headers={"kid": "k1"},
        )
        for i in range(n)
    ]


def per_second(fn: Callable[[str], Any], tokens: Sequence[str]) -> float:
    start = time.perf_counter()
    for t in tokens:
        fn(t)
    return len(tokens) / (time.perf_counter() - start)


def threaded(fn: Callable[[str], Any], tokens: Sequence[str], threads: int) -> float:
    chunks = [tokens[i::threads] for i in range(threads)]

    def run(chunk: Sequence[str]) -> None:
        for t in chunk:
            fn(t)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, chunks))
    return len(tokens) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = parser.parse_args()

    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    jwk = json.loads(OKPAlgorithm.to_jwk(public))
    jwk["kid"] = "k1"
    jwks = {"keys": [jwk]}
    tokens = mint(key, args.tokens)

    def pyjwt(token: str) -> Any:
        return jwt.decode(token, public, algorithms=["EdDSA"], audience="api", issuer=ISSUER)

    def fresh() -> caas.TokenVerifier:
        return caas.TokenVerifier.from_jwks(ISSUER, "api", jwks, cache_size=len(tokens) + 1)

    hot_token = tokens[0]
    hot_n = [hot_token] * len(tokens)

    rows: dict[str, float] = {}
    rows["pyjwt"] = per_second(pyjwt, tokens)
    rows["caas cold"] = per_second(fresh().verify, tokens)
    warm = fresh()
    warm.verify(hot_token)
    rows["caas hot"] = per_second(warm.verify, hot_n)
    rows["pyjwt 4 threads"] = threaded(pyjwt, tokens, 4)
    rows["caas cold 1 thread"] = threaded(fresh().verify, tokens, 1)
    rows["caas cold 4 threads"] = threaded(fresh().verify, tokens, 4)

    ratios = {
        "cold / pyjwt": rows["caas cold"] / rows["pyjwt"],
        "hot / pyjwt": rows["caas hot"] / rows["pyjwt"],
        "caas 4 threads / 1 thread": rows["caas cold 4 threads"] / rows["caas cold 1 thread"],
        "pyjwt 4 threads / 1 thread": rows["pyjwt 4 threads"] / rows["pyjwt"],
    }
    print(f"{'workload':<24} {'verifications/s':>16} {'µs each':>9}")
    for name, rate in rows.items():
        print(f"{name:<24} {rate:>16,.0f} {1e6 / rate:>9.1f}")
    for name, ratio in ratios.items():
        print(f"{name:<28} {ratio:>6.2f}x")
    if args.json:
        print(json.dumps({"rows": rows, "ratios": ratios}))


if __name__ == "__main__":
    main()
