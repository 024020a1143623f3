#!/usr/bin/env node
/**
 * End-to-end suite: the packaged extension in a real VS Code (code-server),
 * driven through headless Chromium like a person would. Two sessions, each a
 * fresh code-server with its own user settings:
 *   host     a fixture Grace host with three SMMUv3 (grace-3smmu),
 *   no-host  a machine without class/iommu (vm-no-iommu).
 * Each step saves a screenshot to test-results/e2e/; a failing step also
 * saves one and prints the end of code-server's and the extension's logs.
 * The last line is "N passed, N failed"; the exit status is 1 on any failure.
 *
 * Environment: E2E_OPTIONAL=1 turns "cannot run here" (setup missing) into a
 * skip with exit 0; E2E_VSIX=file uses a built .vsix instead of packaging;
 * E2E_TIMEOUT_MS bounds every wait (default 60000); E2E_ONLY=substring runs
 * the steps whose name contains it; E2E_KEEP=1 keeps the temporary directory;
 * E2E_UPDATE_IMAGES=1 copies the README's screenshots to docs/images/ after
 * a run where every step passed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE_SERVER_ENTRY, killAllNow, languageServerPids, startCodeServer } from './lib/codeServer.mjs';
import { Workbench } from './lib/workbench.mjs';
import * as oracle from './lib/oracle.mjs';
import { steps } from './steps.mjs';

const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(E2E_DIR);
const OUT = path.join(REPO, 'test-results', 'e2e');
const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS) > 0 ? Number(process.env.E2E_TIMEOUT_MS) : 60_000;
const STAMP = path.join(E2E_DIR, 'node_modules', '.e2e-setup-stamp');
/**
 * The connection of the Libvirt Domains view: virsh's test driver
 * (libvirt-clients) over a copy of the fixture node in the run's temporary
 * directory (the driver wants an absolute path; it only reads the file).
 */
let LIBVIRT_URI = '';

/** Screenshots the README shows (test-results/e2e name → docs/images name). */
const README_IMAGES = {
  'host-01-problems': 'e2e-problems.png',
  'host-04-complete-smmu-names': 'e2e-complete-smmu-names.png',
  'host-05-hover-smmuv3': 'e2e-hover-smmuv3.png',
  'host-05b-hover-memory': 'e2e-hover-memory.png',
  'host-05c-complete-disk-source': 'e2e-complete-disk.png',
  'host-06-quick-fix-menu': 'e2e-quick-fix.png',
  'host-08-topology-view': 'e2e-topology-view.png',
  'host-09a-libvirt-domain-open': 'e2e-libvirt-domains.png',
  'no-host-02-topology-view': 'e2e-no-host.png',
};

/** The sessions: which fixture host each one's user settings point at. */
const SESSIONS = [
  { name: 'host', host: 'grace-3smmu' },
  { name: 'no-host', host: 'vm-no-iommu' },
];

function skipOrFail(reason) {
  if (process.env.E2E_OPTIONAL === '1') {
    console.log(`e2e: SKIPPED: ${reason}`);
    process.exit(0);
  }
  console.error(`e2e: cannot run: ${reason} (run e2e/setup.sh; set E2E_OPTIONAL=1 to skip instead of failing)`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

/** Checks the setup is complete before spending minutes on packaging. */
function checkPrerequisites() {
  if (!existsSync(STAMP) || !existsSync(CODE_SERVER_ENTRY)) skipOrFail('code-server is not installed in e2e/node_modules');
  if (!existsSync(CHROMIUM)) skipOrFail(`no Chromium at ${CHROMIUM}`);
}

/** The .vsix to test: E2E_VSIX, or a fresh `npm run package` of this tree. */
function packageExtension() {
  if (process.env.E2E_VSIX) return path.resolve(process.env.E2E_VSIX);
  const t0 = Date.now();
  const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  if (r.status !== 0) throw new Error(`npm run package failed:\n${r.stdout}\n${r.stderr}`);
  const vsix = path.join(REPO, 'libvirt-domain-xml.vsix');
  console.log(`e2e: packaged ${path.basename(vsix)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return vsix;
}

function buildFixtureHosts(dir) {
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'make-host-fixtures.mjs'), dir, ...new Set(SESSIONS.map((s) => s.host))], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`make-host-fixtures failed: ${r.stderr}`);
}

/** A copy of examples/*.xml to edit freely (quick fixes are saved). */
function makeWorkspace(dir) {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(path.join(REPO, 'examples')).filter((f) => f.endsWith('.xml'))) {
    copyFileSync(path.join(REPO, 'examples', f), path.join(dir, f));
  }
}

async function main() {
  checkPrerequisites();
  const only = process.env.E2E_ONLY;
  const selected = steps.filter((s) => !only || s.name.includes(only));
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });

  const { chromium } = await import('playwright-core');
  const vsix = packageExtension();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ldx-e2e-'));
  const hostsDir = path.join(tmp, 'sysfs');
  const results = [];
  const t0 = Date.now();
  let browser;
  try {
    buildFixtureHosts(hostsDir);
    mkdirSync(path.join(tmp, 'libvirt'));
    copyFileSync(path.join(REPO, 'test', 'fixtures', 'libvirt', 'test-node.driver'), path.join(tmp, 'libvirt', 'test-node.driver'));
    LIBVIRT_URI = `test://${path.join(tmp, 'libvirt', 'test-node.driver')}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
      timeout: TIMEOUT_MS,
    });
    for (const session of SESSIONS) {
      const mine = selected.filter((s) => s.session === session.name);
      if (mine.length === 0) continue;
      await runSession({ browser, session, steps: mine, tmp, hostsDir, vsix, results });
    }
  } finally {
    await browser?.close().catch(() => undefined);
    killAllNow();
    if (process.env.E2E_KEEP === '1') console.log(`e2e: kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (process.env.E2E_UPDATE_IMAGES === '1' && failed === 0 && !only) updateReadmeImages();
  console.log(`e2e: ${results.length} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${path.relative(REPO, OUT)}/`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || results.length === 0 ? 1 : 0;
}

function updateReadmeImages() {
  const dir = path.join(REPO, 'docs', 'images');
  mkdirSync(dir, { recursive: true });
  for (const [from, to] of Object.entries(README_IMAGES)) copyFileSync(path.join(OUT, `${from}.png`), path.join(dir, to));
  console.log(`e2e: updated ${Object.keys(README_IMAGES).length} images in docs/images/`);
}

async function runSession({ browser, session, steps: mine, tmp, hostsDir, vsix, results }) {
  const root = path.join(hostsDir, session.host);
  const folder = path.join(tmp, session.name, 'examples');
  makeWorkspace(folder);
  let server;
  let context;
  let wb;
  try {
    const t = Date.now();
    server = await startCodeServer({
      root: tmp,
      name: session.name,
      vsix,
      folder,
      settings: {
        'libvirtDomainXml.host.sysfsRoot': root,
        // libvirt's RelaxNG schemas are whatever the machine has installed (Debian 12's
        // 9.0.0 predates pciBus/accel and flags them), so schema findings would make the
        // expected Problems depend on the machine; the schema layer has its own tests.
        'libvirtDomainXml.schema.enable': false,
        // Without it the server targets the local virsh's release (bookworm's 9.0 where libvirt-clients is
        // installed, as test-deps does for the Libvirt Domains step) and flags pciBus and the rest as too new.
        // The oracle targets the same release, so both choose the same grammar and version findings.
        'libvirtDomainXml.libvirtVersion': oracle.E2E_LIBVIRT_VERSION,
        // virsh's test driver over a fixture node: domains to open, complete and save without a daemon.
        'libvirtDomainXml.libvirt.connections': [LIBVIRT_URI],
      },
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    wb = new Workbench(page, TIMEOUT_MS);
    await wb.open(server.url);
    console.log(`e2e: session ${session.name} (host ${session.host}): workbench ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  } catch (e) {
    for (const s of mine) {
      results.push({ name: s.name, ok: false });
      console.log(`not ok - ${session.name}: ${s.name}\n  session did not start: ${e.message}`);
    }
    if (wb) await wb.screenshot(path.join(OUT, `FAIL-${session.name}-start.png`)).catch(() => undefined);
    if (server) console.log(`--- code-server log (last lines) ---\n${server.logTail()}`);
    await context?.close().catch(() => undefined);
    await server?.stop();
    return;
  }

  const env = {
    wb,
    folder,
    root,
    host: session.host,
    out: OUT,
    assert,
    timeoutMs: TIMEOUT_MS,
    libvirtUri: LIBVIRT_URI,
    ...oracle,
    shot: (name) => wb.screenshot(path.join(OUT, `${name}.png`)),
    languageServerPids: () => languageServerPids(server),
  };
  for (const s of mine) {
    const t = Date.now();
    try {
      await wb.closeAllEditors();
      await s.run(env);
      results.push({ name: s.name, ok: true });
      console.log(`ok - ${session.name}: ${s.name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    } catch (e) {
      results.push({ name: s.name, ok: false });
      const shot = `FAIL-${session.name}-${slug(s.name)}.png`;
      await wb.screenshot(path.join(OUT, shot)).catch(() => undefined);
      console.log(`not ok - ${session.name}: ${s.name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      console.log(indent(e.stack ?? String(e)));
      console.log(`  screenshot: ${path.relative(REPO, path.join(OUT, shot))}`);
      console.log(`  --- code-server log (last lines) ---\n${indent(server.logTail(20))}`);
      console.log(`  --- extension log (last lines) ---\n${indent(server.extensionLogTail(20))}`);
      // Leave no menu or widget open for the next step.
      for (let i = 0; i < 3; i++) await wb.press('Escape').catch(() => undefined);
    }
  }
  await context.close().catch(() => undefined);
  await server.stop();
}

const slug = (s) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const indent = (s) =>
  String(s)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

// Whatever happens, no code-server is left behind (Chromium is Playwright's child and goes with us).
process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAllNow();
    process.exit(130);
  });
}

main().catch((e) => {
  console.error(`e2e: ${e.stack ?? e}`);
  console.log('0 passed, 1 failed');
  killAllNow();
  process.exit(1);
});
