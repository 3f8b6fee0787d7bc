// Verifies a CAAS access token with npm `jose`, using only the tenant's
// published JWKS (remote key set), with issuer and audience checks.
// Usage: node verify_jose.mjs TOKEN_JSON (written by check_auth.py)
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { token, issuer, jwks } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const keys = createRemoteJWKSet(new URL(jwks));
const { payload, protectedHeader } = await jwtVerify(token, keys, { issuer, audience: 'caas' });
if (protectedHeader.alg !== 'EdDSA' || !payload.tenant_id) throw new Error('unexpected token');
for (const wrong of [{ issuer, audience: 'other' }, { issuer: issuer + 'x', audience: 'caas' }]) {
  try {
    await jwtVerify(token, keys, wrong);
    throw new Error(`jose accepted ${JSON.stringify(wrong)}`);
  } catch (e) {
    if (e.message.startsWith('jose accepted')) throw e;
  }
}
console.log(`ok: jose verified the access token with the JWKS (kid ${protectedHeader.kid})`);
