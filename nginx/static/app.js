// /app: renders GET /v1/app/snapshot (docs/snapshot.md) and its actions:
// switch the session's organization, ask for a sync, star or skip the
// starter repository. While the organization sync is pending or running the
// snapshot is polled, so the list fills in without a reload.
import {
    $, h, icon, spinner, api, goToSignIn, markSignedIn, notify, clearNotices, avatar, currentUser,
    formatRelative, formatDateTime, renderHeader,
} from '/common.js';

const POLL_MS = 2000;

let snapshot = null;
let pollTimer = null;
let busy = false; // one mutation at a time keeps the rendered state honest

function orgLabel(org) {
    return org.name || org.login;
}

function syncState() {
    return (snapshot.sync && snapshot.sync.organizations) || { status: null, updatedAt: null, error: null };
}

function syncing() {
    const s = syncState().status;
    return s === 'pending' || s === 'running';
}

// --- loading -----------------------------------------------------------------------

// refresh(): fetches the snapshot and redraws. A signed-out answer means
// there is no session (any more): to sign-in.
async function refresh() {
    const next = await api('GET', '/v1/app/snapshot');
    if (!next || !next.auth || next.auth.status !== 'signed_in') {
        goToSignIn();
        return false;
    }
    markSignedIn();
    snapshot = next;
    render();
    schedulePoll();
    return true;
}

function schedulePoll() {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (!syncing()) return;
    pollTimer = setTimeout(async () => {
        pollTimer = null;
        if (busy) {
            schedulePoll();
            return;
        }
        try {
            await refresh();
        } catch (e) {
            // A missed poll is not worth an alarm; try again shortly.
            pollTimer = setTimeout(() => refresh().catch(() => {}), POLL_MS * 2);
        }
    }, POLL_MS);
}

// --- rendering ---------------------------------------------------------------------

function render() {
    const user = currentUser(snapshot);
    renderHeader(user);
    renderIntro(user);
    renderOnboarding();
    renderSync();
    renderOrganizations();
    renderProfile(user);
    renderSession();
    $('loading').hidden = true;
    $('content').hidden = false;
}

function renderIntro(user) {
    const first = user && user.name ? user.name.split(/\s+/)[0] : user ? user.login : '';
    $('greeting').textContent = first ? 'Welcome back, ' + first : 'Welcome back';
    $('subtitle').textContent = user ? 'Signed in with GitHub as @' + user.login + '.' : '';
}

function renderOnboarding() {
    const box = $('onboarding');
    const starter = snapshot.onboarding && snapshot.onboarding.starterRepo;
    if (!starter || !starter.repo) {
        box.hidden = true;
        return;
    }
    const repo = h('code', null, starter.repo);
    const star = () => h('button', { type: 'button', class: 'button', id: 'star-repo', onclick: onStar },
        icon('star'), 'Star on GitHub');
    let content;
    if (starter.status === 'starred') {
        box.classList.add('done');
        content = [
            h('span', { class: 'icon' }, icon('check')),
            h('div', { class: 'text' },
                h('h2', { id: 'onboarding-title' }, 'You starred ', repo),
                h('p', null, 'Starred ' + formatRelative(starter.starredAt) + '. It is in your GitHub stars whenever you need it.')),
        ];
    } else if (starter.status === 'skipped') {
        box.classList.add('done');
        content = [
            h('span', { class: 'icon' }, icon('star')),
            h('div', { class: 'text' },
                h('h2', { id: 'onboarding-title' }, 'Starter repository skipped'),
                h('p', null, 'You can still star ', repo.cloneNode(true), ' on GitHub at any time.')),
            h('div', { class: 'actions' }, star()),
        ];
    } else {
        box.classList.remove('done');
        content = [
            h('span', { class: 'icon' }, icon('star')),
            h('div', { class: 'text' },
                h('h2', { id: 'onboarding-title' }, 'Get started: star ', repo),
                h('p', null, 'The starter repository is a ready-made project to build on. Starring it keeps it one click away on GitHub.')),
            h('div', { class: 'actions' },
                star(),
                h('button', { type: 'button', class: 'button secondary', id: 'skip-repo', onclick: onSkip }, 'Skip for now')),
        ];
    }
    box.replaceChildren(...content);
    box.hidden = false;
}

function renderSync() {
    const { status, updatedAt, error } = syncState();
    const el = $('sync-status');
    el.className = 'sync-status ' + (status || 'none');
    if (status === 'pending' || status === 'running') {
        el.replaceChildren(spinner(), error ? 'Retrying sync…' : 'Syncing with GitHub…');
    } else if (status === 'done') {
        el.replaceChildren(h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Synced ' + formatRelative(updatedAt));
    } else if (status === 'failed') {
        el.replaceChildren(icon('alert'), 'Sync failed');
    } else {
        el.replaceChildren('Not synced yet');
    }

    const err = $('sync-error');
    if (error && (status === 'failed' || status === 'pending')) {
        err.replaceChildren(icon('alert'), h('div', null,
            h('strong', null, status === 'failed' ? 'GitHub organizations could not be loaded' : 'The last try did not work'),
            h('p', null, error),
            status === 'failed'
                ? h('p', null, 'If you removed Foundry’s access on GitHub, sign out and sign in again.')
                : null));
        err.hidden = false;
    } else {
        err.hidden = true;
    }

    const button = $('sync-now');
    button.replaceChildren(icon('refresh'), 'Sync now');
    button.disabled = syncing() || busy;
}

function renderOrganizations() {
    const list = $('org-list');
    const active = snapshot.activeOrganizationId;
    const items = (snapshot.organizations || []).map((org) => {
        const isActive = org.id === active;
        const personal = org.kind === 'personal';
        const label = orgLabel(org);
        const action = isActive
            ? h('span', { class: 'badge ok' }, icon('check'), 'Active')
            : h('button', {
                type: 'button',
                class: 'button secondary small',
                'data-org-id': org.id,
                onclick: () => onSelect(org),
            }, 'Switch', h('span', { class: 'sr-only' }, ' to ' + label));
        return h('li', {
            class: isActive ? 'active' : null,
            'aria-current': isActive ? 'true' : null,
            'data-org-id': org.id,
            tabindex: '-1',
        },
        avatar(org.avatarUrl, label, org.id, null, !personal),
        h('div', { class: 'org-text' },
            h('div', { class: 'org-name' }, h('span', null, label),
                personal ? h('span', { class: 'badge' }, 'Personal') : null),
            h('div', { class: 'org-login' }, org.name || personal ? '@' + org.login : 'GitHub organization')),
        h('div', { class: 'org-action' }, action));
    });
    list.replaceChildren(...items);

    const hint = $('org-hint');
    const onlyPersonal = (snapshot.organizations || []).every((o) => o.kind === 'personal');
    if (onlyPersonal && syncing()) {
        hint.textContent = 'Looking for your organizations on GitHub…';
        hint.hidden = false;
    } else if (onlyPersonal && syncState().status === 'done') {
        hint.textContent = 'No GitHub organizations found. If you expected some, an organization owner may need to grant Foundry access.';
        hint.hidden = false;
    } else {
        hint.hidden = true;
    }
}

function renderProfile(user) {
    if (!user) return;
    $('profile-avatar').replaceChildren(avatar(user.avatarUrl, user.name || user.login, user.id, 'lg'));
    $('profile-name').textContent = user.name || user.login;
    $('profile-login').textContent = '@' + user.login;
    $('profile-email').textContent = user.email || 'Not shared';
    $('profile-role').replaceChildren(user.roleLabel
        ? h('span', { class: 'badge brand' }, user.roleLabel)
        : h('span', { class: 'muted' }, 'Member'));
    $('profile-id').textContent = user.id;
}

function renderSession() {
    const active = (snapshot.organizations || []).find((o) => o.id === snapshot.activeOrganizationId);
    $('session-org').replaceChildren(active ? orgLabel(active) : h('span', { class: 'muted' }, 'None chosen'));
    $('session-expires').textContent = formatDateTime(snapshot.auth.expiresAt);
}

// --- actions -------------------------------------------------------------------------

// run(button, pendingText, work): disables the page's actions while `work`
// runs, shows progress on the button, reports failures in the notice area.
async function run(button, pendingText, work) {
    if (busy) return;
    busy = true;
    const before = Array.from(button.childNodes);
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.replaceChildren(spinner(), pendingText);
    document.querySelectorAll('#content button').forEach((b) => { b.disabled = true; });
    try {
        clearNotices();
        await work();
    } catch (e) {
        if (button.isConnected) button.replaceChildren(...before);
        notify('error', e.title || 'That did not work', e.message);
    } finally {
        busy = false;
        button.removeAttribute('aria-busy');
        document.querySelectorAll('#content button').forEach((b) => { b.disabled = false; });
        $('sync-now').disabled = syncing();
    }
}

function onSelect(org) {
    const button = document.querySelector('button[data-org-id="' + CSS.escape(org.id) + '"]');
    run(button, 'Switching…', async () => {
        try {
            const res = await api('POST', '/v1/app/organizations/select', { organizationId: org.id });
            snapshot.activeOrganizationId = res && res.activeOrganizationId ? res.activeOrganizationId : org.id;
        } catch (e) {
            if (e.code === 'organization_not_eligible') {
                e.title = 'You can no longer use ' + orgLabel(org);
                await refresh().catch(() => {});
            }
            throw e;
        }
        render();
        notify('ok', 'Now working in ' + orgLabel(org), 'This session uses ' + orgLabel(org) + ' until you switch again.');
        const li = document.querySelector('#org-list li[data-org-id="' + CSS.escape(org.id) + '"]');
        if (li) li.focus();
    });
}

function onSync() {
    run($('sync-now'), 'Asking…', async () => {
        await api('POST', '/v1/app/organizations/sync');
        snapshot.sync.organizations.status = 'pending';
        render();
        schedulePoll();
    });
}

function afterOnboarding(res, message) {
    if (res && res.starterRepo) snapshot.onboarding.starterRepo = res.starterRepo;
    render();
    notify('ok', message[0], message[1]);
    const box = $('onboarding');
    box.setAttribute('tabindex', '-1');
    box.focus();
}

function onStar(event) {
    const repo = snapshot.onboarding.starterRepo.repo;
    run(event.currentTarget, 'Starring…', async () => {
        let res;
        try {
            res = await api('POST', '/v1/app/onboarding/starter-repo/star');
        } catch (e) {
            if (e.code === 'github_failed') e.title = 'GitHub did not star ' + repo;
            throw e;
        }
        afterOnboarding(res, ['Starred ' + repo, 'Thanks! You will find it in your GitHub stars.']);
    });
}

function onSkip(event) {
    const repo = snapshot.onboarding.starterRepo.repo;
    run(event.currentTarget, 'Skipping…', async () => {
        const res = await api('POST', '/v1/app/onboarding/starter-repo/skip');
        afterOnboarding(res, ['Skipped for now', 'You can star ' + repo + ' from here later.']);
    });
}

// --- start -----------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
    $('sync-now').addEventListener('click', onSync);
    refresh().catch((e) => {
        $('loading').hidden = true;
        notify('error', 'Could not load your workspace', e.message);
    });
    // Coming back to the tab: show what changed meanwhile (a session revoked
    // elsewhere sends this page to sign-in).
    document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible' && snapshot && !busy) refresh().catch(() => {});
    });
});
