'use strict';
// HTTP layer: routing, body reading, call recording, fault injection,
// request log. Handlers return response descriptors (see respond.js).

const http = require('node:http');
const fs = require('node:fs');
const { State } = require('./state');
const { Faults, applyField } = require('./faults');
const oauth = require('./oauth');
const api = require('./api');
const control = require('./control');
const pages = require('./pages');
const { json, html, text, apiError } = require('./respond');

const MAX_BODY = 1024 * 1024;
const API_ENDPOINTS = new Set(['user', 'emails', 'orgs', 'org', 'star', 'rate_limit']);

function seg(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// Returns {endpoint, handler(app, ctx)} or {control:true}.
function match(method, path) {
  if (path === '/_emulator' || path.startsWith('/_emulator/')) return { control: true };
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (p === '/login/oauth/authorize' && method === 'GET') return { endpoint: 'authorize', handler: oauth.authorize };
  if (p === '/login/oauth/authorize/approve' && method === 'POST') return { endpoint: 'authorize_approve', handler: oauth.approve };
  if (p === '/login/oauth/authorize/cancel' && method === 'POST') return { endpoint: 'authorize_cancel', handler: oauth.cancel };
  if (p === '/login/oauth/access_token' && method === 'POST') return { endpoint: oauth.tokenEndpointName, handler: oauth.accessToken };
  if (p === '/user' && method === 'GET') return { endpoint: 'user', handler: api.getUser };
  if (p === '/user/emails' && method === 'GET') return { endpoint: 'emails', handler: api.getEmails };
  if (p === '/user/orgs' && method === 'GET') return { endpoint: 'orgs', handler: api.getOrgs };
  if (p === '/rate_limit' && method === 'GET') return { endpoint: 'rate_limit', handler: api.rateLimitStatus };
  let m = /^\/user\/starred\/([^/]+)\/([^/]+)$/.exec(p);
  if (m && ['PUT', 'GET', 'DELETE'].includes(method)) {
    const [owner, repo] = [seg(m[1]), seg(m[2])];
    return { endpoint: 'star', handler: (app, ctx) => api.star(app, ctx, owner, repo) };
  }
  m = /^\/orgs\/([^/]+)$/.exec(p);
  if (m && method === 'GET') return { endpoint: 'org', handler: (app, ctx) => api.getOrg(app, ctx, seg(m[1])) };
  m = /^\/avatars\/u\/(\d{1,19})$/.exec(p);
  if (m && method === 'GET') {
    return {
      endpoint: 'avatar',
      handler: () => ({ status: 200, headers: { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=3600' }, body: pages.avatarSvg(m[1]) }),
    };
  }
  return { endpoint: 'unknown', handler: () => apiError(404, 'Not Found') };
}

function parseCookies(header) {
  const out = {};
  for (const part of String(header || '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = seg(part.slice(i + 1).trim());
  }
  return out;
}

// Query parameters, overridden by a form or JSON body (GitHub accepts both).
function parseParams(url, req, body) {
  const params = {};
  for (const [k, v] of url.searchParams) if (!(k in params)) params[k] = v;
  if (body.length === 0) return params;
  const ct = String(req.headers['content-type'] || '').toLowerCase();
  if (ct.includes('json')) {
    try {
      const v = JSON.parse(body.toString('utf8'));
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k, x] of Object.entries(v)) if (typeof x === 'string' || typeof x === 'number') params[k] = String(x);
      }
    } catch { /* treated as no parameters, like a garbled form */ }
  } else {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = v;
  }
  return params;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY) return reject(Object.assign(new Error('too large'), { tooLarge: true }));
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.removeAllListeners('data');
        reject(Object.assign(new Error('too large'), { tooLarge: true }));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms, res) {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      res.removeListener('close', done);
      resolve();
    }
    res.on('close', done); // the client gave up: stop waiting
  });
}

function faultBody(kind, ctx, endpoint) {
  if (kind === 'html') return html(200, pages.unicornPage());
  const type = endpoint === 'authorize' ? 'text/html; charset=utf-8'
    : (endpoint === 'token' || endpoint === 'refresh') && !/application\/json/i.test(ctx.req.headers.accept || '')
      ? 'application/x-www-form-urlencoded; charset=utf-8' : 'application/json; charset=utf-8';
  if (kind === 'empty') return { status: 200, headers: { 'content-type': type }, body: '' };
  // malformed: truncated JSON (or a broken form for form-encoded answers)
  const body = type.startsWith('application/x-www') ? 'access_token%=%ZZ&&scope' : '{"access_token": "gho_trunc", "login": "octo-al';
  return { status: 200, headers: { 'content-type': type }, body };
}

// The answer an armed fault gives, or null when the normal handler answers
// (delay-only faults, deny and error, which the handlers apply themselves).
function faultResponse(app, fault, ctx, endpoint) {
  if (fault.reset) return { destroy: true };
  if (fault.rateLimit) {
    const auth = api.authenticate(app, ctx);
    return api.rateLimitResponse(fault.rateLimit, fault.retryAfter, api.rateBucket(app, ctx, auth));
  }
  if (fault.status === undefined && fault.body === undefined) return null;
  let resp;
  if (fault.body) resp = faultBody(fault.body, ctx, endpoint);
  else if (endpoint === 'authorize') resp = html(fault.status, pages.errorPage('Server error', 'GitHub is having trouble.'));
  else resp = json(fault.status, { message: fault.status >= 500 ? 'Server Error' : 'Fault injected' });
  if (fault.status !== undefined) resp.status = fault.status;
  if (API_ENDPOINTS.has(endpoint)) api.decorateFault(app, ctx, resp);
  return resp;
}

function send(res, resp) {
  if (res.destroyed || res.writableEnded) return;
  if (resp.destroy) {
    if (res.socket) res.socket.destroy();
    else res.destroy();
    return;
  }
  const body = resp.status === 204 || resp.status === 304 ? '' : (resp.body || '');
  const headers = {
    'x-github-request-id': Math.random().toString(16).slice(2, 10).toUpperCase(),
    'cache-control': 'no-store',
    ...resp.headers,
    'content-length': Buffer.byteLength(body),
  };
  res.writeHead(resp.status, headers);
  res.end(body);
}

class Emulator {
  constructor(options) {
    this.options = options;
    this.state = new State(options);
    this.faults = new Faults();
    this.log = options.log ? fs.createWriteStream(options.log, { flags: 'a' }) : null;
    if (this.log) this.log.on('error', (e) => process.stderr.write(`github-emulator: log: ${e.message}\n`));
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        process.stderr.write(`github-emulator: internal error: ${e && e.stack}\n`);
        send(res, json(500, { message: 'emulator internal error' }));
      });
    });
    this.server.on('clientError', (err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  get origin() {
    if (this.options.publicUrl) return this.options.publicUrl.replace(/\/+$/, '');
    const a = this.server.address();
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.removeListener('error', reject);
        resolve(this.origin);
      });
    });
  }

  close() {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      if (this.log) this.log.end();
    });
  }

  writeLog(entry) {
    if (this.log) this.log.write(JSON.stringify(entry) + '\n');
  }

  async handle(req, res) {
    const t0 = Date.now();
    let url;
    try {
      url = new URL(req.url, 'http://emulator.invalid');
    } catch {
      return send(res, text(400, 'bad request target\n'));
    }
    const route = match(req.method, url.pathname);
    let body;
    try {
      body = await readBody(req);
    } catch (e) {
      if (!e.tooLarge) return res.destroy();
      send(res, { status: 413, headers: { connection: 'close', 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ message: 'Payload too large' }) });
      res.on('finish', () => req.socket.destroy());
      return undefined;
    }
    const ctx = { req, url, body, origin: this.origin, cookies: parseCookies(req.headers.cookie) };
    if (route.control) {
      const resp = control.handle(this, ctx);
      send(res, resp);
      this.writeLog({ at: new Date(t0).toISOString(), endpoint: 'control', method: req.method,
        path: url.pathname, status: resp.status, ms: Date.now() - t0 });
      return undefined;
    }
    ctx.params = parseParams(url, req, body);
    const endpoint = typeof route.endpoint === 'function' ? route.endpoint(ctx) : route.endpoint;
    const call = this.state.recordCall(endpoint, req.method);
    call.details = {};
    ctx.call = call;
    const fault = this.faults.pick(endpoint);
    ctx.fault = fault;
    if (fault) call.fault = fault.id;
    let resp = null;
    if (fault && fault.delayMs) await sleep(fault.delayMs, res);
    if (res.destroyed) {
      call.status = 'client_closed';
    } else {
      if (fault && !fault.process) resp = faultResponse(this, fault, ctx, endpoint);
      if (!resp) {
        try {
          resp = route.handler(this, ctx);
        } catch (e) {
          process.stderr.write(`github-emulator: internal error in ${endpoint}: ${e && e.stack}\n`);
          resp = json(500, { message: 'emulator internal error' });
        }
        if (fault && fault.process) resp = faultResponse(this, fault, ctx, endpoint) || resp;
        if (fault && fault.field) resp = applyField(fault, resp);
      }
      call.status = resp.destroy ? 'reset' : resp.status;
      send(res, resp);
    }
    call.durationMs = Date.now() - t0;
    this.writeLog({ at: call.at, endpoint, method: req.method, status: call.status, ms: call.durationMs,
      fault: fault ? fault.id : undefined });
    return undefined;
  }
}

module.exports = { Emulator, MAX_BODY };
