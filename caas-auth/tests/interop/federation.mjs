// Federation interop: the npm `oidc-provider` package is the upstream
// identity provider on local ports; a CAAS tenant configured with it as a
// generic OIDC provider logs a user in through it (authorization code with
// state, nonce and PKCE; the upstream ID token validated against its JWKS),
// creates the linked user on the first login and reuses it on the second.
// A wrong `state` and a tampered upstream ID token (altered by a proxy in
// front of the provider) fail with a clear error page.
//
// Usage: node federation.mjs BASE_URL ADMIN_KEY
// (the server must allow private issuers: `auth.federation_allow_private_issuers`)
import Provider from 'oidc-provider';
import * as client from 'openid-client';
import http from 'node:http';
import { randomBytes } from 'node:crypto';

const [base, adminKey] = process.argv.slice(2);
const slug = 'fed-' + randomBytes(4).toString('hex');
const password = 'kamen-skarje-papir-fed';
const redirectUri = 'http://127.0.0.1:9/callback';
const insecure = { execute: [client.allowInsecureRequests] };

function check(cond, what, detail) {
  if (!cond) {
    console.error('FAILED:', what, detail === undefined ? '' : JSON.stringify(detail));
    process.exit(1);
  }
}

async function freePort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function api(method, path, body, token, tenant = slug) {
  const headers = tenant ? { 'x-tenant-id': tenant } : {};
  if (body) headers['content-type'] = 'application/json';
  if (token) headers.authorization = 'Bearer ' + token;
  const r = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return [r.status, text ? JSON.parse(text) : null];
}

// ---- CAAS: a tenant, a first-party client, the upstream provider ----
const upstreamPort = await freePort();   // oidc-provider itself
const proxyPort = await freePort();      // its public address (the issuer), through a proxy
const issuer = `http://127.0.0.1:${proxyPort}`;
let [status] = await api('POST', '/v1/admin/tenants', {
  slug, name: 'Federation interop', admin: { email: 'boss@example.com', password },
}, adminKey, null);
check(status === 201, 'tenant created', status);
const [, login] = await api('POST', '/v1/auth/login', { login: 'boss@example.com', password });
const admin = login.access_token;
const [, app] = await api('POST', '/v1/oauth/clients', {
  name: 'Federated app', client_type: 'confidential', first_party: true,
  redirect_uris: [redirectUri], grant_types: ['authorization_code'],
}, admin);
check(app && app.client_secret, 'client registered', app);
let [st, idp] = await api('POST', '/v1/identity-providers', {
  kind: 'oidc', name: 'Upstream IdP', issuer, client_id: 'caas', client_secret: 'upstream-secret',
}, admin);
check(st === 201 && idp.id && idp.has_secret === true && idp.client_secret === undefined, 'identity provider registered, secret not shown', idp);
const callback = `${base}/t/${slug}/federation/${idp.id}/callback`;

// ---- the upstream: oidc-provider behind a proxy that can tamper ----
const upstream = new Provider(issuer, {
  clients: [{
    client_id: 'caas', client_secret: 'upstream-secret',
    redirect_uris: [callback], grant_types: ['authorization_code'], response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount(_ctx, id) {
    return { accountId: id, async claims() { return { sub: id, email: `${id}@upstream.example`, email_verified: true, name: 'Mojca Upstream' }; } };
  },
  pkce: { required: () => true },
});
upstream.proxy = true;
const inner = upstream.listen(upstreamPort, '127.0.0.1');
let tamper = false;
const proxy = http.createServer((req, res) => {
  const fwd = http.request({ host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers }, (up) => {
    const chunks = [];
    up.on('data', (c) => chunks.push(c));
    up.on('end', () => {
      let body = Buffer.concat(chunks);
      const headers = { ...up.headers };
      if (tamper && req.url.startsWith('/token') && up.statusCode === 200) {
        const json = JSON.parse(body.toString());
        const [h, p, s] = json.id_token.split('.');
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
        claims.sub = 'someone-else';
        json.id_token = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
        body = Buffer.from(JSON.stringify(json));
        headers['content-length'] = String(body.length);
      }
      res.writeHead(up.statusCode, headers);
      res.end(body);
    });
  });
  req.pipe(fwd);
});
await new Promise((r) => proxy.listen(proxyPort, '127.0.0.1', r));

// ---- a browser with one cookie jar per host ----
function makeBrowser() {
  const jars = new Map();
  return async function browse(url, form) {
    const host = new URL(url).host;
    const jar = jars.get(host) || new Map();
    jars.set(host, jar);
    const init = { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } };
    if (form) {
      init.method = 'POST';
      init.headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(form).toString();
    }
    const r = await fetch(url, init);
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return r;
  };
}

const config = await client.discovery(new URL(`${base}/t/${slug}`), app.id,
  { client_secret: app.client_secret, id_token_signed_response_alg: 'EdDSA' }, undefined, insecure);

// One login through the upstream provider; returns the CAAS page the flow ends on.
async function federatedLogin(browse, accountId, callbackBrowser = browse) {
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid email profile', state: 'st', nonce: 'nn',
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  let r = await browse(url.href);
  check(r.status === 303, 'to the CAAS login page', r.status);
  r = await browse(new URL(r.headers.get('location'), base).href);
  const page = await r.text();
  const button = (page.match(/href="([^"]*\/federation\/[^"]*\/start\?request=[^"]*)"/) || [])[1];
  check(button && page.includes('Upstream IdP'), 'the login page offers the upstream provider', page.slice(0, 400));
  r = await browse(new URL(button.replace(/&amp;/g, '&'), base).href);
  check(r.status === 303 && r.headers.get('location').startsWith(issuer + '/auth'), 'to the upstream authorization endpoint', r.headers.get('location'));
  const upstreamAuth = new URL(r.headers.get('location'));
  check(upstreamAuth.searchParams.get('code_challenge_method') === 'S256' && upstreamAuth.searchParams.get('nonce') && upstreamAuth.searchParams.get('state'), 'state, nonce and PKCE sent upstream', upstreamAuth.href);
  let loc = upstreamAuth.href;
  for (let i = 0; i < 12; i++) {
    r = await browse(loc);
    if (r.status >= 300 && r.status < 400) {
      loc = new URL(r.headers.get('location'), loc).href;
      if (loc.startsWith(callback) || loc.startsWith(redirectUri)) break;
      continue;
    }
    const html = await r.text();
    const action = new URL(loc).pathname;
    if (html.includes('name="login"')) {
      r = await browse(new URL(action, issuer).href, { prompt: 'login', login: accountId, password: 'any' });
    } else if (html.includes('name="prompt" value="consent"')) {
      r = await browse(new URL(action, issuer).href, { prompt: 'consent' });
    } else {
      check(false, 'a known upstream page', html.slice(0, 300));
    }
    loc = new URL(r.headers.get('location'), loc).href;
    if (loc.startsWith(callback)) break;
  }
  check(loc.startsWith(callback), 'back at the CAAS callback', loc);
  r = await callbackBrowser(loc);
  return { r, verifier };
}

async function finish({ r, verifier }) {
  check(r.status === 303, 'the callback logs in', [r.status, await r.text()]);
  const back = r.headers.get('location');
  check(back.startsWith(redirectUri), 'back at the app', back);
  const tokens = await client.authorizationCodeGrant(config, new URL(back), {
    pkceCodeVerifier: verifier, expectedState: 'st', expectedNonce: 'nn', idTokenExpected: true,
  });
  return tokens.claims();
}

const first = await finish(await federatedLogin(makeBrowser(), 'mojca'));
check(first.email === 'mojca@upstream.example' && first.amr.includes('fed'), 'a new user from the upstream login', first);
console.log('ok: first upstream login created the linked user');
const second = await finish(await federatedLogin(makeBrowser(), 'mojca'));
check(second.sub === first.sub, 'the second login reuses the link', [first.sub, second.sub]);
const [, users] = await api('GET', '/v1/users', null, admin);
const list = users.items || users;
check(list.filter((u) => u.email === 'mojca@upstream.example').length === 1, 'exactly one linked user', list);
console.log('ok: second upstream login reused the linked user');

// A wrong state: a clear error page, nothing logged in.
let r = await fetch(`${callback}?state=forged&code=whatever`, { redirect: 'manual' });
let html = await r.text();
check(r.status === 400 && r.headers.get('content-type').startsWith('text/html') && html.includes('state'), 'a wrong state is refused with a page', [r.status, html.slice(-400)]);
console.log('ok: a wrong state is refused');

// A valid callback replayed in another browser (login CSRF): refused.
const { r: elsewhere } = await federatedLogin(makeBrowser(), 'mojca', makeBrowser());
html = await elsewhere.text();
check(elsewhere.status === 400 && html.includes('another browser'), 'a callback from another browser is refused', [elsewhere.status, html.slice(-400)]);
console.log('ok: a callback in another browser is refused');

// A tampered upstream ID token: refused.
tamper = true;
const { r: bad } = await federatedLogin(makeBrowser(), 'mojca');
html = await bad.text();
check(bad.status === 400 && html.includes('signature does not verify'), 'a tampered upstream ID token is refused', [bad.status, html.slice(-400)]);
console.log('ok: a tampered upstream ID token is refused');

proxy.close();
inner.close();
console.log('ok: federation interop passed');
process.exit(0);
