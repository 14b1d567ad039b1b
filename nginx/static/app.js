// Renders /v1/app/snapshot (the FoundryAppSnapshot) and signs out.
'use strict';

function $(id) {
    return document.getElementById(id);
}

function showError(message) {
    $('error').textContent = message;
    $('error').hidden = false;
}

function render(snapshot) {
    const signedIn = snapshot.auth && snapshot.auth.status === 'signed_in';
    $('status').hidden = true;
    $('signed-out').hidden = signedIn;
    $('signed-in').hidden = !signedIn;
    if (!signedIn) {
        return;
    }
    const user = (snapshot.users || []).find((u) => u.id === snapshot.auth.currentUserId) || {};
    $('name').textContent = user.name || user.login || 'Signed in';
    $('login').textContent = user.login ? '@' + user.login : '';
    $('email').textContent = user.email || '—';
    $('user-id').textContent = snapshot.auth.currentUserId;
    const orgs = (snapshot.organizations || []).map((o) => o.login);
    $('organizations').textContent = orgs.length ? orgs.join(', ') : '—';
    $('expires').textContent = snapshot.auth.expiresAt
        ? new Date(snapshot.auth.expiresAt).toLocaleString()
        : '—';
    if (user.avatarUrl) {
        const img = $('avatar');
        img.addEventListener('error', () => { img.hidden = true; });
        img.src = user.avatarUrl;
        img.hidden = false;
    }
}

async function load() {
    try {
        const res = await fetch('/v1/app/snapshot', {
            credentials: 'same-origin',
            headers: { Accept: 'application/json' },
        });
        const body = await res.json();
        if (!res.ok) {
            throw new Error(body.message || 'HTTP ' + res.status);
        }
        render(body);
    } catch (e) {
        $('status').hidden = true;
        showError('Could not load your session: ' + e.message);
    }
}

async function signOut() {
    const button = $('sign-out');
    button.disabled = true;
    try {
        const res = await fetch('/v1/auth/sign-out', {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: '{}',
        });
        if (!res.ok) {
            const body = await res.json().catch(() => ({}));
            throw new Error(body.message || 'HTTP ' + res.status);
        }
        window.location.assign('/sign-in');
    } catch (e) {
        button.disabled = false;
        showError('Sign-out failed: ' + e.message);
    }
}

document.addEventListener('DOMContentLoaded', () => {
    $('sign-out').addEventListener('click', signOut);
    load();
});
