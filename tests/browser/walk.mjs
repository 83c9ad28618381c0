// Rongrian as people meet it, in headless Chromium: a reporter files (JavaScript off, as in Tor
// Browser's safest mode), officers sign in with TOTP and work the case, a custodian decides on an
// identity request, the reporter follows up, an administrator exports the report and an auditor reads
// the trail. Every step is photographed at 390 px and 1366 px into target/browser/ (override with
// SHOTS_DIR). Run from the repository root after `cargo build`:
//   node tests/browser/walk.mjs        (RONGRIAN_BIN picks another binary)
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

const root = resolve(new URL('../..', import.meta.url).pathname);
const bin = process.env.RONGRIAN_BIN || join(root, 'target/debug/rongrian');
const shots = process.env.SHOTS_DIR || join(root, 'target/browser');
mkdirSync(shots, { recursive: true });

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
let step = 0;
async function shoot(page, name) {
  step += 1;
  const label = `${String(step).padStart(2, '0')}-${name}`;
  for (const width of [390, 1366]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(shots, `${label}-${width}.png`), fullPage: true });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width === 390 && wide > 390) console.warn(`WARN ${label}: ${wide} px wide at a 390 px viewport`);
  }
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
  const password = `${who.username}-ลำธารใสภูเขาสูง-2569`;
  await page.fill('#new', password);
  await page.fill('#repeat', password);
  await page.click('button[type=submit]');
  const secret = (await page.textContent('dd.token')).trim();
  if (shotName) await shoot(page, shotName);
  Object.assign(who, { password, totp: secret });
  await signIn(page, who);
  check(page.url().endsWith('/staff'), `${who.username} signs in with the new password and secret`);
}

try {
  // The reporter, JavaScript off.
  const reporter = await (await context(false)).newPage();
  await reporter.goto(`${base}/`);
  await shoot(reporter, 'home');
  await reporter.goto(`${base}/report/corruption`);
  await reporter.selectOption('#category', 'bribery');
  await reporter.fill('#subject', 'เรียกรับเงินค่าอนุญาตก่อสร้าง');
  await reporter.fill('#description', 'เจ้าหน้าที่กองช่างเรียกรับเงิน 5,000 บาท เพื่อเร่งออกใบอนุญาตก่อสร้างบ้านเลขที่ 12 หมู่ 3');
  await reporter.fill('#event_place', 'ที่ทำการ อบต. ชั้น 1');
  await reporter.check('input[name=relationship][value=victim]');
  await reporter.fill('#reporter_name', 'วิไลวรรณ ทองประเสริฐ');
  await reporter.fill('#reporter_national_id', '1234567890123');
  await reporter.click('button[type=submit]');
  check((await reporter.textContent('body')).includes('เลขประจำตัวประชาชน'), 'a wrong national ID comes back marked');
  check((await reporter.inputValue('#subject')).includes('เรียกรับเงิน'), 'the typed text is kept');
  await shoot(reporter, 'form-errors');
  await reporter.fill('#reporter_national_id', '');
  await reporter.fill('#reporter_phone', '0812345678');
  await reporter.setInputFiles('#file', join(root, 'tests/fixtures/evidence/gps.jpg'));
  await shoot(reporter, 'form-filled');
  await reporter.click('button[type=submit]');
  const token = (await reporter.textContent('.token')).trim();
  const reference = (await reporter.textContent('.ref')).trim();
  check(/^\d{4}-\d{4}$/.test(reference), `a reference on the receipt (${reference})`);
  check((await reporter.textContent('body')).includes('gps.jpg'), 'the receipt names the attached photo');
  await shoot(reporter, 'receipt');

  // Officers set up their accounts; units and the custody key are granted with the escrow key.
  const officer = await (await context()).newPage();
  await firstSignIn(officer, accounts['somsri.k'], 'first-sign-in');
  cli('users', 'grant', '--data-dir', data, '--username', 'somsri.k', '--unit', 'palad', '--escrow-identity', escrow);
  const custodian = await (await context()).newPage();
  await firstSignIn(custodian, accounts['palad.head']);
  cli('users', 'grant-custody', '--data-dir', data, '--username', 'palad.head', '--escrow-identity', escrow);

  await officer.goto(`${base}/staff`);
  check((await officer.textContent('body')).includes(reference), 'the case is in the list');
  await shoot(officer, 'case-list');
  await officer.click(`a[href="/staff/cases/${reference}"]`);
  check((await officer.textContent('#files')).includes('gps.jpg'), 'the officer sees the photo');
  const photo = await officer.request.get(new URL(await officer.getAttribute('#files a', 'href'), base).href);
  check(photo.ok() && (await photo.body())[0] === 0xff, 'the photo downloads, decrypted');
  await shoot(officer, 'case');
  await officer.check('input[name=action][value=acknowledge]');
  await officer.click('form[action$="/status"] button[type=submit]');
  await officer.fill('#message', 'ขอทราบวันและเวลาที่เกิดเหตุโดยประมาณ');
  await officer.click('form[action$="/messages"] button[type=submit]');
  // Spaces pass the browser's own check; the service still wants a reason.
  await officer.fill('#identity_reason', '   ');
  await officer.click('form[action$="/identity-request"] button[type=submit]');
  check((await officer.textContent('#identity')).includes('กรุณาระบุเหตุผล'), 'a request needs a reason');
  await shoot(officer, 'identity-request-error');
  await officer.fill('#identity_reason', 'ต้องนัดผู้แจ้งเพื่อให้ถ้อยคำเพิ่มเติม');
  await officer.click('form[action$="/identity-request"] button[type=submit]');
  await shoot(officer, 'identity-requested');

  await custodian.goto(`${base}/staff/identity`);
  check((await custodian.textContent('body')).includes('ต้องนัดผู้แจ้ง'), 'the custodian reads the reason');
  await shoot(custodian, 'custodian-requests');
  await custodian.fill('textarea[name=note]', 'จำเป็นต่อการสอบข้อเท็จจริง');
  await custodian.click('button[name=decision][value=approve]');
  await shoot(custodian, 'custodian-approved');

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
  await reporter.fill('#message', 'เกิดเหตุประมาณวันที่ 3 มีนาคม เวลาบ่าย');
  await reporter.click('form[action="/follow-up/message"] button[type=submit]');
  await shoot(reporter, 'follow-up-answered');

  // The administrator exports the report; the auditor reads the trail.
  const boss = await (await context()).newPage();
  await firstSignIn(boss, admin);
  await boss.goto(`${base}/staff/admin/reports`);
  await shoot(boss, 'reports');
  for (const format of ['html', 'docx', 'xlsx', 'csv', 'json']) {
    const r = await boss.request.get(`${base}/staff/admin/reports/download?fy=2569&section=protection&format=${format}`);
    check(r.ok(), `the report downloads as ${format}`);
  }
  const audit = await (await context()).newPage();
  await firstSignIn(audit, accounts.auditor);
  await audit.goto(`${base}/staff/audit`);
  check((await audit.textContent('body')).includes('identity.approved'), 'the auditor sees the approval');
  await shoot(audit, 'audit-trail');
  await audit.goto(`${base}/staff/audit?verify=1`);
  check((await audit.textContent('body')).includes('ห่วงโซ่สมบูรณ์'), 'the chain is intact');
  console.log(`walk passed: ${step} steps photographed in ${shots}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
