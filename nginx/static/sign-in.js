// Shows a readable message for ?authError=<code> (set by the service when a
// sign-in fails) and keeps a ?returnTo= the page was given.
'use strict';

const AUTH_ERRORS = {
    access_denied: 'GitHub sign-in was cancelled.',
    invalid_state: 'This sign-in link is not valid. Please start again.',
    state_expired: 'The sign-in took too long. Please start again.',
    state_used: 'This sign-in was already used. Please start again.',
    browser_mismatch: 'The sign-in was started in another browser or tab. Please start again here.',
    code_rejected: 'GitHub did not accept the sign-in. Please start again.',
    github_timeout: 'GitHub did not answer in time. Please try again.',
    github_error: 'GitHub could not complete the sign-in. Please try again.',
    service_unavailable: 'The service is temporarily unavailable. Please try again shortly.',
    server_error: 'Something went wrong on our side. Please try again.',
};

document.addEventListener('DOMContentLoaded', () => {
    const params = new URLSearchParams(window.location.search);
    const code = params.get('authError');
    if (code !== null) {
        const box = document.getElementById('auth-error');
        // textContent, never innerHTML: the code comes from the address bar.
        box.textContent = Object.prototype.hasOwnProperty.call(AUTH_ERRORS, code)
            ? AUTH_ERRORS[code]
            : 'Sign-in failed. Please try again.';
        box.hidden = false;
    }
    const returnTo = params.get('returnTo');
    if (returnTo !== null && returnTo.startsWith('/') && !returnTo.startsWith('//')) {
        // The service validates returnTo again; this only carries it along.
        document.getElementById('sign-in').href =
            '/v1/auth/github/start?returnTo=' + encodeURIComponent(returnTo);
    }
});
