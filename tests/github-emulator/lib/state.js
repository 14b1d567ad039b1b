'use strict';
// In-memory model of the GitHub side: fixture users and orgs, OAuth codes,
// token grants (access + refresh), stars, recorded calls and settings.
// Everything here is reset by POST /_emulator/reset.

const crypto = require('node:crypto');
const fs = require('node:fs');

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MAX_GRANTS_PER_USER_APP = 10; // GitHub revokes the oldest on the 11th
const ACCESS_TTL_EXPIRING_S = 28800; // 8 hours
const REFRESH_TTL_S = 15897600; // ~184 days, what GitHub answers
const MAX_CALLS_KEPT = 10000;

// Uniform base62 string (rejection sampling keeps it unbiased).
function randomBase62(n) {
  let out = '';
  while (out.length < n) {
    for (const b of crypto.randomBytes(n * 2)) {
      if (b < 248 && out.length < n) out += BASE62[b % 62];
    }
  }
  return out;
}

function sha256(s) {
  return crypto.createHash('sha256').update(String(s)).digest();
}

// Constant-time comparison of two strings of any length.
function safeEqual(a, b) {
  return crypto.timingSafeEqual(sha256(a), sha256(b)) && String(a) === String(b);
}

function isId(v) {
  return Number.isSafeInteger(v) && v > 0;
}

function fail(msg) {
  const e = new Error(msg);
  e.userError = true;
  return e;
}

function normalizeEmails(list, where) {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw fail(`${where}: emails must be an array`);
  return list.map((e, i) => {
    if (!e || typeof e.email !== 'string') throw fail(`${where}: emails[${i}].email must be a string`);
    return {
      email: e.email,
      primary: e.primary === true,
      verified: e.verified === true,
      visibility: e.visibility === undefined ? null : e.visibility,
    };
  });
}

function normalizeUser(u, where = 'user') {
  if (!u || typeof u !== 'object') throw fail(`${where}: must be an object`);
  if (!isId(u.id)) throw fail(`${where}: id must be a positive integer`);
  if (typeof u.login !== 'string' || !/^[A-Za-z0-9-]{1,39}$/.test(u.login)) {
    throw fail(`${where}: login must be 1-39 letters, digits or hyphens`);
  }
  const orgIds = u.orgIds === undefined ? [] : u.orgIds;
  if (!Array.isArray(orgIds) || !orgIds.every(isId)) throw fail(`${where}: orgIds must be an array of ids`);
  return {
    id: u.id,
    login: u.login,
    name: typeof u.name === 'string' ? u.name : null,
    email: typeof u.email === 'string' ? u.email : null,
    company: typeof u.company === 'string' ? u.company : null,
    bio: typeof u.bio === 'string' ? u.bio : null,
    avatarUrl: typeof u.avatar_url === 'string' ? u.avatar_url : null,
    createdAt: typeof u.created_at === 'string' ? u.created_at : '2011-01-25T18:44:36Z',
    emails: normalizeEmails(u.emails, where),
    orgIds: [...orgIds],
    expiringTokens: u.expiringTokens === true,
  };
}

function normalizeOrg(o, where = 'org') {
  if (!o || typeof o !== 'object') throw fail(`${where}: must be an object`);
  if (!isId(o.id)) throw fail(`${where}: id must be a positive integer`);
  if (typeof o.login !== 'string' || !/^[A-Za-z0-9-]{1,39}$/.test(o.login)) {
    throw fail(`${where}: login must be 1-39 letters, digits or hyphens`);
  }
  return {
    id: o.id,
    login: o.login,
    name: typeof o.name === 'string' ? o.name : null,
    description: typeof o.description === 'string' ? o.description : null,
    avatarUrl: typeof o.avatar_url === 'string' ? o.avatar_url : null,
  };
}

function loadFixtures(file) {
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw fail(`cannot load fixtures ${file}: ${e.message}`);
  }
  if (!data || !Array.isArray(data.users) || !Array.isArray(data.orgs)) {
    throw fail(`fixtures ${file}: need "users" and "orgs" arrays`);
  }
  const users = data.users.map((u, i) => normalizeUser(u, `users[${i}]`));
  const orgs = data.orgs.map((o, i) => normalizeOrg(o, `orgs[${i}]`));
  return {
    appName: (data.app && typeof data.app.name === 'string') ? data.app.name : 'OAuth App',
    missingRepos: Array.isArray(data.missingRepos) ? data.missingRepos.map(String) : [],
    users,
    orgs,
  };
}

class State {
  constructor(options) {
    this.options = options; // start-up settings, restored by reset()
    this.reset();
  }

  reset() {
    const fx = loadFixtures(this.options.fixtures);
    this.appName = fx.appName;
    this.missingRepos = new Set(fx.missingRepos.map((r) => r.toLowerCase()));
    this.users = new Map(); // id -> user
    for (const u of fx.users) this.putUser(u);
    this.orgs = new Map(); // id -> org
    for (const o of fx.orgs) this.orgs.set(o.id, o);
    this.config = {
      codeTtlSeconds: 600,
      autoApprove: this.options.autoApprove,
      expiringTokens: null, // null: per user fixture; true/false: everyone
      rateLimit: 5000,
      requireUserAgent: true,
      enforceScopes: true, // starring needs public_repo or repo, as on GitHub
    };
    this.defaultLogin = null;
    this.codes = new Map(); // code -> record
    this.grants = []; // issue order
    this.byAccess = new Map(); // access token -> grant
    this.byRefresh = new Map(); // refresh token -> grant
    this.grantSeq = 0;
    this.approvals = new Map(); // `${userId}|${clientId}` -> Set of scopes granted
    this.stars = new Map(); // userId -> Map(repoLower -> {repo, at})
    this.calls = [];
    this.counts = {}; // endpoint -> number of calls, survives trimming
    this.callSeq = 0;
    this.rate = new Map(); // rate key -> {used, reset}
  }

  putUser(user) {
    // Same id replaces (a rename keeps the id); a login taken by another id
    // moves to the new account, as on GitHub after a rename frees it.
    for (const [id, u] of this.users) {
      if (id !== user.id && u.login.toLowerCase() === user.login.toLowerCase()) this.users.delete(id);
    }
    this.users.set(user.id, user);
  }

  userByLogin(login) {
    if (typeof login !== 'string') return null;
    const l = login.toLowerCase();
    for (const u of this.users.values()) if (u.login.toLowerCase() === l) return u;
    return null;
  }

  firstUser() {
    const it = this.users.values().next();
    return it.done ? null : it.value;
  }

  // ---- codes --------------------------------------------------------------

  issueCode(fields) {
    if (this.codes.size > 10000) { // keep memory bounded in long load runs
      const now = Date.now();
      for (const [c, r] of this.codes) if (r.used || now >= r.expiresAt) this.codes.delete(c);
    }
    const code = randomBase62(20);
    this.codes.set(code, {
      ...fields,
      expiresAt: Date.now() + this.config.codeTtlSeconds * 1000,
      used: false,
    });
    return code;
  }

  // ---- tokens -------------------------------------------------------------

  usesExpiring(user) {
    return this.config.expiringTokens === null ? user.expiringTokens : this.config.expiringTokens;
  }

  newTokens(grant, user) {
    const now = Date.now();
    const expiring = this.usesExpiring(user);
    grant.accessToken = (expiring ? 'ghu_' : 'gho_') + randomBase62(36);
    grant.accessExpiresAt = expiring ? now + ACCESS_TTL_EXPIRING_S * 1000 : null;
    grant.refreshToken = expiring ? 'ghr_' + randomBase62(72) : null;
    grant.refreshExpiresAt = expiring ? now + REFRESH_TTL_S * 1000 : null;
    grant.issuedAt = now;
    grant.seq = ++this.grantSeq;
    this.byAccess.set(grant.accessToken, grant);
    if (grant.refreshToken) this.byRefresh.set(grant.refreshToken, grant);
  }

  revokeGrant(grant) {
    grant.revoked = true;
    this.byAccess.delete(grant.accessToken);
    if (grant.refreshToken) this.byRefresh.delete(grant.refreshToken);
  }

  activeGrants(userId, clientId) {
    return this.grants.filter((g) => !g.revoked && g.userId === userId &&
      (clientId === undefined || g.clientId === clientId));
  }

  issueGrant(user, clientId, scope) {
    const grant = { userId: user.id, clientId, scope, revoked: false };
    this.newTokens(grant, user);
    this.grants.push(grant);
    const active = this.activeGrants(user.id, clientId).sort((a, b) => a.seq - b.seq);
    while (active.length > MAX_GRANTS_PER_USER_APP) this.revokeGrant(active.shift());
    // Forget long-revoked grants so memory stays bounded under load tests.
    if (this.grants.length > 5000) this.grants = this.grants.filter((g) => !g.revoked);
    return grant;
  }

  // Rotation: new access + refresh token; the old pair stops working.
  refreshGrant(grant, user) {
    this.byAccess.delete(grant.accessToken);
    this.byRefresh.delete(grant.refreshToken);
    this.newTokens(grant, user);
    return grant;
  }

  tokenResponse(grant) {
    const out = { access_token: grant.accessToken };
    if (grant.refreshToken) {
      out.expires_in = Math.max(0, Math.round((grant.accessExpiresAt - Date.now()) / 1000));
      out.refresh_token = grant.refreshToken;
      out.refresh_token_expires_in = Math.max(0, Math.round((grant.refreshExpiresAt - Date.now()) / 1000));
    }
    out.token_type = 'bearer';
    out.scope = grant.scope;
    return out;
  }

  // The grant an access token names, or null when unknown/revoked/expired.
  grantForAccess(token) {
    const g = this.byAccess.get(token);
    if (!g || g.revoked) return null;
    if (g.accessExpiresAt !== null && Date.now() >= g.accessExpiresAt) return null;
    if (!this.users.has(g.userId)) return null;
    return g;
  }

  grantForRefresh(token) {
    const g = this.byRefresh.get(token);
    if (!g || g.revoked) return null;
    if (Date.now() >= g.refreshExpiresAt) return null;
    return g;
  }

  // ---- calls --------------------------------------------------------------

  recordCall(endpoint, method) {
    const entry = { seq: ++this.callSeq, endpoint, method, status: null, at: new Date().toISOString() };
    this.calls.push(entry);
    this.counts[endpoint] = (this.counts[endpoint] || 0) + 1;
    if (this.calls.length > MAX_CALLS_KEPT) this.calls.shift();
    return entry;
  }
}

module.exports = {
  State, normalizeUser, normalizeOrg, randomBase62, safeEqual, sha256, fail,
  MAX_GRANTS_PER_USER_APP,
};
