'use strict';
// Response descriptors: handlers return {status, headers, body} (or
// {destroy:true}) and the server writes them, so faults can replace them.

const DOCS = 'https://docs.github.com/rest';

function json(status, obj, headers = {}) {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(obj),
  };
}

function html(status, text, headers = {}) {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body: text };
}

function text(status, body, headers = {}) {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}

function form(status, obj, headers = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) p.append(k, String(v));
  return {
    status,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers },
    body: p.toString(),
  };
}

function redirect(location) {
  return { status: 302, headers: { location, 'content-type': 'text/html; charset=utf-8' },
    body: `<html><body>You are being <a href="${location.replace(/"/g, '&quot;')}">redirected</a>.</body></html>` };
}

function empty(status, headers = {}) {
  return { status, headers, body: '' };
}

// GitHub's API error shape ({message, documentation_url, status}).
function apiError(status, message, docPath = '') {
  return json(status, { message, documentation_url: DOCS + docPath, status: String(status) });
}

module.exports = { json, html, text, form, redirect, empty, apiError, DOCS };
