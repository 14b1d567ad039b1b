'use strict';
// The few HTML pages a browser sees on the emulated github.com.

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;
 background:#f6f8fa;color:#1f2328}
header{background:#24292f;color:#fff;padding:14px 24px;font-weight:600}
header span{opacity:.7;font-weight:400;margin-left:8px}
main{max-width:460px;margin:40px auto;padding:0 16px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:24px}
h1{font-size:20px;font-weight:400;margin:0 0 16px;text-align:center}
.who{display:flex;align-items:center;gap:10px;margin-bottom:16px}
.who img{width:40px;height:40px;border-radius:50%;border:1px solid #d0d7de}
ul{padding-left:20px;margin:8px 0 16px}
.muted{color:#656d76;font-size:12px}
.actions{display:flex;gap:8px;margin-top:16px}
.actions form{flex:1;margin:0}
button{width:100%;padding:6px 16px;font:inherit;font-weight:500;border-radius:6px;cursor:pointer;
 border:1px solid rgba(31,35,40,.15)}
.primary{background:#1f883d;color:#fff}
.primary:hover{background:#1a7f37}
.secondary{background:#f6f8fa;color:#24292f}
.error{border-color:#ff818266;background:#ffebe9}
code{font-size:12px;word-break:break-all}
`;

function layout(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header>GitHub<span>emulator</span></header><main>${body}</main></body></html>
`;
}

function hidden(params) {
  return Object.entries(params)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('\n');
}

function consentPage({ appName, user, avatarUrl, scopes, redirectOrigin, params }) {
  const scopeList = scopes.length
    ? `<ul>${scopes.map((s) => `<li><code>${esc(s)}</code></li>`).join('')}</ul>`
    : '<p>Public information only (no scopes).</p>';
  return layout(`Authorize ${appName}`, `
<div class="card">
 <h1>Authorize <strong>${esc(appName)}</strong></h1>
 <div class="who"><img alt="" src="${esc(avatarUrl)}">
  <div><strong id="login">${esc(user.login)}</strong><br>
  <span class="muted">${esc(appName)} wants to access your account</span></div></div>
 ${scopeList}
 <div class="actions">
  <form method="post" action="/login/oauth/authorize/cancel">${hidden(params)}
   <button class="secondary" type="submit" id="js-oauth-cancel">Cancel</button></form>
  <form method="post" action="/login/oauth/authorize/approve">${hidden(params)}
   <button class="primary" type="submit" id="js-oauth-authorize" name="authorize" value="1">Authorize ${esc(user.login)}</button></form>
 </div>
 <p class="muted">Authorizing will redirect to <code>${esc(redirectOrigin)}</code></p>
</div>`);
}

function errorPage(title, message) {
  return layout(title, `<div class="card error"><h1>${esc(title)}</h1><p>${esc(message)}</p></div>`);
}

function notFoundPage() {
  return errorPage('Page not found', 'This is not the web page you are looking for.');
}

// GitHub's "unicorn" page, used for html-body faults.
function unicornPage() {
  return layout('Unicorn! · GitHub',
    '<div class="card error"><h1>Unicorn!</h1><p>No server is currently available to service your request.</p></div>');
}

function avatarSvg(seed) {
  const hue = Number(BigInt(seed) % 360n);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 8 8">` +
    `<rect width="8" height="8" fill="#f0f0f0"/><rect x="2" y="2" width="4" height="4" ` +
    `fill="hsl(${hue},60%,50%)"/></svg>`;
}

module.exports = { esc, consentPage, errorPage, notFoundPage, unicornPage, avatarSvg };
