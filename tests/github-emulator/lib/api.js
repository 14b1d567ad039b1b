'use strict';
// api.github.com side: /user, /user/emails, /user/orgs, /orgs/{org},
// starring, /rate_limit, and the rate-limit headers on every API answer.

const { json, text, empty, apiError } = require('./respond');

const MAX_PER_PAGE = 100;
const DEFAULT_PER_PAGE = 30;
const UNAUTH_LIMIT = 60;

function nodeId(kind, id) {
  return Buffer.from(`${kind}${id}`).toString('base64');
}

function avatarUrl(origin, entity) {
  return entity.avatarUrl || `${origin}/avatars/u/${entity.id}?v=4`;
}

function userJson(origin, u) {
  const api = `${origin}/users/${u.login}`;
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId('04:User', u.id),
    avatar_url: avatarUrl(origin, u),
    gravatar_id: '',
    url: api,
    html_url: `${origin}/${u.login}`,
    followers_url: `${api}/followers`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    type: 'User',
    user_view_type: 'public',
    site_admin: false,
    name: u.name,
    company: u.company,
    blog: '',
    location: null,
    email: u.email,
    hireable: null,
    bio: u.bio,
    twitter_username: null,
    public_repos: 3,
    public_gists: 0,
    followers: 1,
    following: 0,
    created_at: u.createdAt,
    updated_at: u.createdAt,
  };
}

function orgItemJson(origin, o) {
  const api = `${origin}/orgs/${o.login}`;
  return {
    login: o.login,
    id: o.id,
    node_id: nodeId('012:Organization', o.id),
    url: api,
    repos_url: `${api}/repos`,
    events_url: `${api}/events`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`,
    public_members_url: `${api}/public_members{/member}`,
    avatar_url: avatarUrl(origin, o),
    description: o.description,
  };
}

function orgFullJson(origin, o) {
  return {
    ...orgItemJson(origin, o),
    name: o.name,
    company: null,
    blog: '',
    location: null,
    email: null,
    is_verified: false,
    has_organization_projects: true,
    has_repository_projects: true,
    public_repos: 2,
    public_gists: 0,
    followers: 0,
    following: 0,
    html_url: `${origin}/${o.login}`,
    created_at: '2014-02-10T12:00:00Z',
    updated_at: '2024-05-01T12:00:00Z',
    type: 'Organization',
  };
}

// ---- authentication and rate limits -------------------------------------

// Returns {grant, user} | {missing:true} | {bad:true}.
function authenticate(app, ctx) {
  const h = ctx.req.headers.authorization;
  if (h === undefined || h === '') return { missing: true };
  const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(h);
  const grant = m ? app.state.grantForAccess(m[1]) : null;
  if (!grant) return { bad: true };
  return { grant, user: app.state.users.get(grant.userId) };
}

function rateBucket(app, ctx, auth) {
  const st = app.state;
  const key = auth.user ? `user:${auth.user.id}` : `ip:${ctx.req.socket.remoteAddress}`;
  const limit = auth.user ? st.config.rateLimit : UNAUTH_LIMIT;
  const now = Math.floor(Date.now() / 1000);
  let b = st.rate.get(key);
  if (!b || now >= b.reset) {
    b = { used: 0, reset: now + 3600, limit };
    st.rate.set(key, b);
  }
  b.limit = limit;
  return b;
}

function rateHeaders(b) {
  return {
    'x-ratelimit-limit': String(b.limit),
    'x-ratelimit-remaining': String(Math.max(0, b.limit - b.used)),
    'x-ratelimit-reset': String(b.reset),
    'x-ratelimit-used': String(b.used),
    'x-ratelimit-resource': 'core',
  };
}

// Answer for the 403/429 rate-limit faults (and for real exhaustion).
function rateLimitResponse(kind, retryAfter, b) {
  const now = Math.floor(Date.now() / 1000);
  const wait = retryAfter === undefined ? 60 : retryAfter;
  if (kind === '429') {
    const r = apiError(429, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      '/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits');
    Object.assign(r.headers, rateHeaders(b), { 'retry-after': String(wait) });
    return r;
  }
  const r = apiError(403, 'API rate limit exceeded. Please wait before making more requests.',
    '/overview/rate-limits-for-the-rest-api');
  Object.assign(r.headers, rateHeaders({ ...b, used: b.limit, reset: now + wait }));
  return r;
}

function withApiHeaders(resp, auth, bucket) {
  Object.assign(resp.headers, rateHeaders(bucket), {
    'x-github-media-type': 'github.v3; format=json',
    'x-github-api-version-selected': '2022-11-28',
  });
  if (auth.grant) {
    resp.headers['x-oauth-scopes'] = auth.grant.scope.split(',').filter(Boolean).join(', ');
  }
  return resp;
}

const UA_MESSAGE = 'Request forbidden by administrative rules. Please make sure your request has a User-Agent ' +
  'header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). ' +
  'Check https://developer.github.com for other possible causes.\n';

// Runs an API handler with GitHub's common behaviour around it: User-Agent
// requirement, authentication, rate-limit accounting and headers.
function apiCall(app, ctx, needsAuth, handler) {
  if (app.state.config.requireUserAgent && !ctx.req.headers['user-agent']) return text(403, UA_MESSAGE);
  const auth = authenticate(app, ctx);
  ctx.call.details = {
    auth: /^\s*(\w+)/.exec(ctx.req.headers.authorization || '')?.[1]?.toLowerCase() || 'none',
    login: auth.user ? auth.user.login : null,
    userAgent: ctx.req.headers['user-agent'] || null,
  };
  const bucket = rateBucket(app, ctx, auth);
  if (bucket.used >= bucket.limit) return withApiHeaders(rateLimitResponse('403', bucket.reset - Math.floor(Date.now() / 1000), bucket), auth, bucket);
  if (ctx.rateCounts !== false) bucket.used += 1;
  let resp;
  if (auth.bad) resp = apiError(401, 'Bad credentials');
  else if (auth.missing && needsAuth) resp = apiError(401, 'Requires authentication', '/users/users#get-the-authenticated-user');
  else resp = handler(auth);
  return withApiHeaders(resp, auth, bucket);
}

// A fault answer on an API endpoint still carries the usual headers.
function decorateFault(app, ctx, resp) {
  const auth = authenticate(app, ctx);
  const bucket = rateBucket(app, ctx, auth);
  if (!resp.headers['x-ratelimit-limit']) Object.assign(resp.headers, rateHeaders(bucket));
  return resp;
}

// ---- endpoints ------------------------------------------------------------

function getUser(app, ctx) {
  return apiCall(app, ctx, true, (auth) => json(200, userJson(ctx.origin, auth.user)));
}

function getEmails(app, ctx) {
  return apiCall(app, ctx, true, (auth) => json(200, auth.user.emails));
}

function pageParam(v, dflt, max) {
  if (typeof v !== 'string' || !/^\d{1,9}$/.test(v)) return dflt;
  const n = Number(v);
  if (n < 1) return dflt;
  return max ? Math.min(n, max) : n;
}

function linkHeader(ctx, page, perPage, last) {
  const url = (n) => {
    const q = new URLSearchParams(ctx.url.searchParams);
    q.set('per_page', String(perPage));
    q.set('page', String(n));
    return `<${ctx.origin}${ctx.url.pathname}?${q}>`;
  };
  const parts = [];
  if (page > 1) parts.push(`${url(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) parts.push(`${url(page + 1)}; rel="next"`, `${url(last)}; rel="last"`);
  if (page > 1) parts.push(`${url(1)}; rel="first"`);
  return parts.join(', ');
}

function getOrgs(app, ctx) {
  return apiCall(app, ctx, true, (auth) => {
    const q = ctx.url.searchParams;
    const perPage = pageParam(q.get('per_page'), DEFAULT_PER_PAGE, MAX_PER_PAGE);
    const page = pageParam(q.get('page'), 1, 0);
    const orgs = auth.user.orgIds.map((id) => app.state.orgs.get(id)).filter(Boolean);
    const last = Math.max(1, Math.ceil(orgs.length / perPage));
    const items = orgs.slice((page - 1) * perPage, page * perPage).map((o) => orgItemJson(ctx.origin, o));
    ctx.call.details.page = page;
    ctx.call.details.perPage = perPage;
    const headers = {};
    const link = linkHeader(ctx, page, perPage, last);
    if (link) headers.link = link;
    return json(200, items, headers);
  });
}

function getOrg(app, ctx, login) {
  return apiCall(app, ctx, false, () => {
    const l = String(login).toLowerCase();
    const org = [...app.state.orgs.values()].find((o) => o.login.toLowerCase() === l);
    if (!org) return apiError(404, 'Not Found', '/orgs/orgs#get-an-organization');
    return json(200, orgFullJson(ctx.origin, org));
  });
}

const OWNER_RE = /^[A-Za-z0-9-]{1,39}$/;
const REPO_RE = /^[A-Za-z0-9._-]{1,100}$/;
const STAR_DOC = '/activity/starring#star-a-repository-for-the-authenticated-user';

function star(app, ctx, owner, repo) {
  return apiCall(app, ctx, true, (auth) => {
    const full = `${owner}/${repo}`;
    ctx.call.details.repo = full;
    if (!OWNER_RE.test(owner) || !REPO_RE.test(repo) || app.state.missingRepos.has(full.toLowerCase())) {
      return apiError(404, 'Not Found', STAR_DOC);
    }
    const method = ctx.req.method;
    const scopes = auth.grant.scope.split(',');
    // Classic OAuth tokens need public_repo (or repo) to star; GitHub hides
    // the missing permission behind a 404.
    if (method !== 'GET' && app.state.config.enforceScopes &&
        !scopes.includes('public_repo') && !scopes.includes('repo')) {
      const r = apiError(404, 'Not Found', STAR_DOC);
      r.headers['x-accepted-oauth-scopes'] = 'public_repo, repo';
      return r;
    }
    let mine = app.state.stars.get(auth.user.id);
    if (!mine) {
      mine = new Map();
      app.state.stars.set(auth.user.id, mine);
    }
    const key = full.toLowerCase();
    if (method === 'GET') return mine.has(key) ? empty(204) : apiError(404, 'Not Found', STAR_DOC);
    if (method === 'DELETE') mine.delete(key);
    else if (!mine.has(key)) mine.set(key, { repo: full, at: new Date().toISOString() });
    return empty(204);
  });
}

function rateLimitStatus(app, ctx) {
  ctx.rateCounts = false; // GitHub does not count /rate_limit
  return apiCall(app, ctx, false, (auth) => {
    const b = rateBucket(app, ctx, auth);
    const core = { limit: b.limit, remaining: Math.max(0, b.limit - b.used), reset: b.reset, used: b.used, resource: 'core' };
    return json(200, { resources: { core }, rate: core });
  });
}

module.exports = {
  getUser, getEmails, getOrgs, getOrg, star, rateLimitStatus, rateLimitResponse, decorateFault,
  rateBucket, authenticate, userJson,
};
