'use strict';
// Test-only control API under /_emulator/. JSON in, JSON out.

const { json } = require('./respond');
const { normalizeUser, normalizeOrg, fail } = require('./state');
const { parseFault } = require('./faults');

function ok(obj = { ok: true }) {
  return json(200, obj);
}

function badRequest(message) {
  return json(400, { error: 'bad_request', message });
}

function body(ctx) {
  if (ctx.body.length === 0) return {};
  let v;
  try {
    v = JSON.parse(ctx.body.toString('utf8'));
  } catch {
    throw fail('body is not valid JSON');
  }
  if (v === null || typeof v !== 'object') throw fail('body must be a JSON object or array');
  return v;
}

function userOr404(app, login) {
  const u = app.state.userByLogin(login);
  if (!u) throw Object.assign(fail(`no user ${login}`), { status: 404 });
  return u;
}

function publicGrant(g) {
  // Token values stay out of listings (tests get them from tokens/issue).
  return {
    clientId: g.clientId, scope: g.scope, issuedAt: new Date(g.issuedAt).toISOString(),
    accessExpiresAt: g.accessExpiresAt ? new Date(g.accessExpiresAt).toISOString() : null,
    expired: g.accessExpiresAt !== null && Date.now() >= g.accessExpiresAt,
    hasRefreshToken: Boolean(g.refreshToken), revoked: g.revoked,
  };
}

function callsView(app, endpoint) {
  const st = app.state;
  const calls = endpoint ? st.calls.filter((c) => c.endpoint === endpoint) : st.calls;
  const counts = endpoint ? { [endpoint]: st.counts[endpoint] || 0 } : { ...st.counts };
  return { calls, counts, total: calls.length };
}

function setConfig(app, b) {
  const c = app.state.config;
  if (b.codeTtlSeconds !== undefined) {
    if (!Number.isFinite(b.codeTtlSeconds) || b.codeTtlSeconds < 0) throw fail('codeTtlSeconds must be >= 0');
    c.codeTtlSeconds = b.codeTtlSeconds;
  }
  for (const k of ['autoApprove', 'requireUserAgent', 'enforceScopes']) {
    if (b[k] !== undefined) {
      if (typeof b[k] !== 'boolean') throw fail(`${k} must be a boolean`);
      c[k] = b[k];
    }
  }
  if (b.expiringTokens !== undefined) {
    if (b.expiringTokens !== null && typeof b.expiringTokens !== 'boolean') throw fail('expiringTokens must be boolean or null');
    c.expiringTokens = b.expiringTokens;
  }
  if (b.rateLimit !== undefined) {
    if (!Number.isSafeInteger(b.rateLimit) || b.rateLimit < 0) throw fail('rateLimit must be a non-negative integer');
    c.rateLimit = b.rateLimit;
  }
  return ok({ config: c });
}

function route(app, ctx) {
  const st = app.state;
  const m = ctx.req.method;
  const path = ctx.url.pathname.replace(/\/+$/, '');
  const seg = path.split('/').slice(2).map((s) => { try { return decodeURIComponent(s); } catch { return s; } });
  const key = `${m} /${seg.join('/')}`;

  if (key === 'GET /healthz') return ok({ ok: true });
  if (key === 'POST /reset') {
    st.reset();
    app.faults.clear();
    return ok();
  }
  if (key === 'GET /faults') return ok({ faults: app.faults.describe() });
  if (key === 'POST /faults') {
    const b = body(ctx);
    const list = (Array.isArray(b) ? b : [b]).map(parseFault); // validate all before arming any
    return ok({ faults: list.map((f) => app.faults.add(f)) });
  }
  if (key === 'DELETE /faults') {
    app.faults.clear();
    return ok();
  }
  if (key === 'GET /calls') return ok(callsView(app, ctx.url.searchParams.get('endpoint')));
  if (key === 'DELETE /calls') {
    st.calls = [];
    st.counts = {};
    return ok();
  }
  if (key === 'POST /default-user') {
    const b = body(ctx);
    if (b.login === null) st.defaultLogin = null;
    else st.defaultLogin = userOr404(app, b.login).login;
    return ok({ login: st.defaultLogin });
  }
  if (key === 'GET /users') return ok({ users: [...st.users.values()] });
  if (key === 'POST /users') {
    const u = normalizeUser(body(ctx));
    st.putUser(u);
    return ok({ user: u });
  }
  if (m === 'POST' && seg.length === 3 && seg[0] === 'users' && seg[2] === 'orgs') {
    const u = userOr404(app, seg[1]);
    const b = body(ctx);
    if (!Array.isArray(b.orgIds) || !b.orgIds.every((id) => st.orgs.has(id))) {
      throw fail('orgIds must be an array of known org ids');
    }
    u.orgIds = [...b.orgIds];
    return ok({ login: u.login, orgIds: u.orgIds });
  }
  if (key === 'GET /orgs') return ok({ orgs: [...st.orgs.values()] });
  if (key === 'POST /orgs') {
    const o = normalizeOrg(body(ctx));
    st.orgs.set(o.id, o);
    return ok({ org: o });
  }
  if (key === 'GET /tokens') {
    const login = ctx.url.searchParams.get('login');
    const grants = login ? st.grants.filter((g) => g.userId === userOr404(app, login).id) : st.grants;
    const list = grants.map(publicGrant);
    return ok({ tokens: list, active: list.filter((g) => !g.revoked).length });
  }
  if (key === 'POST /tokens/issue') {
    // Mint a token directly (dev bootstrap tests need a raw GitHub token).
    const b = body(ctx);
    const u = userOr404(app, b.login);
    const scope = typeof b.scope === 'string' ? b.scope.split(/[\s,]+/).filter(Boolean).join(',') : '';
    const grant = st.issueGrant(u, app.options.clientId, scope);
    return ok(st.tokenResponse(grant));
  }
  if (key === 'POST /tokens/revoke' || key === 'POST /tokens/expire') {
    const u = userOr404(app, body(ctx).login);
    let n = 0;
    for (const g of st.activeGrants(u.id)) {
      n += 1;
      if (key === 'POST /tokens/revoke') st.revokeGrant(g);
      else g.accessExpiresAt = Date.now() - 1; // refresh token stays usable
    }
    return ok({ login: u.login, affected: n });
  }
  if (key === 'GET /config') return ok({ config: st.config });
  if (key === 'POST /config') return setConfig(app, body(ctx));
  if (key === 'GET /stars') {
    const stars = [];
    for (const [userId, repos] of st.stars) {
      const u = st.users.get(userId);
      for (const s of repos.values()) stars.push({ login: u ? u.login : null, userId, repo: s.repo, at: s.at });
    }
    return ok({ stars });
  }
  return json(404, { error: 'not_found', message: `no control endpoint ${m} ${path}` });
}

function handle(app, ctx) {
  try {
    return route(app, ctx);
  } catch (e) {
    if (e.userError) return e.status === 404 ? json(404, { error: 'not_found', message: e.message }) : badRequest(e.message);
    throw e;
  }
}

module.exports = { handle };
