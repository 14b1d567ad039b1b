'use strict';
// github.com side of the OAuth web flow: authorize (consent page or auto
// approve), approve/cancel, and the code/refresh-token exchange.

const crypto = require('node:crypto');
const { json, html, form, redirect } = require('./respond');
const pages = require('./pages');
const { safeEqual } = require('./state');

const ERR_DOC = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/';
const TOKEN_ERRORS = {
  incorrect_client_credentials: ['The client_id and/or client_secret passed are incorrect.', 'incorrect-client-credentials'],
  redirect_uri_mismatch: ['The redirect_uri MUST match the registered callback URL for this application.', 'redirect-uri-mismatch2'],
  bad_verification_code: ['The code passed is incorrect or expired.', 'bad-verification-code'],
  bad_refresh_token: ['The refresh token passed is incorrect or expired.', 'bad-refresh-token'],
  unsupported_grant_type: ['The grant type is not supported.', 'unsupported-grant-type'],
};
const DENIED_DESC = 'The user has denied your application access.';
const DENIED_URI = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied';

function tokenError(code, description) {
  const [desc, anchor] = TOKEN_ERRORS[code] || ['The request failed.', code.replace(/_/g, '-')];
  return { error: code, error_description: description || desc, error_uri: ERR_DOC + '#' + anchor };
}

// GitHub answers form-encoded unless the client asks for JSON.
function wantsJson(ctx) {
  return /application\/json/i.test(ctx.req.headers.accept || '');
}

function tokenReply(ctx, obj) {
  return wantsJson(ctx) ? json(200, obj) : form(200, obj);
}

// Host and port must match exactly; the path must start with the registered
// callback path (GitHub's prefix rule). Without a registered URL, anything goes.
function redirectAllowed(registered, candidate) {
  let c;
  try {
    c = new URL(candidate);
  } catch {
    return false;
  }
  if (c.protocol !== 'http:' && c.protocol !== 'https:') return false;
  if (!registered) return true;
  const r = new URL(registered);
  return r.protocol === c.protocol && r.host.toLowerCase() === c.host.toLowerCase() &&
    c.pathname.startsWith(r.pathname) && !c.username && !c.password;
}

function withParams(uri, params) {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) u.searchParams.append(k, v);
  return u.toString();
}

function normScopes(s) {
  if (typeof s !== 'string') return [];
  return [...new Set(s.split(/[\s,]+/).filter(Boolean))];
}

// Shared checks of authorize, approve and cancel. Returns {error: response}
// or {clientId, redirectUri, redirectGiven}.
function checkClient(app, p) {
  const opts = app.options;
  if (!p.client_id || p.client_id !== opts.clientId) return { error: html(404, pages.notFoundPage()) };
  const given = typeof p.redirect_uri === 'string' && p.redirect_uri !== '';
  const redirectUri = given ? p.redirect_uri : opts.callbackUrl;
  if (!redirectUri || !redirectAllowed(opts.callbackUrl, redirectUri)) {
    // GitHub shows this page with status 200.
    return { error: html(200, pages.errorPage('Redirect URI mismatch',
      'The redirect_uri is not associated with this application.')) };
  }
  return { clientId: p.client_id, redirectUri };
}

function pkceError(p) {
  if (!p.code_challenge) return null; // PKCE is optional on GitHub
  if (p.code_challenge_method !== 'S256') return 'code_challenge_method must be S256';
  if (!/^[A-Za-z0-9_-]{43,128}$/.test(p.code_challenge)) return 'code_challenge is not a valid S256 challenge';
  return null;
}

function signedInUser(app, ctx, p) {
  const cookie = ctx.cookies.gh_user;
  const login = cookie || p.login || app.state.defaultLogin;
  if (login) return app.state.userByLogin(login);
  return app.state.firstUser();
}

function approvalKey(user, clientId) {
  return `${user.id}|${clientId}`;
}

function issueAndRedirect(app, client, p, user, scopes) {
  const code = app.state.issueCode({
    clientId: client.clientId,
    redirectUri: client.redirectUri,
    challenge: p.code_challenge || null,
    userId: user.id,
    scope: scopes.join(','),
  });
  const prev = app.state.approvals.get(approvalKey(user, client.clientId)) || new Set();
  for (const s of scopes) prev.add(s);
  app.state.approvals.set(approvalKey(user, client.clientId), prev);
  return redirect(withParams(client.redirectUri, { code, state: p.state }));
}

function deniedRedirect(client, p) {
  return redirect(withParams(client.redirectUri, {
    error: 'access_denied', error_description: DENIED_DESC, error_uri: DENIED_URI, state: p.state,
  }));
}

function authorize(app, ctx) {
  const p = ctx.params;
  const client = checkClient(app, p);
  if (client.error) return client.error;
  ctx.call.details = {
    clientId: p.client_id, redirectUri: client.redirectUri, scope: p.scope || '',
    hasState: Boolean(p.state), hasCodeChallenge: Boolean(p.code_challenge),
    codeChallengeMethod: p.code_challenge_method || null,
  };
  const user = signedInUser(app, ctx, p);
  if (!user) return html(200, pages.errorPage('Sign in to GitHub', 'No such user in the emulator fixtures.'));
  ctx.call.details.login = user.login;
  if (ctx.fault && ctx.fault.deny) return deniedRedirect(client, p);
  const bad = pkceError(p);
  if (bad) return redirect(withParams(client.redirectUri, { error: 'invalid_request', error_description: bad, state: p.state }));
  const scopes = normScopes(p.scope);
  const granted = app.state.approvals.get(approvalKey(user, client.clientId));
  // Like GitHub, a user who already granted these scopes is sent straight back.
  if (app.state.config.autoApprove || (granted && scopes.every((s) => granted.has(s)))) {
    return issueAndRedirect(app, client, p, user, scopes);
  }
  return html(200, pages.consentPage({
    appName: app.state.appName,
    user,
    avatarUrl: `/avatars/u/${user.id}?v=4`,
    scopes,
    redirectOrigin: new URL(client.redirectUri).origin,
    params: {
      client_id: p.client_id, redirect_uri: client.redirectUri, scope: p.scope, state: p.state,
      code_challenge: p.code_challenge, code_challenge_method: p.code_challenge_method, login: user.login,
    },
  }));
}

function approve(app, ctx) {
  const p = ctx.params;
  const client = checkClient(app, p);
  if (client.error) return client.error;
  const user = app.state.userByLogin(p.login);
  if (!user) return html(200, pages.errorPage('Sign in to GitHub', 'No such user in the emulator fixtures.'));
  const bad = pkceError(p);
  if (bad) return redirect(withParams(client.redirectUri, { error: 'invalid_request', error_description: bad, state: p.state }));
  ctx.call.details = { clientId: p.client_id, login: user.login };
  return issueAndRedirect(app, client, p, user, normScopes(p.scope));
}

function cancel(app, ctx) {
  const client = checkClient(app, ctx.params);
  if (client.error) return client.error;
  return deniedRedirect(client, ctx.params);
}

function clientCredentials(ctx) {
  let id = ctx.params.client_id;
  let secret = ctx.params.client_secret;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(ctx.req.headers.authorization || '');
  if (m && (id === undefined || secret === undefined)) {
    const dec = Buffer.from(m[1], 'base64').toString('utf8');
    const i = dec.indexOf(':');
    if (i >= 0) {
      id = id === undefined ? decodeURIComponent(dec.slice(0, i)) : id;
      secret = secret === undefined ? decodeURIComponent(dec.slice(i + 1)) : secret;
    }
  }
  return { id, secret };
}

function s256(verifier) {
  return crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function exchangeCode(app, ctx) {
  const p = ctx.params;
  const st = app.state;
  const rec = typeof p.code === 'string' ? st.codes.get(p.code) : undefined;
  if (!rec || rec.used || rec.clientId !== p.client_id || Date.now() >= rec.expiresAt) {
    return tokenReply(ctx, tokenError('bad_verification_code'));
  }
  if (p.redirect_uri !== undefined && p.redirect_uri !== '' && p.redirect_uri !== rec.redirectUri) {
    return tokenReply(ctx, tokenError('redirect_uri_mismatch'));
  }
  if (rec.challenge !== null) {
    // GitHub's exact error for a PKCE failure is undocumented; we answer the
    // same code as any unusable code, with a description naming PKCE.
    const v = p.code_verifier;
    if (typeof v !== 'string' || !/^[A-Za-z0-9._~-]{43,128}$/.test(v) || !safeEqual(s256(v), rec.challenge)) {
      return tokenReply(ctx, tokenError('bad_verification_code',
        'The code passed is incorrect or expired. (PKCE code_verifier does not match the code_challenge.)'));
    }
  }
  const user = st.users.get(rec.userId);
  if (!user) return tokenReply(ctx, tokenError('bad_verification_code'));
  rec.used = true;
  const grant = st.issueGrant(user, rec.clientId, rec.scope);
  ctx.call.details.login = user.login;
  return tokenReply(ctx, st.tokenResponse(grant));
}

function refresh(app, ctx) {
  const st = app.state;
  const grant = typeof ctx.params.refresh_token === 'string' ? st.grantForRefresh(ctx.params.refresh_token) : null;
  const user = grant ? st.users.get(grant.userId) : null;
  if (!grant || !user || grant.clientId !== ctx.params.client_id) {
    return tokenReply(ctx, tokenError('bad_refresh_token'));
  }
  st.refreshGrant(grant, user);
  ctx.call.details.login = user.login;
  return tokenReply(ctx, st.tokenResponse(grant));
}

function tokenEndpointName(ctx) {
  return ctx.params.grant_type === 'refresh_token' ? 'refresh' : 'token';
}

function accessToken(app, ctx) {
  const p = ctx.params;
  const { id, secret } = clientCredentials(ctx);
  ctx.call.details = {
    grantType: p.grant_type || null, clientId: id || null,
    hasCodeVerifier: typeof p.code_verifier === 'string', redirectUri: p.redirect_uri || null,
    accept: ctx.req.headers.accept || null, contentType: ctx.req.headers['content-type'] || null,
  };
  if (ctx.fault && ctx.fault.error) return tokenReply(ctx, tokenError(ctx.fault.error));
  if (id !== app.options.clientId || typeof secret !== 'string' || !safeEqual(secret, app.options.clientSecret)) {
    return tokenReply(ctx, tokenError('incorrect_client_credentials'));
  }
  p.client_id = id;
  if (p.grant_type === 'refresh_token') return refresh(app, ctx);
  if (p.grant_type !== undefined && p.grant_type !== 'authorization_code') {
    return tokenReply(ctx, tokenError('unsupported_grant_type'));
  }
  return exchangeCode(app, ctx);
}

module.exports = { authorize, approve, cancel, accessToken, tokenEndpointName, tokenReply, tokenError, redirectAllowed, s256 };
