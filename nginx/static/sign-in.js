// The sign-in page: a readable message for ?authError=<code> (the service
// sends failed sign-ins here), for ?reason=session_ended (a page found its
// session gone) and ?signedOut=1; and the ?returnTo= it was given, carried
// on to /v1/auth/github/start.
'use strict';

// Every code the service may send (PRODUCT.md §4, README "authError codes").
const AUTH_ERRORS = {
    access_denied: ['Sign-in cancelled',
        'GitHub reports that access was not granted. Sign in again whenever you are ready.'],
    invalid_state: ['This sign-in link is not valid',
        'It may have been changed or copied from somewhere else. Start again from this page.'],
    state_expired: ['The sign-in took too long',
        'For your security a sign-in must be finished within a few minutes. Start again.'],
    state_used: ['This sign-in was already used',
        'Each sign-in works once. Start again, or open the app if you are already signed in.'],
    browser_mismatch: ['Sign-in was started in another browser',
        'Finish signing in in the browser where you started, or start again here.'],
    code_rejected: ['GitHub did not accept the sign-in',
        'The authorization from GitHub was refused. Start again.'],
    github_error: ['GitHub could not complete the sign-in',
        'GitHub answered with an error. Try again in a moment.'],
    github_timeout: ['GitHub did not answer in time',
        'GitHub is slow to respond right now. Try again in a moment.'],
    // The text gets the wait from ?retryAfter= (rateLimitedText).
    github_rate_limited: ['GitHub is limiting requests',
        'GitHub is limiting requests; try again later.'],
    service_unavailable: ['Foundry Auth is temporarily unavailable',
        'Nothing is wrong with your account. Try again in a minute.'],
    server_error: ['Something went wrong on our side',
        'Try again. If it keeps happening, contact your administrator.'],
    // Sent by nginx when every sign-in worker is busy (issue 15).
    service_busy: ['Sign-in is busy right now',
        'Many people are signing in at once. Nothing was lost; try again in a few seconds.'],
};

const UNKNOWN_ERROR = ['Sign-in failed', 'Something went wrong while signing in. Please try again.'];

function show(kind, title, text) {
    const box = document.getElementById('notice');
    box.classList.add(kind);
    // An error is announced at once; information politely.
    box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    // textContent, never innerHTML: the code comes from the address bar.
    document.getElementById('notice-title').textContent = title;
    document.getElementById('notice-text').textContent = text;
    box.hidden = false;
}

// ?retryAfter= is seconds (digits only, at most a day, as the service
// caps it); anything else is ignored rather than shown.
function retryAfterSeconds(value) {
    if (typeof value !== 'string' || !/^[0-9]{1,6}$/.test(value)) return null;
    const seconds = Number(value);
    return seconds >= 1 && seconds <= 86400 ? seconds : null;
}

function rateLimitedText(seconds) {
    if (seconds === null) return AUTH_ERRORS.github_rate_limited[1];
    const minutes = Math.ceil(seconds / 60);
    const wait = seconds < 60 ? 'less than a minute'
        : minutes === 1 ? 'about 1 minute' : 'about ' + minutes + ' minutes';
    return 'GitHub is limiting requests; try again in ' + wait + '.';
}

// Only a local path: the service checks returnTo again, this just avoids
// carrying an obviously foreign one along.
function safeReturnTo(value) {
    if (typeof value !== 'string' || value.length > 2048) return null;
    if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null;
    return value;
}

document.addEventListener('DOMContentLoaded', () => {
    const params = new URLSearchParams(window.location.search);
    const code = params.get('authError');
    if (code !== null) {
        let [title, text] = Object.prototype.hasOwnProperty.call(AUTH_ERRORS, code)
            ? AUTH_ERRORS[code]
            : UNKNOWN_ERROR;
        if (code === 'github_rate_limited') text = rateLimitedText(retryAfterSeconds(params.get('retryAfter')));
        show('error', title, text);
        document.title = 'Sign-in failed · Foundry Auth';
    } else if (params.get('reason') === 'session_ended') {
        show('info', 'Your session has ended',
            'It was signed out, revoked or has expired. Sign in again to continue.');
    } else if (params.get('signedOut') === '1') {
        show('ok', 'You are signed out', 'Sign in again to continue to Foundry.');
    }

    const returnTo = safeReturnTo(params.get('returnTo'));
    if (returnTo !== null) {
        document.getElementById('sign-in').href =
            '/v1/auth/github/start?returnTo=' + encodeURIComponent(returnTo);
        if (returnTo !== '/app') {
            document.getElementById('return-to-path').textContent = returnTo;
            document.getElementById('return-to').hidden = false;
        }
    }
});
