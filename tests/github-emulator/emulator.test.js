'use strict';
// Tests of the GitHub emulator itself: node --test tests/github-emulator/
// Starts the real CLI on port 0 and talks HTTP to it.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const CLIENT_ID = 'test-client-id';
const SECRET = 'test-client-secret-0123456789';
const CALLBACK = 'http://127.0.0.1:9/v1/auth/github/callback';
const UA = { 'user-agent': 'emulator-test' };

function startEmulator(extra = []) {
  const t0 = Date.now();
  const proc = spawn(process.execPath, [path.join(__dirname, 'emulator.js'), '--port', '0',
    '--client-id', CLIENT_ID, '--client-secret', SECRET, '--callback-url', CALLBACK, ...extra],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr.on('data', (d) => { err += d; });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^github-emulator listening on (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(out);
      if (m) resolve({ proc, base: m[1], startMs: Date.now() - t0 });
    });
    proc.on('exit', (code) => reject(new Error(`emulator exited ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`emulator did not start: ${out} ${err}`)), 5000).unref();
  });
}

let emu;
let base;

before(async () => {
  emu = await startEmulator(['--auto-approve']);
  base = emu.base;
});

after(() => emu.proc.kill('SIGTERM'));

beforeEach(async () => {
  await ctl('POST', '/_emulator/reset');
});

async function ctl(method, p, body) {
  const r = await fetch(base + p, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const j = await r.json();
  if (r.status !== 200) throw Object.assign(new Error(`${method} ${p}: ${r.status} ${JSON.stringify(j)}`), { status: r.status, body: j });
  return j;
}

function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

function authorizeUrl(o = {}) {
  const q = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: CALLBACK, scope: 'read:user user:email', state: 'st-123' });
  if (o.challenge) {
    q.set('code_challenge', o.challenge);
    q.set('code_challenge_method', 'S256');
  }
  for (const [k, v] of Object.entries(o.params || {})) {
    if (v === null || v === undefined) q.delete(k);
    else q.set(k, v);
  }
  return `${base}/login/oauth/authorize?${q}`;
}

async function authorize(o = {}) {
  return fetch(authorizeUrl(o), { redirect: 'manual', headers: o.headers || {} });
}

// Runs authorize and returns {code, verifier, location}.
async function getCode(login, o = {}) {
  const { verifier, challenge } = pkce();
  const r = await authorize({ challenge, ...o, params: { login, ...(o.params || {}) } });
  assert.equal(r.status, 302);
  const loc = new URL(r.headers.get('location'));
  return { code: loc.searchParams.get('code'), verifier, location: loc };
}

async function exchange(params, { asJson = true, raw = false } = {}) {
  const body = new URLSearchParams({ client_id: CLIENT_ID, client_secret: SECRET, ...params });
  const r = await fetch(`${base}/login/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(asJson ? { accept: 'application/json' } : {}) },
    body,
  });
  if (raw) return r;
  assert.equal(r.status, 200);
  return asJson ? r.json() : Object.fromEntries(new URLSearchParams(await r.text()));
}

async function signIn(login, scope) {
  const params = scope === undefined ? {} : { scope };
  const { code, verifier } = await getCode(login, { params });
  const t = await exchange({ code, code_verifier: verifier, redirect_uri: CALLBACK });
  assert.ok(t.access_token, JSON.stringify(t));
  return t;
}

function api(p, token, o = {}) {
  const headers = { ...UA, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(o.headers || {}) };
  return fetch(base + p, { method: o.method || 'GET', headers, signal: o.signal });
}

// ---- start-up and OAuth ----------------------------------------------------

test('starts quickly and prints the listening line', async () => {
  assert.ok(emu.startMs < 1000, `start took ${emu.startMs} ms`);
  const r = await fetch(`${base}/_emulator/healthz`);
  assert.equal(r.status, 200);
});

test('authorize redirects with code and state; exchange answers JSON or form', async () => {
  const { code, verifier, location } = await getCode('octo-alice');
  assert.equal(location.origin + location.pathname, CALLBACK);
  assert.equal(location.searchParams.get('state'), 'st-123');
  assert.match(code, /^[A-Za-z0-9]{20}$/);
  const t = await exchange({ code, code_verifier: verifier });
  assert.match(t.access_token, /^gho_[A-Za-z0-9]{36}$/);
  assert.equal(t.token_type, 'bearer');
  assert.equal(t.scope, 'read:user,user:email');
  assert.equal(t.refresh_token, undefined);

  const second = await getCode('octo-alice');
  const r = await exchange({ code: second.code, code_verifier: second.verifier }, { asJson: false, raw: true });
  assert.match(r.headers.get('content-type'), /^application\/x-www-form-urlencoded/);
  const f = Object.fromEntries(new URLSearchParams(await r.text()));
  assert.match(f.access_token, /^gho_/);
  assert.equal(f.token_type, 'bearer');
  assert.equal(f.scope, 'read:user,user:email');

  const j = await fetch(`${base}/login/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ client_id: CLIENT_ID, client_secret: SECRET, code: 'nope' }),
  });
  assert.equal((await j.json()).error, 'bad_verification_code');
});

test('unknown client is a 404 page; foreign redirect_uri is an error page with 200', async () => {
  let r = await authorize({ params: { client_id: 'someone-else' } });
  assert.equal(r.status, 404);
  assert.match(r.headers.get('content-type'), /text\/html/);
  for (const bad of ['http://127.0.0.1:9/elsewhere', 'http://evil.example/v1/auth/github/callback',
    'http://127.0.0.1:10/v1/auth/github/callback', 'javascript:alert(1)']) {
    r = await authorize({ params: { redirect_uri: bad } });
    assert.equal(r.status, 200, bad);
    assert.match(await r.text(), /The redirect_uri is not associated with this application/);
  }
  // Prefix match: a sub-path of the registered callback is accepted.
  r = await authorize({ params: { redirect_uri: `${CALLBACK}/deeper?x=1` } });
  assert.equal(r.status, 302);
  const loc = new URL(r.headers.get('location'));
  assert.equal(loc.pathname, '/v1/auth/github/callback/deeper');
  assert.equal(loc.searchParams.get('x'), '1');
  // Omitted redirect_uri: the registered callback.
  r = await authorize({ params: { redirect_uri: null } });
  assert.ok(r.headers.get('location').startsWith(CALLBACK + '?code='));
});

test('consent page: authorize, cancel, and remembered approval', async () => {
  await ctl('POST', '/_emulator/config', { autoApprove: false });
  const { verifier, challenge } = pkce();
  let r = await authorize({ challenge, params: { login: 'bob-private' } });
  assert.equal(r.status, 200);
  const page = await r.text();
  assert.match(page, /Authorize <strong>/);
  assert.match(page, /bob-private/);
  assert.match(page, /action="\/login\/oauth\/authorize\/approve"/);

  const fields = {};
  const form = page.slice(page.indexOf('action="/login/oauth/authorize/approve"'));
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]] = m[2].replace(/&amp;/g, '&');
  }
  assert.equal(fields.code_challenge, challenge);

  r = await fetch(`${base}/login/oauth/authorize/cancel`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
  assert.equal(r.status, 302);
  let loc = new URL(r.headers.get('location'));
  assert.equal(loc.searchParams.get('error'), 'access_denied');
  assert.equal(loc.searchParams.get('state'), 'st-123');
  assert.ok(loc.searchParams.get('error_description'));

  r = await fetch(`${base}/login/oauth/authorize/approve`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
  assert.equal(r.status, 302);
  loc = new URL(r.headers.get('location'));
  const t = await exchange({ code: loc.searchParams.get('code'), code_verifier: verifier });
  const u = await (await api('/user', t.access_token)).json();
  assert.equal(u.login, 'bob-private');

  // Already approved with these scopes: GitHub sends the user straight back.
  r = await authorize({ challenge, params: { login: 'bob-private' } });
  assert.equal(r.status, 302);
  // A new scope needs consent again.
  r = await authorize({ challenge, params: { login: 'bob-private', scope: 'read:user public_repo' } });
  assert.equal(r.status, 200);
});

test('signed-in user: gh_user cookie, then login param, then default user', async () => {
  const who = async (o) => {
    const { code, verifier } = await getCode(undefined, o);
    const t = await exchange({ code, code_verifier: verifier });
    return (await (await api('/user', t.access_token)).json()).login;
  };
  assert.equal(await who({ params: { login: null } }), 'octo-alice'); // first fixture user
  await ctl('POST', '/_emulator/default-user', { login: 'carol-orgs' });
  assert.equal(await who({ params: { login: null } }), 'carol-orgs');
  assert.equal(await who({ params: { login: 'bob-private' } }), 'bob-private');
  assert.equal(await who({ params: { login: 'bob-private' }, headers: { cookie: 'gh_user=dave-expiring' } }), 'dave-expiring');
});

test('PKCE mismatch and missing verifier are refused with HTTP 200', async () => {
  const { code, verifier } = await getCode('octo-alice');
  let r = await exchange({ code, code_verifier: pkce().verifier }, { raw: true });
  assert.equal(r.status, 200);
  let j = await r.json();
  assert.equal(j.error, 'bad_verification_code');
  assert.match(j.error_description, /PKCE/);
  assert.match(j.error_uri, /^https:\/\/docs\.github\.com\//);
  j = await exchange({ code });
  assert.equal(j.error, 'bad_verification_code');
  // A refused attempt does not use the code up.
  j = await exchange({ code, code_verifier: verifier });
  assert.match(j.access_token, /^gho_/);
  // Bad challenge method is refused at authorize.
  r = await authorize({ params: { code_challenge: pkce().challenge, code_challenge_method: 'plain' } });
  assert.equal(new URL(r.headers.get('location')).searchParams.get('error'), 'invalid_request');
});

test('a code is single-use and expires', async () => {
  const { code, verifier } = await getCode('octo-alice');
  const first = await exchange({ code, code_verifier: verifier });
  assert.ok(first.access_token);
  const again = await exchange({ code, code_verifier: verifier });
  assert.equal(again.error, 'bad_verification_code');
  assert.equal(again.access_token, undefined);
  const calls = await ctl('GET', '/_emulator/calls?endpoint=token');
  assert.equal(calls.counts.token, 2);
  assert.deepEqual(calls.calls.map((c) => c.status), [200, 200]);

  await ctl('POST', '/_emulator/config', { codeTtlSeconds: 0 });
  const late = await getCode('octo-alice');
  assert.equal((await exchange({ code: late.code, code_verifier: late.verifier })).error, 'bad_verification_code');
});

test('wrong client secret and redirect_uri mismatch, answered with HTTP 200', async () => {
  const { code, verifier } = await getCode('octo-alice');
  let j = await exchange({ code, code_verifier: verifier, client_secret: 'wrong' });
  assert.equal(j.error, 'incorrect_client_credentials');
  j = await exchange({ code, code_verifier: verifier, client_id: 'other' });
  assert.equal(j.error, 'incorrect_client_credentials');
  const f = await exchange({ code, code_verifier: verifier, client_secret: 'wrong' }, { asJson: false });
  assert.equal(f.error, 'incorrect_client_credentials');
  j = await exchange({ code, code_verifier: verifier, redirect_uri: `${CALLBACK}/other` });
  assert.equal(j.error, 'redirect_uri_mismatch');
  j = await exchange({ code, code_verifier: verifier, redirect_uri: CALLBACK });
  assert.ok(j.access_token);
});

// ---- API -------------------------------------------------------------------

test('/user: private email is null, ids beyond 2^32, bad tokens are 401', async () => {
  const bob = await signIn('bob-private');
  let r = await api('/user', bob.access_token);
  assert.equal(r.status, 200);
  const raw = await r.text();
  assert.match(raw, /"id":9000000001,/);
  const u = JSON.parse(raw);
  assert.equal(u.email, null);
  assert.equal(u.name, null);
  assert.equal(u.type, 'User');
  assert.ok(u.avatar_url.startsWith(base + '/avatars/'));
  assert.equal(r.headers.get('x-ratelimit-limit'), '5000');
  assert.equal(r.headers.get('x-ratelimit-remaining'), '4999');
  assert.match(r.headers.get('x-ratelimit-reset'), /^\d{10}$/);

  const alice = await signIn('octo-alice');
  r = await fetch(`${base}/user`, { headers: { ...UA, authorization: `token ${alice.access_token}` } });
  const a = await r.json();
  assert.deepEqual([a.id, a.login, a.email, a.name], [583231, 'octo-alice', 'alice@octo.example', 'Alice Octo']);

  for (const h of [`Bearer ${alice.access_token}x`, 'Bearer gho_nope', 'Basic abc', 'Bearer']) {
    r = await fetch(`${base}/user`, { headers: { ...UA, authorization: h } });
    assert.equal(r.status, 401, h);
    assert.equal((await r.json()).message, 'Bad credentials');
  }
  r = await api('/user', null);
  assert.equal(r.status, 401);
  // GitHub refuses API requests without a User-Agent.
  r = await fetch(`${base}/user`, { headers: { authorization: `Bearer ${alice.access_token}`, 'user-agent': '' } });
  assert.equal(r.status, 403);
});

test('/user/emails lists the primary verified address', async () => {
  const bob = await signIn('bob-private');
  const r = await api('/user/emails', bob.access_token);
  assert.equal(r.status, 200);
  const emails = await r.json();
  const primary = emails.find((e) => e.primary);
  assert.deepEqual(primary, { email: 'bob.secret@private.example', primary: true, verified: true, visibility: 'private' });
  assert.ok(emails.some((e) => !e.verified));
});

test('/user/orgs paginates with Link headers over 25 orgs', async () => {
  const carol = await signIn('carol-orgs');
  let next = `${base}/user/orgs?per_page=10`;
  const ids = new Set();
  let pages = 0;
  let firstLink = null;
  while (next) {
    const r = await fetch(next, { headers: { ...UA, authorization: `Bearer ${carol.access_token}` } });
    assert.equal(r.status, 200);
    const items = await r.json();
    for (const o of items) {
      assert.equal(typeof o.id, 'number');
      assert.equal(typeof o.login, 'string');
      assert.ok('description' in o && 'avatar_url' in o);
      ids.add(o.id);
    }
    pages += 1;
    const link = r.headers.get('link');
    if (pages === 1) firstLink = link;
    const m = link && /<([^>]+)>; rel="next"/.exec(link);
    if (m) assert.ok(m[1].startsWith(base + '/user/orgs?'));
    next = m ? m[1] : null;
    assert.ok(pages <= 3);
  }
  assert.equal(pages, 3);
  assert.equal(ids.size, 25);
  assert.match(firstLink, /page=3>; rel="last"/);
  assert.doesNotMatch(firstLink, /rel="prev"/);
  // Defaults and clamping: per_page 30 by default, at most 100.
  let r = await api('/user/orgs', carol.access_token);
  assert.equal((await r.json()).length, 25);
  assert.equal(r.headers.get('link'), null);
  r = await api('/user/orgs?per_page=1000&page=x', carol.access_token);
  assert.equal((await r.json()).length, 25);
  r = await api('/user/orgs?per_page=10&page=9', carol.access_token);
  assert.deepEqual(await r.json(), []);
  assert.match(r.headers.get('link'), /rel="first"/);
});

test('starring: 204, idempotent, needs public_repo, 404 for a missing repo', async () => {
  const t = (await signIn('octo-alice', 'read:user public_repo')).access_token;
  let r = await api('/user/starred/foundry-labs/starter', t, { method: 'PUT' });
  assert.equal(r.status, 204);
  assert.equal(await r.text(), '');
  r = await api('/user/starred/foundry-labs/starter', t, { method: 'PUT' });
  assert.equal(r.status, 204);
  r = await api('/user/starred/foundry-labs/starter', t);
  assert.equal(r.status, 204);
  const { stars } = await ctl('GET', '/_emulator/stars');
  assert.equal(stars.length, 1);
  assert.equal(stars[0].login, 'octo-alice');
  assert.equal(stars[0].repo, 'foundry-labs/starter');

  r = await api('/user/starred/ghost-owner/missing-repo', t, { method: 'PUT' });
  assert.equal(r.status, 404);
  r = await api('/user/starred/foundry-labs/starter', null, { method: 'PUT' });
  assert.equal(r.status, 401);
  const narrow = (await signIn('bob-private', 'read:user')).access_token;
  r = await api('/user/starred/foundry-labs/starter', narrow, { method: 'PUT' });
  assert.equal(r.status, 404);
  assert.equal(r.headers.get('x-accepted-oauth-scopes'), 'public_repo, repo');
  await ctl('POST', '/_emulator/config', { enforceScopes: false });
  r = await api('/user/starred/foundry-labs/starter', narrow, { method: 'PUT' });
  assert.equal(r.status, 204);
});

// ---- faults ----------------------------------------------------------------

test('fault: status 500 for the next call only', async () => {
  const t = (await signIn('octo-alice')).access_token;
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', status: 500, times: 1 });
  let r = await api('/user', t);
  assert.equal(r.status, 500);
  assert.equal(r.headers.get('x-ratelimit-limit'), '5000');
  r = await api('/user', t);
  assert.equal(r.status, 200);
  const calls = await ctl('GET', '/_emulator/calls?endpoint=user');
  assert.deepEqual(calls.calls.map((c) => c.status), [500, 200]);
});

test('fault: delay, and a client that gives up does not hurt the emulator', async () => {
  const t = (await signIn('octo-alice')).access_token;
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', delayMs: 300, times: 1 });
  const t0 = Date.now();
  let r = await api('/user', t);
  assert.equal(r.status, 200);
  assert.ok(Date.now() - t0 >= 290);
  await ctl('POST', '/_emulator/faults', { endpoint: 'emails', delayMs: 5000 });
  await assert.rejects(api('/user/emails', t, { signal: AbortSignal.timeout(200) }));
  r = await api('/user', t);
  assert.equal(r.status, 200);
  let status = null;
  for (let i = 0; i < 100 && status === null; i++) { // the server notices the close shortly after
    await new Promise((res) => setTimeout(res, 20));
    status = (await ctl('GET', '/_emulator/calls?endpoint=emails')).calls[0].status;
  }
  assert.equal(status, 'client_closed');
});

test('fault: field replaces one member with any JSON value or raw bytes', async () => {
  const t = (await signIn('octo-alice')).access_token;
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', field: 'login', value: 'ab\r\nX-Evil: 1', times: 1 });
  let r = await api('/user', t);
  assert.equal(r.status, 200);
  let u = await r.json();
  assert.equal(u.login, 'ab\r\nX-Evil: 1');
  assert.ok(u.id > 0); // the rest of the answer is the real one
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', field: 'id', value: { a: [1] }, times: 1 });
  assert.deepEqual((await (await api('/user', t)).json()).id, { a: [1] });
  // Raw bytes: invalid UTF-8 inside a string, and a number JSON.stringify cannot write.
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', field: 'name', rawValue: '2261ff6222', times: 1 });
  const bytes = Buffer.from(await (await api('/user', t)).arrayBuffer());
  assert.ok(bytes.includes(Buffer.from('"name":"a\xffb"', 'latin1')), bytes.toString('latin1'));
  await ctl('POST', '/_emulator/faults', { endpoint: 'token', field: 'expires_in', rawValue: Buffer.from('1e400').toString('hex'), times: 1 });
  const { code, verifier } = await getCode('octo-alice');
  r = await exchange({ code, code_verifier: verifier }, { raw: true });
  const text = await r.text();
  assert.match(text, /"expires_in":1e400[,}]/);
  assert.match(text, /"access_token":"gh/);
  // Array answers: every element, or only element `index`.
  await ctl('POST', '/_emulator/faults', { endpoint: 'emails', field: 'email', value: null, times: 1 });
  const all = await (await api('/user/emails', t)).json();
  assert.ok(all.length >= 1 && all.every((e) => e.email === null));
  await ctl('POST', '/_emulator/faults', { endpoint: 'emails', field: 'verified', value: 'yes', index: 0, times: 1 });
  const first = await (await api('/user/emails', t)).json();
  assert.equal(first[0].verified, 'yes');
  assert.ok(first.slice(1).every((e) => typeof e.verified === 'boolean'));
  // An error answer is left alone.
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', field: 'login', value: 'x', times: 1 });
  r = await api('/user', 'gho_not_a_token');
  assert.equal(r.status, 401);
  assert.equal((await r.json()).login, undefined);
  await assert.rejects(ctl('POST', '/_emulator/faults', { endpoint: 'user', field: 'login' }), /exactly one of value, rawValue/);
  await assert.rejects(ctl('POST', '/_emulator/faults', { endpoint: 'user', field: 'login', rawValue: 'zz' }), /hex/);
  await assert.rejects(ctl('POST', '/_emulator/faults', { endpoint: 'user', value: 1 }), /need field/);
});

test('fault: malformed, empty and html bodies', async () => {
  const t = (await signIn('octo-alice')).access_token;
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', body: 'malformed', times: 1 });
  let r = await api('/user', t);
  assert.equal(r.status, 200);
  await assert.rejects(r.json());
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', body: 'empty', times: 1 });
  r = await api('/user', t);
  assert.equal(await r.text(), '');
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', body: 'html', status: 503, times: 1 });
  r = await api('/user', t);
  assert.equal(r.status, 503);
  assert.match(r.headers.get('content-type'), /text\/html/);
  await ctl('POST', '/_emulator/faults', { endpoint: 'token', body: 'malformed', times: 1 });
  const { code, verifier } = await getCode('octo-alice');
  r = await exchange({ code, code_verifier: verifier }, { raw: true });
  await assert.rejects(r.json());
  // The faulty answer did not consume the code.
  assert.ok((await exchange({ code, code_verifier: verifier })).access_token);
});

test('fault: reset drops the connection; process:true consumes the code first', async () => {
  await ctl('POST', '/_emulator/faults', { endpoint: 'token', reset: true, process: true, times: 1 });
  const { code, verifier } = await getCode('octo-alice');
  await assert.rejects(exchange({ code, code_verifier: verifier }));
  const j = await exchange({ code, code_verifier: verifier });
  assert.equal(j.error, 'bad_verification_code');
  const calls = await ctl('GET', '/_emulator/calls?endpoint=token');
  assert.deepEqual(calls.calls.map((c) => c.status), ['reset', 200]);
  const tokens = await ctl('GET', '/_emulator/tokens?login=octo-alice');
  assert.equal(tokens.active, 1);
});

test('fault: rate limit 403 and 429', async () => {
  const t = (await signIn('octo-alice')).access_token;
  await ctl('POST', '/_emulator/faults', [{ endpoint: 'orgs', rateLimit: '403', times: 1 },
    { endpoint: 'user', rateLimit: '429', retryAfter: 7, times: 1 }]);
  let r = await api('/user/orgs', t);
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('x-ratelimit-remaining'), '0');
  assert.ok(Number(r.headers.get('x-ratelimit-reset')) > Date.now() / 1000);
  assert.match((await r.json()).message, /rate limit/);
  r = await api('/user', t);
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '7');
  assert.equal((await api('/user', t)).status, 200);
  // Real exhaustion too.
  await ctl('POST', '/_emulator/config', { rateLimit: 1 });
  const fresh = (await signIn('bob-private')).access_token;
  assert.equal((await api('/user', fresh)).status, 200);
  r = await api('/user', fresh);
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('x-ratelimit-remaining'), '0');
});

test('fault: after and times, token error, deny, several endpoints', async () => {
  const t = (await signIn('octo-alice')).access_token;
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', status: 502, after: 2, times: 1 });
  await ctl('POST', '/_emulator/faults', { endpoint: 'emails', status: 500 });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await api('/user', t)).status);
  assert.deepEqual(statuses, [200, 200, 502, 200]);
  assert.equal((await api('/user/emails', t)).status, 500);
  assert.equal((await api('/user/emails', t)).status, 500); // unlimited by default
  const { faults } = await ctl('GET', '/_emulator/faults');
  assert.equal(faults.length, 2);
  await ctl('DELETE', '/_emulator/faults');
  assert.equal((await api('/user/emails', t)).status, 200);

  await ctl('POST', '/_emulator/faults', { endpoint: 'token', error: 'bad_verification_code', times: 1 });
  const { code, verifier } = await getCode('octo-alice');
  const r = await exchange({ code, code_verifier: verifier }, { raw: true });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).error, 'bad_verification_code');

  await ctl('POST', '/_emulator/faults', { endpoint: 'authorize', deny: true, times: 1 });
  const loc = new URL((await authorize()).headers.get('location'));
  assert.equal(loc.searchParams.get('error'), 'access_denied');
  assert.equal(loc.searchParams.get('state'), 'st-123');
  assert.equal(loc.searchParams.get('code'), null);

  await assert.rejects(ctl('POST', '/_emulator/faults', { endpoint: 'nope', status: 500 }), /400/);
  await assert.rejects(ctl('POST', '/_emulator/faults', { endpoint: 'user' }), /400/);
});

// ---- token lifecycle --------------------------------------------------------

test('expiring tokens: refresh rotates both tokens', async () => {
  const t = await signIn('dave-expiring');
  assert.match(t.access_token, /^ghu_/);
  assert.match(t.refresh_token, /^ghr_/);
  assert.equal(t.expires_in, 28800);
  assert.ok(t.refresh_token_expires_in > 15000000);

  await ctl('POST', '/_emulator/tokens/expire', { login: 'dave-expiring' });
  assert.equal((await api('/user', t.access_token)).status, 401);

  const n = await exchange({ grant_type: 'refresh_token', refresh_token: t.refresh_token });
  assert.match(n.access_token, /^ghu_/);
  assert.notEqual(n.access_token, t.access_token);
  assert.notEqual(n.refresh_token, t.refresh_token);
  assert.equal((await api('/user', n.access_token)).status, 200);
  const again = await exchange({ grant_type: 'refresh_token', refresh_token: t.refresh_token });
  assert.equal(again.error, 'bad_refresh_token');
  const wrong = await exchange({ grant_type: 'refresh_token', refresh_token: n.refresh_token, client_secret: 'x' });
  assert.equal(wrong.error, 'incorrect_client_credentials');
  const calls = await ctl('GET', '/_emulator/calls');
  assert.equal(calls.counts.refresh, 3);
  assert.equal(calls.counts.token, 1);
});

test('the 11th token for a user and app revokes the oldest', async () => {
  const tokens = [];
  for (let i = 0; i < 11; i++) tokens.push((await signIn('octo-alice')).access_token);
  assert.equal((await api('/user', tokens[0])).status, 401);
  for (const t of tokens.slice(1)) assert.equal((await api('/user', t)).status, 200);
  const list = await ctl('GET', '/_emulator/tokens?login=octo-alice');
  assert.equal(list.active, 10);
  assert.equal(JSON.stringify(list).includes('gho_'), false);
  // Another user's tokens are not affected.
  const bob = (await signIn('bob-private')).access_token;
  assert.equal((await api('/user', bob)).status, 200);
});

// ---- control API -----------------------------------------------------------

test('control: reset clears tokens, faults, calls, stars and the default user', async () => {
  const t = (await signIn('octo-alice', 'public_repo')).access_token;
  await api('/user/starred/a/b', t, { method: 'PUT' });
  await ctl('POST', '/_emulator/faults', { endpoint: 'user', status: 500 });
  await ctl('POST', '/_emulator/default-user', { login: 'bob-private' });
  await ctl('POST', '/_emulator/users', { id: 583231, login: 'alice-renamed', name: 'A' });
  await ctl('POST', '/_emulator/reset');
  assert.deepEqual((await ctl('GET', '/_emulator/calls')).counts, {});
  assert.deepEqual((await ctl('GET', '/_emulator/stars')).stars, []);
  assert.deepEqual((await ctl('GET', '/_emulator/faults')).faults, []);
  assert.equal((await api('/user', t)).status, 401); // token gone, and no 500 fault
  assert.equal((await ctl('GET', '/_emulator/users')).users.find((u) => u.id === 583231).login, 'octo-alice');
  const fresh = (await signIn(undefined)).access_token; // no login param: first fixture user
  assert.equal((await (await api('/user', fresh)).json()).login, 'octo-alice');
});

test('control: rename keeps the id; org membership; revoke', async () => {
  const t = (await signIn('octo-alice')).access_token;
  await ctl('POST', '/_emulator/users', { id: 583231, login: 'alice-renamed', name: 'Alice R', email: null });
  const u = await (await api('/user', t)).json();
  assert.deepEqual([u.id, u.login, u.email], [583231, 'alice-renamed', null]);
  await ctl('POST', '/_emulator/users/alice-renamed/orgs', { orgIds: [4000000001] });
  const orgs = await (await api('/user/orgs', t)).json();
  assert.deepEqual(orgs.map((o) => o.id), [4000000001]);
  await assert.rejects(ctl('POST', '/_emulator/users/alice-renamed/orgs', { orgIds: [1] }), /400/);
  await assert.rejects(ctl('POST', '/_emulator/users/nobody/orgs', { orgIds: [] }), /404/);
  const rev = await ctl('POST', '/_emulator/tokens/revoke', { login: 'alice-renamed' });
  assert.equal(rev.affected, 1);
  assert.equal((await api('/user', t)).status, 401);
  const issued = await ctl('POST', '/_emulator/tokens/issue', { login: 'carol-orgs', scope: 'read:user' });
  assert.equal((await (await api('/user', issued.access_token)).json()).login, 'carol-orgs');
  await assert.rejects(ctl('POST', '/_emulator/default-user', { login: 'nobody' }), /404/);
});

// ---- robustness --------------------------------------------------------------

test('hostile input: huge body, bad JSON, odd paths, concurrency', async () => {
  const rawStatus = (opts, body) => new Promise((resolve) => {
    const u = new URL(base);
    const req = http.request({ host: u.hostname, port: u.port, ...opts }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve('error'));
    req.end(body);
  });
  // Declared too large: refused before reading.
  assert.equal(await rawStatus({ path: '/login/oauth/access_token', method: 'POST',
    headers: { 'content-length': String(1024 * 1024 + 1) } }), 413);
  // Streamed too large (chunked): refused once it passes 1 MiB.
  const big = await rawStatus({ path: '/_emulator/users', method: 'POST' }, Buffer.alloc(1024 * 1024 + 10, 97));
  assert.ok(big === 413 || big === 'error', String(big));
  // Exactly 1 MiB is still read.
  let r = await fetch(`${base}/_emulator/faults`, { method: 'POST', body: Buffer.alloc(1024 * 1024, 32) });
  assert.equal(r.status, 400);
  r = await fetch(`${base}/_emulator/faults`, { method: 'POST', body: '{nope' });
  assert.equal(r.status, 400);
  r = await fetch(`${base}/login/oauth/access_token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,' });
  assert.match(await r.text(), /error=incorrect_client_credentials/);
  r = await fetch(`${base}/user/starred/%ZZ/%%`, { method: 'PUT', headers: UA });
  assert.equal(r.status, 401);
  r = await fetch(`${base}/nothing/here`);
  assert.equal(r.status, 404);
  r = await authorize({ params: { login: 'no-such-user' } });
  assert.equal(r.status, 200);
  // A raw request line the URL parser dislikes.
  const raw = await rawStatus({ path: '//%00\\..', method: 'GET' });
  assert.ok(raw === 404 || raw === 400, String(raw));
  const t = (await signIn('carol-orgs')).access_token;
  const all = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    api(i % 2 ? '/user' : '/user/orgs?per_page=5', t).then((x) => x.status)));
  assert.ok(all.every((s) => s === 200));
  assert.equal((await fetch(`${base}/_emulator/healthz`)).status, 200);
});

test('the request log never contains codes, tokens or secrets', async () => {
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ghemu-')), 'log.jsonl');
  const other = await startEmulator(['--auto-approve', '--log', logFile]);
  try {
    const { verifier, challenge } = pkce();
    const q = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: CALLBACK, state: 'secret-state', code_challenge: challenge, code_challenge_method: 'S256' });
    const r = await fetch(`${other.base}/login/oauth/authorize?${q}`, { redirect: 'manual' });
    const code = new URL(r.headers.get('location')).searchParams.get('code');
    const tr = await fetch(`${other.base}/login/oauth/access_token`, {
      method: 'POST', headers: { accept: 'application/json' },
      body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: SECRET, code, code_verifier: verifier }),
    });
    const tok = (await tr.json()).access_token;
    await fetch(`${other.base}/user`, { headers: { ...UA, authorization: `Bearer ${tok}` } });
    await new Promise((res) => setTimeout(res, 100));
    const log = fs.readFileSync(logFile, 'utf8');
    const lines = log.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.endpoint), ['authorize', 'token', 'user']);
    assert.deepEqual(lines.map((l) => l.status), [302, 200, 200]);
    for (const s of [code, tok, SECRET, verifier, challenge, 'secret-state']) assert.equal(log.includes(s), false, s);
  } finally {
    other.proc.kill('SIGTERM');
  }
});

test('bad start-up options exit non-zero with a message', async () => {
  for (const args of [['--port', 'abc'], ['--fixtures', '/nonexistent.json'], ['--bogus']]) {
    const p = spawn(process.execPath, [path.join(__dirname, 'emulator.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    const code = await new Promise((res) => p.on('exit', res));
    assert.notEqual(code, 0, args.join(' '));
    assert.match(err, /github-emulator:/);
  }
});
