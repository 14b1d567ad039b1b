'use strict';
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
  if (f.process !== undefined) out.process = f.process === true;
  out.times = optCount(f.times, 'times');
  out.after = optCount(f.after, 'after') || 0;
  const effects = ['status', 'delayMs', 'body', 'reset', 'error', 'rateLimit', 'deny'];
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

module.exports = { Faults, parseFault, ENDPOINTS };
