// Interop check of a tenant's OpenID Provider with the npm `openid-client`
// library (v6), unchanged: discovery; authorization code + PKCE through the
// server's own login and consent pages (submitted over HTTP, redirects
// followed by hand) with ID-token validation; userinfo; refresh; client
// credentials; introspection; revocation; RP-initiated logout.
//
// Usage: node oidc_client.mjs BASE_URL ADMIN_KEY
import * as client from 'openid-client';
import { randomBytes } from 'node:crypto';

const [base, adminKey] = process.argv.slice(2);
const slug = 'oidc-' + randomBytes(4).toString('hex');
const password = 'kamen-skarje-papir-oidc';
const redirectUri = 'http://127.0.0.1:9/callback';
const logoutUri = 'http://127.0.0.1:9/signed-out';
const insecure = { execute: [client.allowInsecureRequests] };

function check(cond, what, detail) {
  if (!cond) {
    console.error('FAILED:', what, detail === undefined ? '' : JSON.stringify(detail));
    process.exit(1);
  }
}

async function api(method, path, body, token, tenant = slug) {
  const headers = tenant ? { 'x-tenant-id': tenant } : {};
  if (body) headers['content-type'] = 'application/json';
  if (token) headers.authorization = 'Bearer ' + token;
  const r = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return [r.status, text ? JSON.parse(text) : null];
}

// A tiny cookie jar and a browser that stops at the client's redirect URI.
const jar = new Map();
function remember(r) {
  for (const c of r.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [k, v] = pair.split('=');
    if (/Max-Age=0/.test(c)) jar.delete(k); else jar.set(k, v);
  }
}
const cookies = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
async function browse(url, form) {
  const init = { redirect: 'manual', headers: { cookie: cookies(), 'accept-language': 'en' } };
  if (form) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(form).toString();
  }
  const r = await fetch(url, init);
  remember(r);
  return r;
}
const hidden = (html, name) => (html.match(new RegExp(`name="${name}" value="([^"]*)"`)) || [])[1];
const absolute = (loc) => new URL(loc, base).toString();

// Follows redirects from `url` until the client's redirect URI, filling the
// login form and allowing consent on the way.
async function authorizeInBrowser(url) {
  let r = await browse(url);
  for (let i = 0; i < 10; i++) {
    if (r.status === 303) {
      const loc = absolute(r.headers.get('location'));
      if (loc.startsWith(redirectUri) || loc.startsWith(logoutUri)) return loc;
      r = await browse(loc);
      continue;
    }
    const html = await r.text();
    check(r.status === 200, 'a page of the flow', { status: r.status, html: html.slice(0, 300) });
    const csrf = hidden(html, 'csrf');
    const request = hidden(html, 'request');
    check(csrf && request, 'csrf and request fields on the page');
    if (html.includes('name="password"')) {
      check(html.includes('<html lang="en">') && html.includes('for="login"'), 'an accessible English login form');
      r = await browse(absolute(`/t/${slug}/oauth2/login`), { csrf, request, login: 'ana@example.com', password });
    } else if (html.includes('name="decision"')) {
      r = await browse(absolute(`/t/${slug}/oauth2/consent`), { csrf, request, decision: 'allow' });
    } else {
      check(false, 'a known page', html.slice(0, 300));
    }
  }
  check(false, 'the flow ends at the redirect URI');
}

// ---- set up a tenant, a user and two clients through the admin API ----
let [status] = await api('POST', '/v1/admin/tenants', {
  slug, name: 'OIDC interop', admin: { email: 'boss@example.com', password },
}, adminKey, null);
check(status === 201, 'tenant created', status);
let [, login] = await api('POST', '/v1/auth/login', { login: 'boss@example.com', password });
const admin = login.access_token;
[status] = await api('POST', '/v1/users', { email: 'ana@example.com', username: 'ana', display_name: 'Ana Novak', password }, admin);
check(status === 201, 'user created', status);
let [, web] = await api('POST', '/v1/oauth/clients', {
  name: 'Interop web app', client_type: 'confidential',
  redirect_uris: [redirectUri], post_logout_redirect_uris: [logoutUri],
  grant_types: ['authorization_code', 'refresh_token'], scopes: ['api:read'],
}, admin);
check(web && web.client_secret, 'web client registered', web);
let [, machine] = await api('POST', '/v1/oauth/clients', {
  name: 'Interop service', client_type: 'confidential',
  grant_types: ['client_credentials'], scopes: ['api:read', 'api:write', 'tokens:introspect'], audiences: ['https://api.example.com'],
}, admin);
check(machine && machine.client_secret, 'service client registered', machine);

// ---- discovery ----
const issuer = new URL(`${base}/t/${slug}`);
const config = await client.discovery(issuer, web.id,
  { client_secret: web.client_secret, id_token_signed_response_alg: 'EdDSA' }, undefined, insecure);
const meta = config.serverMetadata();
check(meta.issuer === issuer.href.replace(/\/$/, ''), 'discovery issuer', meta.issuer);
check(meta.code_challenge_methods_supported.join() === 'S256', 'S256 only', meta.code_challenge_methods_supported);
console.log('ok: discovery');

// ---- authorization code + PKCE, with ID-token validation ----
const verifier = client.randomPKCECodeVerifier();
const nonce = client.randomNonce();
const state = client.randomState();
const authUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri, scope: 'openid profile email offline_access api:read',
  code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  state, nonce,
});
const callback = await authorizeInBrowser(authUrl.href);
const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
});
const idClaims = tokens.claims();
check(idClaims.nonce === nonce && idClaims.aud === web.id, 'ID token nonce and audience', idClaims);
check(typeof idClaims.at_hash === 'string' && typeof idClaims.auth_time === 'number', 'at_hash and auth_time', idClaims);
check(idClaims.amr.includes('pwd') && idClaims.acr, 'amr and acr', idClaims);
check(idClaims.email === 'ana@example.com' && idClaims.name === 'Ana Novak', 'profile and email claims', idClaims);
check(tokens.refresh_token, 'a refresh token for offline_access');
console.log('ok: authorization code + PKCE, ID token validated by openid-client');

// The second authorization is silent (prompt=none): login and consent are remembered.
const verifier2 = client.randomPKCECodeVerifier();
const silent = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri, scope: 'openid profile email offline_access api:read', prompt: 'none',
  code_challenge: await client.calculatePKCECodeChallenge(verifier2), code_challenge_method: 'S256',
  state: 's2', nonce: 'n2',
});
const r2 = await browse(silent.href);
check(r2.status === 303 && r2.headers.get('location').startsWith(redirectUri + '?code='), 'prompt=none with a remembered login and consent', r2.headers.get('location'));
console.log('ok: prompt=none');

// ---- userinfo ----
const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
check(info.sub === idClaims.sub && info.preferred_username === 'ana' && info.email === 'ana@example.com', 'userinfo', info);
console.log('ok: userinfo');

// ---- refresh (rotation) ----
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
check(refreshed.access_token && refreshed.refresh_token !== tokens.refresh_token, 'rotated refresh token', refreshed);
let reused = null;
try { await client.refreshTokenGrant(config, tokens.refresh_token); } catch (e) { reused = e; }
check(reused && reused.error === 'invalid_grant', 'a rotated refresh token is refused', reused && reused.error);
console.log('ok: refresh with rotation; reuse refused');

// Reuse ended the grant: log in again for the rest.
const verifier3 = client.randomPKCECodeVerifier();
const again = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri, scope: 'openid profile email offline_access api:read',
  code_challenge: await client.calculatePKCECodeChallenge(verifier3), code_challenge_method: 'S256', state: 's3', nonce: 'n3',
});
const tokens3 = await client.authorizationCodeGrant(config, new URL(await authorizeInBrowser(again.href)), {
  pkceCodeVerifier: verifier3, expectedState: 's3', expectedNonce: 'n3', idTokenExpected: true,
});

// ---- client credentials ----
const machineConfig = await client.discovery(issuer, machine.id, machine.client_secret, undefined, insecure);
const cc = await client.clientCredentialsGrant(machineConfig, { scope: 'api:read', resource: 'https://api.example.com' });
check(cc.access_token && cc.scope === 'api:read' && !cc.refresh_token, 'client credentials', cc);
console.log('ok: client credentials');

// ---- introspection (by the service client, a resource server holding tokens:introspect) ----
// The web client may introspect its own tokens but not the service's.
const foreign = await client.tokenIntrospection(config, cc.access_token);
check(foreign.active === false, "a client without tokens:introspect sees another client's token as inactive", foreign);
const own = await client.tokenIntrospection(config, tokens3.access_token);
check(own.active === true && own.client_id === web.id, 'a client introspects its own token', own);
const active = await client.tokenIntrospection(machineConfig, tokens3.access_token);
check(active.active === true && active.sub === idClaims.sub && active.client_id === web.id, 'introspection of an access token', active);
const ccInfo = await client.tokenIntrospection(machineConfig, cc.access_token);
check(ccInfo.active && ccInfo.aud === 'https://api.example.com' && ccInfo.scope === 'api:read', 'an audience-restricted token', ccInfo);
const rtInfo = await client.tokenIntrospection(machineConfig, tokens3.refresh_token);
check(rtInfo.active === true && rtInfo.token_type === 'refresh_token', 'introspection of a refresh token', rtInfo);
const junk = await client.tokenIntrospection(machineConfig, 'not-a-token');
check(junk.active === false, 'an unknown token is inactive', junk);
console.log('ok: introspection');

// ---- revocation ----
await client.tokenRevocation(config, tokens3.refresh_token);
await client.tokenRevocation(config, tokens3.access_token);
const gone = await client.tokenIntrospection(machineConfig, tokens3.refresh_token);
const goneAt = await client.tokenIntrospection(machineConfig, tokens3.access_token);
check(gone.active === false && goneAt.active === false, 'revoked tokens are inactive', [gone, goneAt]);
console.log('ok: revocation');

// ---- RP-initiated logout ----
const endUrl = client.buildEndSessionUrl(config, {
  id_token_hint: tokens3.id_token, post_logout_redirect_uri: logoutUri, state: 'bye',
});
let r = await browse(endUrl.href);
const page = await r.text();
check(r.status === 200 && hidden(page, 'csrf'), 'logout confirmation page', page.slice(0, 200));
r = await browse(absolute(`/t/${slug}/oauth2/logout`), {
  csrf: hidden(page, 'csrf'), id_token_hint: tokens3.id_token, post_logout_redirect_uri: logoutUri, state: 'bye',
});
check(r.status === 303 && r.headers.get('location') === `${logoutUri}?state=bye`, 'back to the client after logout', r.headers.get('location'));
const after = await browse(silent.href);
check(after.status === 303 && after.headers.get('location').includes('error=login_required'), 'logged out: prompt=none needs a login', after.headers.get('location'));
console.log('ok: RP-initiated logout');
console.log('ok: openid-client interop passed');
