'use strict';
// Foundry Auth in a real browser: Debian's chromium, driven by playwright-core,
// against the test environment of scripts/test (nginx + service + jobs +
// GitHub emulator). One user's whole day: sign in through the consent page,
// switch organization, star the starter repository, revoke this browser's
// session from a second one, sign out, sign out everywhere, and sign in
// again when an old sign-in asks for a max_auth_age token. Screenshots of
// every page at desktop and phone widths go to FA_SCREENSHOT_DIR.
//
// Environment: FA_TEST_URL (nginx), FA_TEST_EMULATOR_URL (the emulator's
// control API), FA_TEST_DATABASE_URL (psql, to age a sign-in), optional
// FA_SCREENSHOT_DIR, FA_CHROMIUM (default
// /usr/bin/chromium), FA_DOCS_SCREENSHOTS=1 (refresh docs/screenshots/).
// A missing browser or playwright-core is a failure, never a skip.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const BASE = process.env.FA_TEST_URL;
const EMULATOR = process.env.FA_TEST_EMULATOR_URL;
const CHROMIUM = process.env.FA_CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.FA_SCREENSHOT_DIR || path.join(__dirname, 'screenshots');
const DOCS_SHOTS = path.join(__dirname, '..', '..', 'docs', 'screenshots');
const STARTER_REPO = 'foundry-dev/starter'; // FOUNDRY_STARTER_REPO of scripts/test

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const LAUNCH_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

let playwright = null;
let playwrightError = null;
try {
    playwright = require('playwright-core');
} catch (e) {
    playwrightError = e;
}

// --- the emulated GitHub ---------------------------------------------------------

async function emulator(method, route, body) {
    const res = await fetch(EMULATOR + '/_emulator/' + route, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json().catch(() => null);
    assert.equal(res.status, 200, `emulator ${method} ${route}: HTTP ${res.status} ${JSON.stringify(data)}`);
    return data;
}

function svgData(svg) {
    return 'data:image/svg+xml;base64,' + Buffer.from(svg).toString('base64');
}

// Avatars as data: URLs: the pages' CSP allows https: and data: images, and
// the emulator's own avatar URLs are plain http on another port.
function personAvatar(from, to) {
    return svgData('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">' +
        `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${from}"/>` +
        `<stop offset="1" stop-color="${to}"/></linearGradient></defs><rect width="64" height="64" fill="url(#g)"/>` +
        '<circle cx="32" cy="25" r="11" fill="#fff" fill-opacity=".92"/>' +
        '<path d="M11 64c1-13 10-20 21-20s20 7 21 20z" fill="#fff" fill-opacity=".92"/></svg>');
}

function orgAvatar(colour, shape) {
    return svgData('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">' +
        `<rect width="64" height="64" fill="${colour}"/><path d="${shape}" fill="#fff" fill-opacity=".9"/></svg>`);
}

// Our own user and organizations (fresh ids every run), so nothing an
// earlier suite did to the shared database or emulator shows up here.
const RUN = Date.now() % 1000000;
const ORGS = [
    { id: 4100000001, login: 'northwind-studio', name: 'Northwind Studio',
      avatar_url: orgAvatar('#0f766e', 'M16 46V18h6l20 18V18h6v28h-6L22 28v18z') },
    { id: 4100000002, login: 'lumen-robotics', name: 'Lumen Robotics',
      avatar_url: orgAvatar('#b45309', 'M32 12l18 10v20L32 52 14 42V22z') },
    { id: 4100000003, login: 'tidepool-data', name: 'Tidepool Data',
      avatar_url: orgAvatar('#4338ca', 'M10 38c8-8 14-8 22 0s14 8 22 0v8c-8 8-14 8-22 0s-14-8-22 0z M10 24c8-8 14-8 22 0s14 8 22 0v8c-8 8-14 8-22 0s-14-8-22 0z') },
];
const USER = {
    id: 7100000000 + RUN,
    login: 'robin-hale',
    name: 'Robin Hale',
    email: 'robin@foundry.example',
    emails: [{ email: 'robin@foundry.example', primary: true, verified: true, visibility: 'public' }],
    orgIds: ORGS.map((o) => o.id),
    avatar_url: personAvatar('#f59e0b', '#db2777'),
};

// --- browser helpers -------------------------------------------------------------

async function screenshot(page, name, viewports = [DESKTOP, PHONE]) {
    const before = page.viewportSize();
    for (const vp of viewports) {
        const label = vp === PHONE ? 'phone' : 'desktop';
        await page.setViewportSize(vp);
        // Let layout settle and images decode at the new size.
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        await page.screenshot({ path: path.join(SHOTS, `${name}-${label}.png`), fullPage: true });
    }
    await page.setViewportSize(before);
}

// Every page's uncaught exceptions, so a broken script fails the test
// instead of leaving a half-drawn page.
function watch(page, errors) {
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
}

async function newContext(browser, errors) {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId: 'UTC' });
    context.setDefaultTimeout(15000);
    context.setDefaultNavigationTimeout(20000);
    const page = await context.newPage();
    watch(page, errors);
    return { context, page };
}

// What the page's own cookies say about the session, asked from inside it.
async function sessionStatus(page) {
    return page.evaluate(async () => (await fetch('/v1/auth/session', { credentials: 'same-origin' })).status);
}

function pathOf(page) {
    const u = new URL(page.url());
    return u.origin === BASE ? u.pathname : u.origin + u.pathname;
}

// On the sign-in page: click Sign in, authorize on the consent page when the
// emulator shows one, and wait to be back on `landing`.
async function signIn(page, landing, { consent }) {
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    if (consent) {
        await page.waitForURL((u) => u.origin === EMULATOR);
        await page.locator('#js-oauth-authorize').waitFor();
        assert.equal(await page.locator('#login').textContent(), USER.login);
        await page.screenshot({ path: path.join(SHOTS, 'github-consent-desktop.png'), fullPage: true });
        await page.locator('#js-oauth-authorize').click();
    }
    await page.waitForURL(BASE + landing);
}

// --- the test ----------------------------------------------------------------------

test('Foundry Auth in Chromium: sign in, organizations, starter repo, sessions, sign out', async (t) => {
    // Prerequisites fail loudly: this suite must never pass by not running.
    assert.ok(BASE, 'FA_TEST_URL is not set (run through scripts/test)');
    assert.ok(EMULATOR, 'FA_TEST_EMULATOR_URL is not set (run through scripts/test)');
    assert.equal(playwrightError, null,
        `playwright-core is not installed (npm ci in tests/browser): ${playwrightError && playwrightError.message}`);
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium)`);
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const f of fs.readdirSync(SHOTS)) {
        if (f.endsWith('.png')) fs.rmSync(path.join(SHOTS, f));
    }

    // Faults an earlier suite left armed would break this one.
    await fetch(EMULATOR + '/_emulator/faults', { method: 'DELETE' });
    const saved = (await emulator('GET', 'config')).config;

    let browser = null;
    const errors = [];
    let failed = false;
    // Steps depend on each other: after a failure the rest fail at once
    // (with the cause named) rather than time out one by one.
    const step = (name, fn) => t.test(name, async () => {
        if (failed) throw new Error('an earlier step failed');
        try {
            await fn();
        } catch (e) {
            failed = true;
            throw e;
        }
    });

    let a; // the first browser
    let b; // the second browser, same user
    try {
        // The consent page is part of the flow; starring needs public_repo,
        // which scripts/test's GITHUB_SCOPES does not ask for.
        await emulator('POST', 'config', { autoApprove: false, enforceScopes: false });
        for (const org of ORGS) await emulator('POST', 'orgs', org);
        await emulator('POST', 'users', USER);
        await emulator('POST', 'default-user', { login: USER.login });
        browser = await playwright.chromium.launch({
            executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS,
        });
        a = await newContext(browser, errors);
        b = await newContext(browser, errors);

        await step('the sign-in page explains every authError code and keeps returnTo', async () => {
            const { page } = a;
            const codes = ['access_denied', 'invalid_state', 'state_expired', 'state_used', 'browser_mismatch',
                'code_rejected', 'github_error', 'github_timeout', 'github_rate_limited', 'service_unavailable',
                'server_error', 'service_busy'];
            const titles = new Set();
            for (const code of codes) {
                await page.goto(`${BASE}/sign-in?authError=${code}`);
                const notice = page.getByRole('alert');
                await notice.waitFor();
                const title = await page.locator('#notice-title').textContent();
                assert.notEqual(title, 'Sign-in failed', `no specific message for ${code}`);
                titles.add(title);
                if (code === 'state_expired') await screenshot(page, 'sign-in-error', [DESKTOP]);
            }
            assert.equal(titles.size, codes.length, 'every code has its own message');

            // Issue 12: the wait GitHub asked for, in minutes; a bogus value is not shown.
            await page.goto(`${BASE}/sign-in?authError=github_rate_limited&retryAfter=3540`);
            await page.getByRole('alert').waitFor();
            assert.equal(await page.locator('#notice-text').textContent(),
                'GitHub is limiting requests; try again in about 59 minutes.');
            await page.goto(`${BASE}/sign-in?authError=github_rate_limited&retryAfter=%3Cb%3E1`);
            await page.getByRole('alert').waitFor();
            assert.equal(await page.locator('#notice-text').textContent(),
                'GitHub is limiting requests; try again later.');

            await page.goto(`${BASE}/sign-in?returnTo=${encodeURIComponent('/account?tab=1')}`);
            const href = await page.getByRole('link', { name: 'Sign in with GitHub' }).getAttribute('href');
            assert.equal(href, '/v1/auth/github/start?returnTo=' + encodeURIComponent('/account?tab=1'));
            await page.goto(`${BASE}/sign-in?returnTo=${encodeURIComponent('//evil.example/')}`);
            assert.equal(await page.getByRole('link', { name: 'Sign in with GitHub' }).getAttribute('href'),
                '/v1/auth/github/start?returnTo=%2Fapp');
        });

        await step('a signed-out visit to /app goes to sign-in; consent on GitHub brings it back signed in', async () => {
            const { page } = a;
            await page.goto(`${BASE}/app`);
            await page.waitForURL(`${BASE}/sign-in?returnTo=%2Fapp`);
            await page.getByRole('heading', { name: 'Sign in' }).waitFor();
            await screenshot(page, 'sign-in');
            await signIn(page, '/app', { consent: true });
            await page.getByRole('heading', { name: 'Welcome back, Robin' }).waitFor();
            assert.equal(await page.locator('#profile-name').textContent(), USER.name);
            assert.equal(await page.locator('#profile-login').textContent(), '@' + USER.login);
            assert.equal(await page.locator('#profile-email').textContent(), USER.email);
            assert.equal(await sessionStatus(page), 200);
        });

        await step('the organization sync finishes on screen without a reload', async () => {
            const { page } = a;
            // Polled by the page itself: the jobs process fills the list in.
            await page.locator('#sync-status', { hasText: /^Synced/ }).waitFor({ timeout: 30000 });
            for (const org of ORGS) {
                await page.locator(`#org-list li[data-org-id="${org.id}"]`).waitFor();
            }
            const personal = page.locator(`#org-list li[data-org-id="${USER.id}"]`);
            assert.match(await personal.textContent(), /Personal/);
        });

        await step('switching organization marks the new one active, and it stays after a reload', async () => {
            const { page } = a;
            const org = ORGS[1];
            await page.getByRole('button', { name: `Switch to ${org.login}` }).click();
            const row = page.locator(`#org-list li[data-org-id="${org.id}"]`);
            await page.locator(`#org-list li[data-org-id="${org.id}"][aria-current="true"]`).waitFor();
            assert.match(await row.textContent(), /Active/);
            await page.getByRole('status').filter({ hasText: `Now working in ${org.login}` }).waitFor();
            const snap = await page.evaluate(async () => (await fetch('/v1/app/snapshot')).json());
            assert.equal(snap.activeOrganizationId, String(org.id));

            await page.reload();
            await page.locator(`#org-list li[data-org-id="${org.id}"][aria-current="true"]`).waitFor();
            assert.equal(await page.locator('#session-org').textContent(), org.login);
            await page.locator('#sync-status', { hasText: /^Synced/ }).waitFor();
            await screenshot(page, 'app');
        });

        await step('starring the starter repository stars it on GitHub', async () => {
            const { page } = a;
            await page.getByRole('heading', { name: `Get started: star ${STARTER_REPO}` }).waitFor();
            await page.getByRole('button', { name: 'Star on GitHub' }).click();
            await page.getByRole('heading', { name: `You starred ${STARTER_REPO}` }).waitFor();
            const { stars } = await emulator('GET', 'stars');
            assert.ok(stars.some((s) => s.userId === USER.id && s.repo.toLowerCase() === STARTER_REPO),
                `the emulator has no star of ${STARTER_REPO} by ${USER.login}: ${JSON.stringify(stars)}`);
            await screenshot(page, 'app-starred', [DESKTOP]);
        });

        await step('a second browser signs in (no consent the second time) and lists both sessions', async () => {
            const { page } = b;
            await page.goto(`${BASE}/account`);
            await page.waitForURL(`${BASE}/sign-in?returnTo=%2Faccount`);
            assert.equal(await page.locator('#return-to-path').textContent(), '/account');
            await signIn(page, '/account', { consent: false });
            const rows = page.locator('#session-list > li');
            await rows.nth(1).waitFor();
            assert.equal(await rows.count(), 2);
            assert.equal(await page.locator('#session-list > li.current').count(), 1);
            assert.match(await page.locator('#session-list > li.current').textContent(), /This browser/);
            assert.match(await rows.first().textContent(), /Chrome \d+ on Linux/);
            assert.match(await page.locator('#subtitle').textContent(), /Robin Hale \(@robin-hale\)/);
            await screenshot(page, 'account');
        });

        await step('revoking the first browser\'s session sends it to sign-in on its next action', async () => {
            const { page } = b;
            const other = page.locator('#session-list > li:not(.current)');
            await other.getByRole('button', { name: /^Revoke/ }).click();
            await page.getByRole('status').filter({ hasText: 'Session revoked' }).waitFor();
            await page.locator('#session-list > li').nth(1).waitFor({ state: 'detached' });
            assert.equal(await page.locator('#session-list > li').count(), 1);

            const first = a.page;
            assert.equal(await sessionStatus(first), 401);
            await first.getByRole('button', { name: 'Sync now' }).click();
            await first.waitForURL(`${BASE}/sign-in?returnTo=%2Fapp&reason=session_ended`);
            await first.getByRole('status').filter({ hasText: 'Your session has ended' }).waitFor();
            await screenshot(first, 'sign-in-session-ended', [DESKTOP]);
        });

        await step('sign out everywhere ends every session of the user', async () => {
            const first = a.page;
            await signIn(first, '/app', { consent: false });
            await first.getByRole('heading', { name: 'Welcome back, Robin' }).waitFor();

            const { page } = b;
            await page.reload();
            await page.locator('#session-list > li').nth(1).waitFor();
            await page.getByRole('button', { name: 'Sign out everywhere' }).click();
            const confirm = page.getByRole('button', { name: 'Yes, sign out all 2' });
            assert.equal(await confirm.evaluate((el) => el === document.activeElement), true,
                'focus moves to the confirmation');
            await confirm.click();
            await page.waitForURL(`${BASE}/sign-in?signedOut=1`);
            assert.equal(await sessionStatus(page), 401);
            assert.equal(await sessionStatus(first), 401);
            await first.getByRole('link', { name: 'Account' }).click();
            await first.waitForURL(/\/sign-in\?returnTo=%2Faccount/);
        });

        await step('sign out ends this browser\'s session', async () => {
            const { page } = a;
            await signIn(page, '/account', { consent: false });
            await page.locator('#session-list > li.current').waitFor();
            await page.getByRole('link', { name: 'Overview' }).click();
            await page.waitForURL(`${BASE}/app`);
            await page.getByRole('heading', { name: 'Welcome back, Robin' }).waitFor();
            await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
            await page.waitForURL(`${BASE}/sign-in?signedOut=1`);
            await page.getByRole('status').filter({ hasText: 'You are signed out' }).waitFor();
            assert.equal(await sessionStatus(page), 401);
            await page.goto(`${BASE}/app`);
            await page.waitForURL(`${BASE}/sign-in?returnTo=%2Fapp`);
        });

        await step('an old sign-in asked for a max_auth_age token goes through GitHub again', async () => {
            // Issue 12: fresh.test has max_auth_age=60 in scripts/test. The
            // shared api() helper follows signInUrl; the new sign-in is a new
            // session that gets the token, and lands on the returnTo it gave.
            const { page } = a;
            await signIn(page, '/app', { consent: false });
            const sessionId = () => page.evaluate(async () => (await (await fetch('/v1/auth/session')).json()).session.id);
            const before = await sessionId();
            execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', process.env.FA_TEST_DATABASE_URL, '-c',
                `UPDATE sessions SET auth_time = now() - interval '2 hours' WHERE user_id = ${USER.id}`]);
            const askToken = () => page.evaluate(async () => (await fetch('/v1/auth/token', {
                method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ audience: 'fresh.test' }),
            })).status);
            assert.equal(await askToken(), 401);
            // Not awaited inside: api() never settles, the page navigates away.
            await page.evaluate(() => {
                import('/common.js').then((m) => m.api('POST', '/v1/auth/token', { audience: 'fresh.test', returnTo: '/account' }));
            });
            await page.waitForURL(`${BASE}/account`);
            await page.locator('#session-list > li.current').waitFor();
            assert.notEqual(await sessionId(), before, 'signing in again must make a new session');
            assert.equal(await askToken(), 200);
        });

        await step('no page threw a script error', async () => {
            assert.deepEqual(errors, []);
        });
    } catch (e) {
        failed = true;
        throw e;
    } finally {
        if (failed) {
            for (const [name, ctx] of [['a', a], ['b', b]]) {
                if (!ctx) continue;
                const file = path.join(SHOTS, `failure-${name}.png`);
                await ctx.page.screenshot({ path: file, fullPage: true }).catch(() => {});
                t.diagnostic(`browser ${name} was at ${pathOf(ctx.page)} (screenshot ${file})`);
            }
            for (const e of errors) t.diagnostic(`page error: ${e}`);
        }
        if (browser) await browser.close();
        await emulator('POST', 'config', { autoApprove: saved.autoApprove, enforceScopes: saved.enforceScopes });
        await emulator('POST', 'default-user', { login: null });
    }

    // The README shows these two; refresh them on request (or when missing)
    // so an ordinary test run leaves the work tree alone.
    const refresh = process.env.FA_DOCS_SCREENSHOTS === '1';
    fs.mkdirSync(DOCS_SHOTS, { recursive: true });
    for (const name of ['sign-in-desktop.png', 'app-desktop.png']) {
        const target = path.join(DOCS_SHOTS, name);
        if (refresh || !fs.existsSync(target)) fs.copyFileSync(path.join(SHOTS, name), target);
    }
});
