// /account: this user's sessions (GET /v1/auth/sessions) with revoke
// (DELETE /v1/auth/sessions/{id}) and sign out everywhere
// (POST /v1/auth/sign-out-all).
import {
    $, h, icon, spinner, api, notify, clearNotices, timeEl, formatDateTime,
    renderHeader, signOut, markSignedIn,
} from '/common.js';

let sessions = [];

// --- user agents ---------------------------------------------------------------------

// describeDevice(ua): {label, kind} from a User-Agent header, kept simple on
// purpose: the browser family and major version, and the operating system.
function describeDevice(ua) {
    if (typeof ua !== 'string' || ua.trim() === '') return { label: 'Unknown device', kind: 'monitor' };
    const pick = (patterns) => {
        for (const [re, name] of patterns) {
            const m = re.exec(ua);
            if (m) return name + (m[1] ? ' ' + m[1] : '');
        }
        return null;
    };
    const browser = pick([
        [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
        [/\bOPR\/(\d+)/, 'Opera'],
        [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
        [/\bFirefox\/(\d+)/, 'Firefox'],
        [/\bFxiOS\/(\d+)/, 'Firefox'],
        [/\bCriOS\/(\d+)/, 'Chrome'],
        [/\bHeadlessChrome\/(\d+)/, 'Headless Chrome'],
        [/\bChromium\/(\d+)/, 'Chromium'],
        [/\bChrome\/(\d+)/, 'Chrome'],
        [/\bVersion\/(\d+)(?:\.\d+)*.*\bSafari\//, 'Safari'],
        [/\bcurl\/(\d+(?:\.\d+)?)/, 'curl'],
        [/\bnode(?:-fetch)?\b/i, 'Node.js'],
    ]);
    const os = pick([
        [/\bWindows NT\b/, 'Windows'],
        [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
        [/\bAndroid\b/, 'Android'],
        [/\bCrOS\b/, 'ChromeOS'],
        [/\bMac OS X\b/, 'macOS'],
        [/\bLinux\b/, 'Linux'],
    ]);
    const mobile = /\b(?:Mobi|iPhone|iPod|Android)\b/.test(ua);
    const tool = /^(?:curl|Wget|python|Go-http|node)/i.test(ua);
    const name = browser || (tool ? ua.split(/[\s/]/)[0] : 'Unknown browser');
    return {
        label: os ? name + ' on ' + os : name,
        kind: tool ? 'terminal' : mobile ? 'phone' : 'monitor',
    };
}

// --- rendering -----------------------------------------------------------------------

function sortSessions(list) {
    return list.slice().sort((a, b) => {
        if (a.current !== b.current) return a.current ? -1 : 1;
        return String(b.updatedAt).localeCompare(String(a.updatedAt));
    });
}

function renderSessions() {
    const list = $('session-list');
    list.replaceChildren(...sessions.map((s) => {
        const device = describeDevice(s.userAgent);
        const action = s.current
            ? h('button', { type: 'button', class: 'button secondary', id: 'sign-out-here' },
                icon('signout'), 'Sign out', h('span', { class: 'sr-only' }, ' of this browser'))
            : h('button', { type: 'button', class: 'button danger', 'data-session-id': s.id },
                'Revoke',
                h('span', { class: 'sr-only' }, ' ' + device.label + ', signed in ' + formatDateTime(s.createdAt)));
        if (s.current) {
            action.addEventListener('click', () => signOut(action));
        } else {
            action.addEventListener('click', () => revoke(s, device, action));
        }
        return h('li', { class: s.current ? 'current' : null, 'data-session-id': s.id },
            h('span', { class: 'device-icon' }, icon(device.kind)),
            h('div', { class: 'session-text' },
                h('div', { class: 'session-title' }, h('span', null, device.label),
                    s.current ? h('span', { class: 'badge ok' }, 'This browser') : null),
                h('ul', { class: 'session-meta' },
                    h('li', null, 'Signed in ', timeEl(s.createdAt, false)),
                    h('li', null, 'Last active ', timeEl(s.updatedAt, true)),
                    s.ip ? h('li', null, 'IP ' + s.ip) : null)),
            h('div', { class: 'session-action' }, action));
    }));
    const n = sessions.length;
    $('session-count').textContent = n === 1 ? '1 session' : n + ' sessions';
    $('everywhere-text').textContent = n === 1
        ? 'Ends your only session, this one.'
        : 'Ends all ' + n + ' sessions, including this one.';
}

async function loadSessions() {
    const res = await api('GET', '/v1/auth/sessions');
    sessions = sortSessions((res && res.sessions) || []);
    renderSessions();
}

// --- actions -------------------------------------------------------------------------

async function revoke(session, device, button) {
    button.disabled = true;
    button.replaceChildren(spinner(), 'Revoking…');
    clearNotices();
    try {
        await api('DELETE', '/v1/auth/sessions/' + encodeURIComponent(session.id));
        sessions = sessions.filter((s) => s.id !== session.id);
        renderSessions();
        notify('ok', 'Session revoked', device.label + ' is signed out. Its next request will ask it to sign in again.');
        $('sessions-title').focus();
        await loadSessions();
    } catch (e) {
        notify('error', 'Could not revoke that session', e.message);
        await loadSessions().catch(() => {});
    }
}

// Two steps: the first click asks, the second one signs out everywhere.
function askSignOutAll() {
    const actions = $('everywhere-actions');
    const n = sessions.length;
    const confirm = h('button', { type: 'button', class: 'button danger solid', id: 'confirm-sign-out-all' },
        n === 1 ? 'Yes, sign out' : 'Yes, sign out all ' + n);
    const cancel = h('button', { type: 'button', class: 'button secondary' }, 'Cancel');
    confirm.addEventListener('click', () => signOutAll(confirm, cancel));
    cancel.addEventListener('click', () => {
        actions.replaceChildren(h('button', {
            id: 'sign-out-all', class: 'button danger', type: 'button', onclick: askSignOutAll,
        }, 'Sign out everywhere'));
        $('sign-out-all').focus();
    });
    actions.replaceChildren(h('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm signing out everywhere' },
        confirm, cancel));
    confirm.focus();
}

async function signOutAll(confirm, cancel) {
    confirm.disabled = true;
    cancel.disabled = true;
    confirm.replaceChildren(spinner(), 'Signing out…');
    try {
        await api('POST', '/v1/auth/sign-out-all');
        window.location.assign('/sign-in?signedOut=1');
    } catch (e) {
        confirm.disabled = false;
        cancel.disabled = false;
        confirm.textContent = 'Try again';
        notify('error', 'Could not sign out everywhere', e.message);
    }
}

// --- start ---------------------------------------------------------------------------

async function start() {
    const me = await api('GET', '/v1/auth/session');
    const user = me && me.user;
    markSignedIn();
    renderHeader(user);
    if (user) {
        $('subtitle').textContent = 'Signed in as ' + (user.name ? user.name + ' (@' + user.login + ')' : '@' + user.login) + '.';
    }
    await loadSessions();
    $('loading').hidden = true;
    $('content').hidden = false;
}

document.addEventListener('DOMContentLoaded', () => {
    $('sign-out-all').addEventListener('click', askSignOutAll);
    start().catch((e) => {
        $('loading').hidden = true;
        notify('error', 'Could not load your sessions', e.message);
    });
});
