// Shared by the app and account pages: API calls, the signed-in header,
// avatars, dates, notices. Everything from the server reaches the page
// through textContent or attributes, never innerHTML.

// --- DOM ---------------------------------------------------------------------

export function $(id) {
    return document.getElementById(id);
}

// h('p', {class: 'x'}, 'text', child): a new element. Attributes with a
// false/null value are left out; `on<event>` keys become listeners.
export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
        if (value === null || value === undefined || value === false) continue;
        if (key.startsWith('on') && typeof value === 'function') {
            el.addEventListener(key.slice(2), value);
        } else {
            el.setAttribute(key, value === true ? '' : String(value));
        }
    }
    for (const child of children.flat()) {
        if (child === null || child === undefined || child === false) continue;
        el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// icon(name): a decorative inline SVG (aria-hidden) from the paths below.
const ICONS = {
    star: 'M12 3.5l2.6 5.3 5.9.9-4.3 4.1 1 5.8-5.2-2.7-5.2 2.7 1-5.8-4.3-4.1 5.9-.9z',
    check: 'M5 12.5l4.5 4.5L19 7.5',
    alert: 'M12 8v5m0 3.2v.3M10.3 3.9L2.6 17.4A2 2 0 004.3 20.4h15.4a2 2 0 001.7-3L13.7 3.9a2 2 0 00-3.4 0z',
    info: 'M12 11v6m0-9.5v.3M12 21a9 9 0 100-18 9 9 0 000 18z',
    monitor: 'M4 5h16a1 1 0 011 1v9a1 1 0 01-1 1H4a1 1 0 01-1-1V6a1 1 0 011-1zM9 20h6M12 16v4',
    phone: 'M8 3h8a1 1 0 011 1v16a1 1 0 01-1 1H8a1 1 0 01-1-1V4a1 1 0 011-1zM11 18h2',
    terminal: 'M4 5h16a1 1 0 011 1v12a1 1 0 01-1 1H4a1 1 0 01-1-1V6a1 1 0 011-1zM7 10l3 2.5L7 15M12 15h5',
    refresh: 'M20 11a8 8 0 00-14.7-4.3L4 8.5M4 4v4.5h4.5M4 13a8 8 0 0014.7 4.3l1.3-1.8M20 20v-4.5h-4.5',
    signout: 'M15 4h3a2 2 0 012 2v12a2 2 0 01-2 2h-3M10 16l-4-4 4-4M6 12h10',
};

export function icon(name) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('fill', 'none');
    svg.setAttribute('stroke', 'currentColor');
    svg.setAttribute('stroke-width', '1.8');
    svg.setAttribute('stroke-linecap', 'round');
    svg.setAttribute('stroke-linejoin', 'round');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', ICONS[name]);
    svg.append(path);
    return svg;
}

export function spinner() {
    return h('span', { class: 'spinner', 'aria-hidden': 'true' });
}

// --- the API -------------------------------------------------------------------

export class ApiError extends Error {
    constructor(code, message, status) {
        super(message);
        this.code = code;
        this.status = status;
    }
}

let signedIn = false;

// markSignedIn(): this page has seen a live session, so losing it later
// means it ended (revoked, signed out elsewhere, expired) and sign-in says so.
export function markSignedIn() {
    signedIn = true;
}

// Where a page goes when it finds no session: sign-in, with returnTo to
// come back here, and `reason` when a session this page had has ended.
export function goToSignIn() {
    const reason = signedIn ? 'session_ended' : null;
    const params = new URLSearchParams();
    params.set('returnTo', window.location.pathname + window.location.search);
    if (reason) params.set('reason', reason);
    window.location.assign('/sign-in?' + params.toString());
}

// A 401 reauthentication_required (POST /v1/auth/token for an audience
// whose max_auth_age has passed) names the GitHub sign-in to go through:
// follow it when it is ours (this origin, the start route), so a fresh
// sign-in comes back to the caller's returnTo; anything else is a session
// that ended.
function reauthenticationUrl(data) {
    if (!data || data.error !== 'reauthentication_required' || typeof data.signInUrl !== 'string') {
        return null;
    }
    try {
        const url = new URL(data.signInUrl, window.location.href);
        if (url.origin === window.location.origin && url.pathname === '/v1/auth/github/start') {
            return url.href;
        }
    } catch {
        // not a URL: fall through to the sign-in page
    }
    return null;
}

// api(method, path, body?): the parsed JSON answer (null for 204), an
// ApiError otherwise. A 401 sends the browser to sign-in (or straight to a
// fresh GitHub sign-in when the service asks for one: pass returnTo in the
// body of POST /v1/auth/token to come back to this page) and never settles,
// so no caller flashes an error on the way out.
export async function api(method, path, body) {
    const init = {
        method,
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'application/json' },
    };
    if (method !== 'GET') {
        // CSRF rule of the service: cookie mutations must be JSON (the
        // browser adds Origin itself).
        init.headers['Content-Type'] = 'application/json';
        if (method !== 'DELETE') init.body = JSON.stringify(body || {});
    }
    let res;
    try {
        res = await fetch(path, init);
    } catch {
        throw new ApiError('network', 'Foundry Auth could not be reached. Check your connection and try again.', 0);
    }
    if (res.status === 401) {
        const again = reauthenticationUrl(await res.json().catch(() => null));
        if (again) window.location.assign(again);
        else goToSignIn();
        return new Promise(() => {});
    }
    let data = null;
    if (res.status !== 204) {
        data = await res.json().catch(() => null);
    }
    if (!res.ok) {
        const code = data && typeof data.error === 'string' ? data.error : 'http_' + res.status;
        const message = data && typeof data.message === 'string'
            ? data.message
            : 'The request failed (HTTP ' + res.status + ').';
        throw new ApiError(code, message, res.status);
    }
    return data;
}

// --- notices -------------------------------------------------------------------

// notify(kind, title, text): a message at the top of the page, replacing
// the previous one. The container is a polite live region (role=status);
// errors are alerts, announced at once.
export function notify(kind, title, text) {
    const box = $('notices');
    const alert = h('div', { class: 'alert ' + kind, role: kind === 'error' ? 'alert' : null },
        icon(kind === 'error' ? 'alert' : kind === 'ok' ? 'check' : 'info'),
        h('div', null, h('strong', null, title), text ? h('p', null, text) : null));
    box.replaceChildren(alert);
    return alert;
}

export function clearNotices() {
    $('notices').replaceChildren();
}

// --- people and things -----------------------------------------------------------

const AVATAR_COLOURS = ['#4338ca', '#0f766e', '#b45309', '#be123c', '#6d28d9', '#0369a1', '#15803d', '#9d174d'];

function colourFor(seed) {
    let n = 0;
    for (const c of String(seed)) n = (n * 31 + c.charCodeAt(0)) >>> 0;
    return AVATAR_COLOURS[n % AVATAR_COLOURS.length];
}

function initials(label) {
    const words = String(label || '?').replace(/[-_.]+/g, ' ').trim().split(/\s+/);
    const letters = words.length > 1 ? words[0][0] + words[1][0] : words[0].slice(0, 2);
    return letters.toUpperCase();
}

// avatar(url, label, seed, size): initials on a colour, with the picture
// on top when it loads (the page's CSP allows https: and data: images only;
// a blocked or broken one is removed and the initials show).
export function avatar(url, label, seed, size, square) {
    const box = h('span', { class: ['avatar', size, square ? 'square' : ''].filter(Boolean).join(' '), 'aria-hidden': 'true' },
        initials(label));
    box.style.setProperty('--avatar-bg', colourFor(seed || label));
    if (typeof url === 'string' && url !== '') {
        const img = h('img', { alt: '', src: url, loading: 'lazy', decoding: 'async', referrerpolicy: 'no-referrer' });
        img.addEventListener('error', () => img.remove());
        box.append(img);
    }
    return box;
}

export function currentUser(snapshot) {
    const users = snapshot.users || [];
    return users.find((u) => u.id === snapshot.auth.currentUserId) || users[0] || null;
}

// --- time ------------------------------------------------------------------------

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function parseDate(value) {
    if (typeof value !== 'string' || value === '') return null;
    // PostgreSQL's text form ("2026-11-23 13:24:03.79+00") is accepted too.
    const d = new Date(value.includes('T') ? value : value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
    return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(value) {
    const d = parseDate(value);
    return d ? DATE_TIME.format(d) : '—';
}

export function formatRelative(value) {
    const d = parseDate(value);
    if (!d) return '—';
    const seconds = Math.round((d.getTime() - Date.now()) / 1000);
    const abs = Math.abs(seconds);
    if (abs < 45) return seconds <= 0 ? 'just now' : 'in a few seconds';
    // the largest unit that fits at least once
    const units = [['year', 31557600], ['month', 2629800], ['week', 604800], ['day', 86400], ['hour', 3600], ['minute', 60]];
    const [unit, size] = units.find(([, s]) => abs >= s) || units[units.length - 1];
    return RELATIVE.format(Math.round(seconds / size), unit);
}

// <time> with the exact date in its title and datetime attribute.
export function timeEl(value, relative) {
    const d = parseDate(value);
    if (!d) return h('span', null, '—');
    return h('time', { datetime: d.toISOString(), title: DATE_TIME.format(d) },
        relative ? formatRelative(value) : DATE_TIME.format(d));
}

// --- the header --------------------------------------------------------------------

// renderHeader(user): fills the signed-in part of the top bar and wires
// Sign out.
export function renderHeader(user) {
    const me = $('me');
    if (!user) {
        me.hidden = true;
        return;
    }
    const label = user.name || user.login;
    const button = h('button', { type: 'button', class: 'button secondary small', id: 'sign-out' },
        icon('signout'), 'Sign out');
    button.addEventListener('click', () => signOut(button));
    me.replaceChildren(
        avatar(user.avatarUrl, label, user.id, 'xs'),
        h('span', { class: 'who' }, user.login),
        button);
    me.hidden = false;
}

export async function signOut(button) {
    button.disabled = true;
    try {
        await api('POST', '/v1/auth/sign-out');
        window.location.assign('/sign-in?signedOut=1');
    } catch (e) {
        button.disabled = false;
        notify('error', 'Sign-out failed', e.message);
    }
}
