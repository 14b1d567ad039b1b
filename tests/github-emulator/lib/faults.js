'use strict';
const crypto = require('node:crypto');
// Armed faults: each applies to one endpoint, optionally only after `after`
// successful calls and only `times` times. Several may be armed at once; the
// first one (in arming order) that applies to a call wins.

const ENDPOINTS = ['token', 'refresh', 'user', 'emails', 'orgs', 'org', 'star', 'authorize'];
const BODY_KINDS = ['malformed', 'empty', 'html'];

function bad(msg) {
  const e = new Error(msg);
  e.userError = true;
  return e;
}

function optCount(v, name) {
  if (v === undefined || v === null) return null;
  if (!Number.isSafeInteger(v) || v < 0) throw bad(`${name} must be a non-negative integer`);
  return v;
}

// The field effect: the real answer, with one member of its JSON object (or
// of each element of an array answer, or of element `index` only) set to
// `value` (any JSON value) or to `rawValue`, hex of the member's raw JSON
// text, for what JSON.stringify cannot write: invalid UTF-8 inside a string
// ("2261ff6222" is "a<FF>b"), 1e400.
function parseField(f, out) {
  const given = ['value', 'rawValue', 'index'].filter((k) => f[k] !== undefined);
  if (f.field === undefined) {
    if (given.length) throw bad(`${given.join(', ')} need field`);
    return;
  }
  if (typeof f.field !== 'string' || !f.field) throw bad('field must be a member name');
  if ((f.value === undefined) === (f.rawValue === undefined)) throw bad('field needs exactly one of value, rawValue');
  if (f.rawValue !== undefined) {
    if (typeof f.rawValue !== 'string' || !/^([0-9a-fA-F]{2})+$/.test(f.rawValue)) throw bad('rawValue must be hex bytes');
    out.rawValue = f.rawValue.toLowerCase();
  } else {
    out.value = f.value;
  }
  const index = optCount(f.index, 'index');
  if (index !== null) out.index = index;
  out.field = f.field;
}

// Applies a field fault to a handler's JSON answer; other answers (errors,
// form-encoded token answers) are left alone.
function applyField(fault, resp) {
  if (!resp || resp.destroy || resp.status >= 300 || !/json/i.test(resp.headers['content-type'] || '')) return resp;
  let doc;
  try {
    doc = JSON.parse(resp.body);
  } catch {
    return resp;
  }
  const marker = `__emulator_raw_${crypto.randomBytes(8).toString('hex')}__`;
  const value = fault.rawValue !== undefined ? marker : fault.value;
  const targets = Array.isArray(doc) ? doc.filter((_, i) => fault.index === undefined || i === fault.index) : [doc];
  for (const t of targets) if (t && typeof t === 'object' && !Array.isArray(t)) t[fault.field] = value;
  const text = JSON.stringify(doc);
  if (fault.rawValue === undefined) return { ...resp, body: text };
  const raw = Buffer.from(fault.rawValue, 'hex');
  const parts = text.split(JSON.stringify(marker)).map((p) => Buffer.from(p, 'utf8'));
  const chunks = [];
  parts.forEach((p, i) => chunks.push(...(i ? [raw, p] : [p])));
  return { ...resp, body: Buffer.concat(chunks) };
}

// Validates one fault from the control API and returns its stored form.
function parseFault(f) {
  if (!f || typeof f !== 'object' || Array.isArray(f)) throw bad('fault must be an object');
  if (!ENDPOINTS.includes(f.endpoint)) throw bad(`endpoint must be one of ${ENDPOINTS.join(', ')}`);
  const out = { endpoint: f.endpoint };
  if (f.status !== undefined) {
    if (!Number.isInteger(f.status) || f.status < 200 || f.status > 599) throw bad('status must be 200..599');
    out.status = f.status;
  }
  const delay = optCount(f.delayMs, 'delayMs');
  if (delay !== null) {
    if (delay > 600000) throw bad('delayMs must be at most 600000');
    out.delayMs = delay;
  }
  if (f.body !== undefined) {
    if (!BODY_KINDS.includes(f.body)) throw bad(`body must be one of ${BODY_KINDS.join(', ')}`);
    out.body = f.body;
  }
  if (f.reset !== undefined) out.reset = f.reset === true;
  if (f.error !== undefined) {
    if (typeof f.error !== 'string' || !/^[a-z_]{1,64}$/.test(f.error)) throw bad('error must be a snake_case code');
    out.error = f.error;
  }
  if (f.rateLimit !== undefined) {
    const r = String(f.rateLimit);
    if (r !== '403' && r !== '429') throw bad('rateLimit must be "403" or "429"');
    out.rateLimit = r;
  }
  const retryAfter = optCount(f.retryAfter, 'retryAfter');
  if (retryAfter !== null) out.retryAfter = retryAfter;
  if (f.deny !== undefined) out.deny = f.deny === true;
  parseField(f, out);
  if (f.process !== undefined) out.process = f.process === true;
  out.times = optCount(f.times, 'times');
  out.after = optCount(f.after, 'after') || 0;
  const effects = ['status', 'delayMs', 'body', 'reset', 'error', 'rateLimit', 'deny', 'field'];
  if (!effects.some((k) => out[k] !== undefined && out[k] !== false)) {
    throw bad(`fault needs at least one of ${effects.join(', ')}`);
  }
  out.seen = 0; // calls to the endpoint since arming
  out.applied = 0; // calls this fault changed
  return out;
}

class Faults {
  constructor() {
    this.list = [];
    this.seq = 0;
  }

  clear() {
    this.list = [];
  }

  add(fault) {
    fault.id = ++this.seq;
    this.list.push(fault);
    return fault;
  }

  // Called once per incoming call of `endpoint`; returns the fault to apply
  // or null. Every armed fault of the endpoint counts the call.
  pick(endpoint) {
    let chosen = null;
    for (const f of this.list) {
      if (f.endpoint !== endpoint) continue;
      f.seen += 1;
      if (chosen) continue;
      if (f.seen <= f.after) continue;
      if (f.times !== null && f.applied >= f.times) continue;
      f.applied += 1;
      chosen = f;
    }
    return chosen;
  }

  describe() {
    return this.list.map((f) => ({ ...f }));
  }
}

module.exports = { Faults, parseFault, applyField, ENDPOINTS };
