// Rongrian as people meet it, in headless Chromium: a reporter files (JavaScript off, as in Tor
// Browser's safest mode), officers sign in with TOTP and work the case, a custodian decides on an
// identity request, the reporter follows up, an administrator exports the report and an auditor reads
// the trail. Every page and state (empty, with errors, done) is photographed at 390 px and 1366 px
// into target/browser/ (override with SHOTS_DIR), checked by axe-core with the WCAG 2.1 A and AA
// rules (any violation fails the walk) and measured: no page may be wider than a 390 px viewport.
// The forms are also walked with the keyboard alone. Run from the repository root after `cargo build`:
//   node tests/browser/walk.mjs        (BIN_UNDER_TEST picks another binary)
//   WALK_FULL=1 node tests/browser/walk.mjs   the long version: every page again in English, and the
//                                             general-complaint track filed as well
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

const root = resolve(new URL('../..', import.meta.url).pathname);
const bin = process.env.BIN_UNDER_TEST || join(root, 'target/debug/rongrian');
const shots = process.env.SHOTS_DIR || join(root, 'target/browser');
const full = process.env.WALK_FULL === '1';
mkdirSync(shots, { recursive: true });
const axeSource = readFileSync(join(root, 'tests/browser/node_modules/axe-core/axe.min.js'), 'utf8');
const problems = [];

function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}
function check(condition, message) {
  if (!condition) fail(message);
}

// RFC 6238 with SHA-1, 6 digits, 30 s: what authenticator apps compute.
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}
function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

async function freePort() {
  return new Promise((ok) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => ok(port));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'rongrian-walk-'));
const data = join(dir, 'data');
const escrow = join(dir, 'escrow.txt');
const port = await freePort();
const base = `http://localhost:${port}`;
const config = join(dir, 'walk.toml');
writeFileSync(
  config,
  `[server]\nlisten = "127.0.0.1:${port}"\npublic_base_url = "${base}"\n` +
    `[staff]\nargon2_memory_kib = 1024\nargon2_iterations = 1\n` +
    `[limits.browse]\nburst = 5000\nperiod_ms = 1\n[limits.login]\nburst = 100\nperiod_ms = 1\n` +
    `[limits.login_account]\nburst = 100\nperiod_ms = 1\n[limits.submit]\nburst = 50\nperiod_ms = 1\n`,
);
const cli = (...args) =>
  execFileSync(bin, ['--config', config, ...args], { encoding: 'utf8', env: { ...process.env, RONGRIAN_DATABASE_URL: '' } });
const field = (text, name) => (text.match(new RegExp(`${name}:\\s+(\\S+)`)) || [])[1];

cli('init', '--data-dir', data, '--escrow-identity-out', escrow);
// Not a terminal: the first administrator's credentials are in a 0600 file, not on stdout.
const init = readFileSync(join(data, 'first-administrator.txt'), 'utf8');
const admin = { username: 'admin', password: field(init, 'password'), totp: field(init, 'TOTP secret') };
const accounts = {};
for (const [username, name, role] of [
  ['somsri.k', 'สมศรี ขยันงาน', 'intake_officer'],
  ['palad.head', 'ประเสริฐ ใจซื่อ', 'identity_custodian'],
  ['auditor', 'วันดี ตรวจตรา', 'auditor'],
]) {
  const out = cli('users', 'add', '--data-dir', data, '--username', username, '--name', name, '--email', `${username}@example.go.th`, '--role', role);
  accounts[username] = { username, password: field(out, 'password'), totp: field(out, 'TOTP secret') };
}
accounts.admin = admin;

const server = spawn(bin, ['--config', config, 'serve', '--data-dir', data], {
  env: { ...process.env, RONGRIAN_DATABASE_URL: '' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/healthz`)).ok) break;
  } catch {}
  if (i > 200) fail('the service did not come up');
  await new Promise((r) => setTimeout(r, 50));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run'],
});
const checker = await (await browser.newContext({ bypassCSP: true, locale: 'th-TH' })).newPage();
let step = 0;
// axe runs in a separate page with scripts on (the walked pages may have JavaScript off, as Tor
// Browser's safest mode has, and the service's CSP forbids scripts anyway): the walked page's HTML is
// served again at its own address, so its stylesheet and fonts load as they did.
async function axeCheck(page, label) {
  const html = await page.content();
  const url = page.url().split('#')[0];
  const viewport = page.viewportSize();
  await checker.setViewportSize(viewport);
  await checker.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }), { times: 1 });
  await checker.goto(url);
  await checker.evaluate(axeSource);
  const violations = await checker.evaluate(() =>
    window.axe
      .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
      .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }))),
  );
  await checker.unroute(url);
  for (const v of violations) problems.push(`${label} (${viewport.width} px): axe ${v.id} [${v.impact}] at ${v.nodes.join(', ')}`);
}
// Photographs, measures and checks the page as it is now, at both widths.
async function shoot(page, name) {
  step += 1;
  const label = `${String(step).padStart(2, '0')}-${name}`;
  for (const width of [390, 1366]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(shots, `${label}-${width}.png`), fullPage: true });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width === 390 && wide > 390) problems.push(`${label}: ${wide} px wide at a 390 px viewport`);
    await axeCheck(page, label);
  }
}
// A keyboard-only walk: Tab from the top of the page; every control of the form is reached in order,
// each shows a focus ring, and the submit button is among them.
const walked = [];
async function keyboardWalk(page, formSelector, label) {
  walked.push(label);
  const expected = await page.$$eval(`${formSelector} input:not([type=hidden]), ${formSelector} select, ${formSelector} textarea, ${formSelector} button`, (els) =>
    els.filter((e) => !e.disabled && e.offsetParent !== null).map((e) => (e.type === 'radio' ? `radio:${e.name}` : e.id || e.name || e.textContent.trim())),
  );
  // Start from the top: focusing the body itself moves the browser's sequential-focus starting
  // point there (an earlier walk on the same page leaves it at that form's button).
  await page.evaluate(() => {
    document.body.setAttribute('tabindex', '-1');
    document.body.focus();
    document.body.removeAttribute('tabindex');
  });
  await page.keyboard.press('Tab');
  const seen = [];
  const trail = [];
  for (let i = 0; i < 600 && seen.length < 400; i++) {
    const info = await page.evaluate((sel) => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      const style = getComputedStyle(e);
      const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
      const inForm = !!e.closest(sel);
      return { key: e.type === 'radio' ? `radio:${e.name}` : e.id || e.name || e.textContent.trim(), ring, inForm, tag: e.tagName };
    }, formSelector);
    if (!info) break;
    trail.push(info.key);
    if (!info.ring) problems.push(`${label}: ${info.tag} ${info.key} has no visible focus ring`);
    if (info.inForm && seen[seen.length - 1] !== info.key) seen.push(info.key);
    if (info.inForm && info.tag === 'BUTTON' && info.key === expected[expected.length - 1]) break;
    await page.keyboard.press('Tab');
  }
  const wanted = [...new Set(expected)];
  const missing = wanted.filter((k) => !seen.includes(k));
  if (missing.length) problems.push(`${label}: the keyboard does not reach ${missing.join(', ')} (after ${trail.length} stops, the last ${trail.slice(-4).join(' → ')})`);
  const order = seen.filter((k) => wanted.includes(k));
  if (order.join('|') !== wanted.join('|')) problems.push(`${label}: keyboard order ${order.join(' → ')} differs from ${wanted.join(' → ')}`);
}
// The focused element's id once the page has loaded and run its autofocus (polled: a click returns
// when the navigation commits, before the new page's autofocus).
async function focusedId(page, want = 'error-summary') {
  await page.waitForLoadState('load');
  let id = null;
  for (let i = 0; i < 40; i++) {
    id = await page.evaluate(() => document.activeElement && document.activeElement.id);
    if (id === want) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return id;
}
async function context(javaScript = true) {
  return browser.newContext({ javaScriptEnabled: javaScript, locale: 'th-TH' });
}
// TOTP codes are single-use: wait for the next 30-second step when an account signs in twice.
const lastStep = {};
async function signIn(page, who) {
  const now = Math.floor(Date.now() / 30000);
  if (lastStep[who.username] === now) await new Promise((r) => setTimeout(r, (now + 1) * 30000 - Date.now() + 200));
  lastStep[who.username] = Math.floor(Date.now() / 30000);
  await page.goto(`${base}/staff/login`);
  await page.fill('#username', who.username);
  await page.fill('#password', who.password);
  await page.fill('#code', totp(who.totp));
  await page.click('button[type=submit]');
}
async function firstSignIn(page, who, shotName) {
  await signIn(page, who);
  check(page.url().endsWith('/staff/setup'), `${who.username} is sent to the first sign-in page (${page.url()})`);
  if (shotName) await keyboardWalk(page, 'form[action="/staff/setup"]', 'first sign-in form');
  const password = `${who.username}-ลำธารใสภูเขาสูง-2569`;
  await page.fill('#new', password);
  await page.fill('#repeat', password);
  await page.click('button[type=submit]');
  const secret = (await page.textContent("dd.token")).replace(/\s+/g, "");
  if (shotName) await shoot(page, shotName);
  Object.assign(who, { password, totp: secret });
  await signIn(page, who);
  check(page.url().endsWith('/staff'), `${who.username} signs in with the new password and secret`);
}

try {
  // The reporter, JavaScript off.
  const reporter = await (await context(false)).newPage();
  for (const [path, name] of [['/', 'home'], ['/privacy', 'privacy'], ['/statistics', 'statistics'], ['/manual', 'manual'], ['/protection', 'protection'], ['/follow-up', 'follow-up-form']]) {
    await reporter.goto(`${base}${path}`);
    await shoot(reporter, name);
  }
  await keyboardWalk(reporter, 'form[action="/follow-up"]', 'follow-up code form');
  await reporter.fill('#token', 'ABCD-EFGH');
  await reporter.click('button[type=submit]');
  check((await reporter.inputValue('#token')) === 'ABCD-EFGH', 'a wrong code comes back in the field, to correct');
  check((await reporter.getAttribute('#token', 'aria-invalid')) === 'true', 'the code field is marked');
  await shoot(reporter, 'follow-up-wrong-token');

  await reporter.goto(`${base}/report/corruption`);
  await shoot(reporter, 'corruption-form');
  await keyboardWalk(reporter, 'form.complaint', 'corruption form');
  // Spaces pass the browser's own required check; the service finds every problem at once.
  await reporter.fill('#subject', '   ');
  await reporter.fill('#description', '   ');
  await reporter.selectOption('#category', 'bribery');
  await reporter.check('input[name=relationship][value=victim]');
  await reporter.fill('#reporter_national_id', '1234567890123');
  await reporter.click('form.complaint button[type=submit]');
  check((await focusedId(reporter)) === 'error-summary', 'the error summary takes the focus');
  const summary = await reporter.$$eval('#error-summary a', (as) => as.map((a) => a.getAttribute('href')));
  check(summary.includes('#subject') && summary.includes('#reporter_national_id'), `the summary links the fields (${summary})`);
  check((await reporter.getAttribute('#subject', 'aria-invalid')) === 'true', 'the subject is marked invalid');
  check((await reporter.getAttribute('#subject', 'aria-describedby')).includes('subject-error'), 'the subject is linked to its message');
  check((await reporter.getAttribute('#reporter_national_id', 'inputmode')) === 'numeric', 'the ID field brings the numeric keypad');
  check((await reporter.getAttribute('#subject', 'maxlength')) === '200', 'the subject has a maxlength');
  await shoot(reporter, 'form-errors');
  await reporter.click('#error-summary a[href="#subject"]');
  check((await focusedId(reporter, 'subject')) === 'subject', 'a summary link moves to its field');
  await reporter.fill('#subject', 'เรียกรับเงินค่าอนุญาตก่อสร้าง');
  await reporter.fill('#description', 'เจ้าหน้าที่กองช่างเรียกรับเงิน 5,000 บาท เพื่อเร่งออกใบอนุญาตก่อสร้างบ้านเลขที่ 12 หมู่ 3');
  await reporter.fill('#event_place', 'ที่ทำการ อบต. ชั้น 1');
  await reporter.fill('#reporter_name', 'วิไลวรรณ ทองประเสริฐ');
  await reporter.fill('#reporter_national_id', '');
  await reporter.fill('#reporter_phone', '0812345678');
  await reporter.setInputFiles('#file', join(root, 'tests/fixtures/evidence/gps.jpg'));
  await shoot(reporter, 'form-filled');
  await reporter.click('form.complaint button[type=submit]');
  const token = (await reporter.textContent('.token')).trim();
  const reference = (await reporter.textContent('.ref')).trim();
  check(/^\d{4}-\d{4}$/.test(reference), `a reference on the receipt (${reference})`);
  check((await reporter.textContent('body')).includes('gps.jpg'), 'the receipt names the attached photo');
  await shoot(reporter, 'receipt');
  // A general complaint as well (the long version also photographs its states).
  await reporter.goto(`${base}/report/general`);
  await keyboardWalk(reporter, 'form.complaint', 'general form');
  if (full) await shoot(reporter, 'general-form');
  await reporter.selectOption('#category', { index: 1 });
  await reporter.fill('#subject', 'ไฟฟ้าส่องสว่างดับทั้งซอย');
  await reporter.fill('#description', 'ไฟถนนหมู่ 5 ซอย 2 ดับมาสองสัปดาห์');
  await reporter.check('input[name=relationship] >> nth=0');
  await reporter.click('form.complaint button[type=submit]');
  check(/^\d{4}-\d{4}$/.test((await reporter.textContent('.ref')).trim()), 'a general complaint is filed');
  if (full) await shoot(reporter, 'general-receipt');

  // Officers set up their accounts; units and the custody key are granted with the escrow key.
  const officer = await (await context()).newPage();
  await officer.goto(`${base}/staff/login`);
  await shoot(officer, 'staff-login');
  await firstSignIn(officer, accounts['somsri.k'], 'first-sign-in');
  cli('users', 'grant', '--data-dir', data, '--username', 'somsri.k', '--unit', 'palad', '--escrow-identity', escrow);
  const custodian = await (await context()).newPage();
  await firstSignIn(custodian, accounts['palad.head']);
  await custodian.goto(`${base}/staff/identity`);
  await shoot(custodian, 'custodian-without-key');
  cli('users', 'grant-custody', '--data-dir', data, '--username', 'palad.head', '--escrow-identity', escrow);

  await officer.goto(`${base}/staff`);
  check((await officer.textContent('body')).includes(reference), 'the case is in the list');
  const menu = await officer.$$eval('nav.staff-nav a', (as) => as.map((a) => a.getAttribute('href')));
  check(!menu.includes('/staff/admin/users') && !menu.includes('/staff/audit'), `the intake officer's menu has no admin pages (${menu})`);
  for (const href of menu) {
    const r = await officer.request.get(new URL(href, base).href);
    check(r.ok(), `menu link ${href} opens for the intake officer (${r.status()})`);
  }
  await shoot(officer, 'case-list');
  await keyboardWalk(officer, 'form[action="/staff"]', 'case list filters');
  await officer.goto(`${base}/staff/cases/new`);
  await shoot(officer, 'register-form');
  await keyboardWalk(officer, 'form.complaint', 'registration form');
  await officer.selectOption('#track', 'general');
  await officer.selectOption('#channel', { index: 1 });
  await officer.fill('#received_on', '2500-01-01');
  await officer.selectOption('#category', { index: 1 });
  await officer.fill('#subject', 'หนังสือร้องเรียนเรื่องถนน');
  await officer.fill('#description', 'ถนนหมู่ 2 ชำรุด');
  await officer.selectOption('#relationship', { index: 1 });
  await officer.click('form.complaint button[type=submit]');
  check((await focusedId(officer)) === 'error-summary', 'the registration errors take the focus');
  check((await officer.inputValue('#subject')) === 'หนังสือร้องเรียนเรื่องถนน', 'the typed subject is kept');
  await shoot(officer, 'register-errors');
  await officer.goto(`${base}/staff/units`);
  await shoot(officer, 'units');
  await keyboardWalk(officer, 'form[action="/staff/units"]', 'unit grant form');
  // The password form: a mistake is said by its field, and the summary takes the focus.
  await officer.goto(`${base}/staff/password`);
  await keyboardWalk(officer, 'form[action="/staff/password"]', 'password form');
  await officer.fill('#current', 'not-the-password');
  await officer.fill('#new', 'นกเขาขันเช้า-ริมน้ำโขง-2569');
  await officer.fill('#repeat', 'นกเขาขันเช้า-ริมน้ำโขง-2570');
  await officer.click('form[action="/staff/password"] button[type=submit]');
  check((await focusedId(officer)) === 'error-summary', 'the password errors take the focus');
  check((await officer.getAttribute('#repeat', 'aria-invalid')) === 'true', 'the repeated password is marked');
  check((await officer.textContent('#repeat-error')).includes('ไม่ตรงกัน'), 'said next to the field');
  await shoot(officer, 'password-errors');

  await officer.goto(`${base}/staff/cases/${reference}`);
  check((await officer.textContent('#files')).includes('gps.jpg'), 'the officer sees the photo');
  const photo = await officer.request.get(new URL(await officer.getAttribute('#files a', 'href'), base).href);
  check(photo.ok() && (await photo.body())[0] === 0xff, 'the photo downloads, decrypted');
  check((await officer.textContent('body')).includes('ผู้แจ้งเบาะแส'), 'the corruption-track reporter is ผู้แจ้งเบาะแส');
  await shoot(officer, 'case');
  for (const action of ['status', 'messages', 'identity-request', 'files', 'measures']) {
    await keyboardWalk(officer, `form[action$="/${action}"]`, `case ${action} form`);
  }
  // A form left open past its token's life: a staff page says nothing was done and keeps the text.
  await officer.evaluate(() => {
    document.querySelector('form[action$="/messages"] input[name=authenticity_token]').value = 'stale';
  });
  await officer.fill('#message', 'ข้อความที่พิมพ์ไว้ก่อนแบบฟอร์มหมดอายุ');
  await officer.click('form[action$="/messages"] button[type=submit]');
  check((await officer.textContent('h1')).includes('แบบฟอร์มหมดอายุ'), 'the expired form says so');
  check((await officer.inputValue('textarea[readonly]')) === 'ข้อความที่พิมพ์ไว้ก่อนแบบฟอร์มหมดอายุ', 'the typed message is shown back');
  check((await officer.$$('nav.staff-nav')).length === 1, 'with the staff menu');
  await shoot(officer, 'staff-form-expired');
  await officer.goto(`${base}/staff/cases/${reference}`);
  // Concluding with no outcome comes back on the same page, the choice and the note kept.
  await officer.check('input[name=action][value=not_accept]');
  await officer.fill('#note', 'บันทึกที่พิมพ์ไว้');
  await officer.click('form[action*="/status"] button[type=submit]');
  check((await officer.textContent('#reason-error')).includes('กรุณาเลือก'), 'no reason chosen: said next to the list');
  check((await officer.inputValue('#note')) === 'บันทึกที่พิมพ์ไว้', 'the note is kept');
  check((await focusedId(officer)) === 'error-summary', 'the error summary takes the focus');
  await shoot(officer, 'status-error');
  await officer.goto(`${base}/staff/cases/${reference}`);
  await officer.check('input[name=action][value=acknowledge]');
  await officer.click('form[action*="/status"] button[type=submit]');
  await officer.fill('#message', 'ขอทราบวันและเวลาที่เกิดเหตุโดยประมาณ');
  await officer.click('form[action*="/messages"] button[type=submit]');
  // Spaces pass the browser's own check; the service still wants a reason.
  await officer.fill('#identity_reason', '   ');
  await officer.click('form[action*="/identity-request"] button[type=submit]');
  check((await officer.textContent('#identity')).includes('กรุณาระบุเหตุผล'), 'a request needs a reason');
  await shoot(officer, 'identity-request-error');
  await officer.fill('#identity_reason', 'ต้องนัดผู้แจ้งเพื่อให้ถ้อยคำเพิ่มเติม');
  await officer.click('form[action*="/identity-request"] button[type=submit]');
  await shoot(officer, 'identity-requested');
  // Hand-over asks first, and a cancel keeps the case.
  await officer.selectOption('#unit', 'works');
  await officer.click('form[action*="/unit"] button[type=submit]');
  check((await officer.textContent('#handover-confirm')).includes('กองช่าง'), 'the hand-over names the unit and asks');
  await shoot(officer, 'handover-confirm');
  await officer.click('#handover-confirm a');
  check(page_ok(await officer.textContent('h1'), reference), 'cancelled: the case is still open to the unit');

  await custodian.goto(`${base}/staff/identity`);
  check((await custodian.textContent('body')).includes('ต้องนัดผู้แจ้ง'), 'the custodian reads the reason');
  await shoot(custodian, 'custodian-requests');
  await keyboardWalk(custodian, 'form[action="/staff/identity/decide"]', 'custody decision form');
  await custodian.fill('textarea[name=note]', 'จำเป็นต่อการสอบข้อเท็จจริง');
  await custodian.click('button[name=decision][value=approve]');
  await shoot(custodian, 'custodian-approved');
  for (const action of ['open', 'grant']) {
    const sel = `form[action="/staff/identity/${action}"]`;
    if (await custodian.$(sel)) await keyboardWalk(custodian, sel, `custody ${action} form`);
  }

  await officer.goto(`${base}/staff/cases/${reference}`);
  await officer.click(`a[href="/staff/cases/${reference}/identity"]`);
  check((await officer.textContent('body')).includes('วิไลวรรณ'), 'the approved officer sees the identity');
  await shoot(officer, 'identity-shown');

  // The reporter follows up with the token alone.
  await reporter.goto(`${base}/follow-up`);
  await reporter.fill('input[name=token]', token.toLowerCase().replaceAll('-', ' '));
  await reporter.click('button[type=submit]');
  const view = await reporter.textContent('body');
  check(view.includes('ขอทราบวันและเวลา'), "the reporter reads the officer's message");
  check(view.includes('เรื่องที่ท่านแจ้ง'), 'the reporter reads back what they filed');
  check(view.includes('เจ้าหน้าที่ผู้รับผิดชอบเรื่องทราบข้อมูลตัวตนของท่าน'), 'the reporter is told the identity was disclosed');
  await shoot(reporter, 'follow-up');
  await keyboardWalk(reporter, 'form[action="/follow-up/message"]', 'follow-up message form');
  await keyboardWalk(reporter, 'form[action="/follow-up/files"]', 'follow-up file form');
  await reporter.fill('#message', '   ');
  await reporter.click('form[action="/follow-up/message"] button[type=submit]');
  check((await reporter.getAttribute('#message', 'aria-invalid')) === 'true', 'an empty answer is marked');
  await shoot(reporter, 'follow-up-message-error');
  await reporter.fill('#message', 'เกิดเหตุประมาณวันที่ 3 มีนาคม เวลาบ่าย');
  await reporter.click('form[action="/follow-up/message"] button[type=submit]');
  await shoot(reporter, 'follow-up-answered');
  // A reload sends the same form again: the one-time nonce keeps it from being stored twice.
  await reporter.reload();
  check((await reporter.textContent('body')).includes('ข้อความนี้ส่งไปแล้ว'), 'a reload does not send the message again');
  const answers = (await reporter.textContent('ol.messages')).split('เกิดเหตุประมาณวันที่ 3 มีนาคม').length - 1;
  check(answers === 1, `the answer is stored once (${answers})`);

  // The administrator adds an account, exports the report; the auditor reads the trail.
  const boss = await (await context()).newPage();
  await firstSignIn(boss, admin);
  await boss.goto(`${base}/staff/admin/users`);
  await keyboardWalk(boss, '#add-account', 'add-account form');
  // A user name in Thai and no role: the same form comes back, messages by the fields, input kept.
  await boss.fill('#username', 'อนุชา');
  await boss.fill('#display_name', 'อนุชา ช่างดี');
  await boss.click('#add-account button[type=submit]');
  check((await focusedId(boss)) === 'error-summary', 'the account errors take the focus');
  check((await boss.textContent('#role-error')).includes('กรุณาเลือก'), 'no role: said next to the roles');
  check((await boss.inputValue('#display_name')) === 'อนุชา ช่างดี', 'the typed name is kept');
  await shoot(boss, 'account-errors');
  await boss.fill('#username', 'kongchang.a');
  await boss.fill('#display_name', 'อนุชา ช่างดี');
  await boss.check('input[name=role][value=unit_officer]');
  await boss.click('#add-account button[type=submit]');
  check((await boss.$$('.qr svg')).length === 1, 'the new account shows its TOTP secret as a QR code');
  await shoot(boss, 'account-added');
  await boss.goto(`${base}/staff/admin/users`);
  check((await boss.$$('form.inline[action="/staff/admin/users"]')).length > 0, 'the accounts have their row actions');
  await keyboardWalk(boss, 'form.inline[action="/staff/admin/users"]', 'account row actions');
  for (const [path, name, form] of [['/staff/admin/reports', 'reports', 'form[action="/staff/admin/reports/download"]'], ['/staff/admin/measures', 'measures', 'form[action="/staff/admin/measures"][accept-charset]'], ['/staff/admin/outbox', 'outbox', null]]) {
    await boss.goto(`${base}${path}`);
    await shoot(boss, name);
    if (form) await keyboardWalk(boss, form, `${name} form`);
    if (name === 'measures' && (await boss.$('form.inline[action="/staff/admin/measures"]'))) {
      await keyboardWalk(boss, 'form.inline[action="/staff/admin/measures"]', 'measure delete buttons');
    }
  }
  for (const format of ['html', 'docx', 'xlsx', 'csv', 'json']) {
    const r = await boss.request.get(`${base}/staff/admin/reports/download?fy=2569&section=protection&format=${format}`);
    check(r.ok(), `the report downloads as ${format}`);
  }
  // The same pages in English, the second language: axe and the width check on each.
  const visitor = await (await context(false)).newPage();
  await visitor.goto(`${base}/lang/en?back=/`);
  check((await visitor.getAttribute('html', 'lang')) === 'en', 'the language switch gives English pages');
  for (const [path, name] of [['/', 'en-home'], ['/report/corruption', 'en-corruption-form'], ['/report/general', 'en-general-form'], ['/follow-up', 'en-follow-up-form'], ['/privacy', 'en-privacy'], ['/statistics', 'en-statistics'], ['/manual', 'en-manual'], ['/protection', 'en-protection']]) {
    await visitor.goto(`${base}${path}`);
    await shoot(visitor, name);
  }
  await visitor.goto(`${base}/report/corruption`);
  await visitor.fill('#subject', '   ');
  await visitor.fill('#description', '   ');
  await visitor.selectOption('#category', 'bribery');
  await visitor.check('input[name=relationship][value=victim]');
  await visitor.click('form.complaint button[type=submit]');
  await shoot(visitor, 'en-form-errors');
  await visitor.goto(`${base}/follow-up`);
  await visitor.fill('input[name=token]', token);
  await visitor.click('button[type=submit]');
  await shoot(visitor, 'en-follow-up');
  await boss.goto(`${base}/lang/en?back=/`);
  for (const [path, name] of [['/staff/admin/users', 'en-users'], ['/staff/admin/reports', 'en-reports'], ['/staff/admin/measures', 'en-measures'], ['/staff/password', 'en-password']]) {
    await boss.goto(`${base}${path}`);
    await shoot(boss, name);
  }
  await boss.goto(`${base}/lang/th?back=/`);

  const audit = await (await context()).newPage();
  await firstSignIn(audit, accounts.auditor);
  await audit.goto(`${base}/staff/audit`);
  check((await audit.textContent('body')).includes('identity.approved'), 'the auditor sees the approval');
  await shoot(audit, 'audit-trail');
  await keyboardWalk(audit, 'form[action="/staff/audit"]', 'audit filters');
  await audit.goto(`${base}/staff/audit?verify=1`);
  check((await audit.textContent('body')).includes('ห่วงโซ่สมบูรณ์'), 'the chain is intact');
  await shoot(audit, 'audit-verified');

  // Keyboard alone: an officer signs in without the mouse.
  await officer.context().clearCookies();
  const k = accounts['somsri.k'];
  await new Promise((r) => setTimeout(r, (Math.floor(Date.now() / 30000) + 1) * 30000 - Date.now() + 200));
  await officer.goto(`${base}/staff/login`);
  await keyboardWalk(officer, 'form[action="/staff/login"]', 'sign-in form');
  await officer.focus('#username');
  await officer.keyboard.type(k.username);
  await officer.keyboard.press('Tab');
  await officer.keyboard.type(k.password);
  await officer.keyboard.press('Tab');
  await officer.keyboard.type(totp(k.totp));
  await officer.keyboard.press('Enter');
  await officer.waitForURL(`${base}/staff`);

  if (problems.length) fail(`${problems.length} accessibility or layout problems:\n  ${problems.join('\n  ')}`);
  console.log(`keyboard walks (${walked.length}): ${walked.join('; ')}`);
  console.log(`walk passed: ${step} steps photographed at 390 and 1366 px in ${shots}, axe-core WCAG 2.1 A/AA clean, none wider than 390 px`);
} finally {
  if (problems.length) console.error(problems.join('\n'));
  await browser.close();
  server.kill('SIGTERM');
}

function page_ok(heading, reference) {
  return heading.includes(reference);
}
