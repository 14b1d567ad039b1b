#!/usr/bin/env node
'use strict';
// GitHub emulator for Foundry Auth tests: github.com OAuth endpoints and the
// api.github.com endpoints the service calls, with GitHub's quirks and a
// test-only control API under /_emulator/. Node standard library only.
//
//   node tests/github-emulator/emulator.js [--port N] [--host H]
//        [--fixtures FILE] [--client-id ID] [--client-secret S]
//        [--callback-url URL] [--auto-approve] [--log FILE] [--public-url URL]
//
// Prints "github-emulator listening on http://HOST:PORT" when ready.

const path = require('node:path');
const { Emulator } = require('./lib/server');

const USAGE = `usage: emulator.js [--port N] [--host 127.0.0.1] [--fixtures FILE]
  [--client-id ID] [--client-secret SECRET] [--callback-url URL]
  [--auto-approve] [--log FILE] [--public-url URL]
Environment equivalents: GITHUB_EMULATOR_PORT, GITHUB_EMULATOR_HOST,
  GITHUB_EMULATOR_FIXTURES, GITHUB_EMULATOR_CLIENT_ID, GITHUB_EMULATOR_CLIENT_SECRET,
  GITHUB_EMULATOR_CALLBACK_URL, GITHUB_EMULATOR_AUTO_APPROVE=1, GITHUB_EMULATOR_LOG,
  GITHUB_EMULATOR_PUBLIC_URL (command-line options win).`;

function die(msg) {
  process.stderr.write(`github-emulator: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv, env) {
  const e = (k) => env[`GITHUB_EMULATOR_${k}`];
  const o = {
    port: e('PORT') || '0',
    host: e('HOST') || '127.0.0.1',
    fixtures: e('FIXTURES') || path.join(__dirname, 'fixtures.json'),
    clientId: e('CLIENT_ID') || 'foundry-dev-client-id',
    clientSecret: e('CLIENT_SECRET') || 'foundry-dev-client-secret',
    callbackUrl: e('CALLBACK_URL') || null,
    autoApprove: ['1', 'true', 'yes'].includes(String(e('AUTO_APPROVE') || '').toLowerCase()),
    log: e('LOG') || null,
    publicUrl: e('PUBLIC_URL') || null,
  };
  const valued = {
    '--port': 'port', '--host': 'host', '--fixtures': 'fixtures', '--client-id': 'clientId',
    '--client-secret': 'clientSecret', '--callback-url': 'callbackUrl', '--log': 'log', '--public-url': 'publicUrl',
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (a === '--auto-approve') o.autoApprove = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (valued[a]) {
      if (v === undefined) {
        if (i + 1 >= argv.length) die(`${a} needs a value`);
        v = argv[++i];
      }
      o[valued[a]] = v;
    } else die(`unknown option ${a}`);
  }
  if (!/^\d{1,5}$/.test(String(o.port)) || Number(o.port) > 65535) die('--port must be 0..65535');
  o.port = Number(o.port);
  if (!o.clientId || !o.clientSecret) die('client id and secret must not be empty');
  for (const k of ['callbackUrl', 'publicUrl']) {
    if (o[k]) {
      try {
        const u = new URL(o[k]);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      } catch {
        die(`${k === 'callbackUrl' ? '--callback-url' : '--public-url'} must be an http(s) URL`);
      }
    }
  }
  return o;
}

async function main() {
  const options = parseArgs(process.argv.slice(2), process.env);
  let emu;
  try {
    emu = new Emulator(options);
  } catch (e) {
    process.stderr.write(`github-emulator: ${e.message}\n`);
    process.exit(1);
  }
  try {
    await emu.listen();
  } catch (e) {
    process.stderr.write(`github-emulator: cannot listen on ${options.host}:${options.port}: ${e.message}\n`);
    process.exit(1);
  }
  if (!options.callbackUrl) {
    process.stderr.write('github-emulator: no --callback-url: any http(s) redirect_uri is accepted\n');
  }
  process.stdout.write(`github-emulator listening on ${emu.origin}\n`);
  const stop = () => emu.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Stay up whatever a request does; a test harness expects a live emulator.
  process.on('uncaughtException', (e) => process.stderr.write(`github-emulator: uncaught: ${e && e.stack}\n`));
}

if (require.main === module) main();

module.exports = { parseArgs };
