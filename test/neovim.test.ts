/**
 * The server in another editor: Neovim's built-in LSP client, headless,
 * runs test/neovim/lsp.lua against `dist/server.js --stdio`, opens a broken
 * domain, waits for diagnostics, asks for completion and code actions, and
 * prints the answers as JSON. This is the configuration docs/editors.md
 * gives Neovim users, exercised for real.
 *
 * Needs `nvim` (Debian's neovim package: scripts/install-editor-deps.sh)
 * and `dist/server.js` (npm test builds it first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { armDomain, withCursor } from './helpers';
import { GENERATE_TOPOLOGY_TITLE } from '../server/src/features/fixes/generateTopology';

const ROOT = path.join(__dirname, '..');
const SERVER = path.join(ROOT, 'dist', 'server.js');
const SCRIPT = path.join(__dirname, 'neovim', 'lsp.lua');
/** The configuration docs/editors.md gives Neovim users; the script loads it as a user's init would. */
const CONFIG = path.join(__dirname, 'neovim', 'config.lua');
const SNAPSHOT = path.join(__dirname, 'fixtures', 'hosts', 'grace-3smmu.json');

/** "NVIM v0.7.2", or undefined when nvim is not on PATH. */
function nvimVersion(): string | undefined {
  const r = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0] : undefined;
}
const NVIM = nvimVersion();
const SKIP = NVIM ? false : 'neovim not installed: run scripts/install-editor-deps.sh';

/** True once server.ts answers the topology request (the lead registers it there). */
const SERVES_TOPOLOGY = readFileSync(path.join(ROOT, 'server', 'src', 'server.ts'), 'utf8').includes('topologyView(');

/**
 * Both GPUs below one accelerated expander (smmu-map-mixed: they are behind
 * different host SMMUs), the fork's `ssidSize` spelling, and the cursor
 * inside the vSMMU's `<driver>` tag for attribute completion.
 */
const DOMAIN = withCursor(
  armDomain(`    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <model name='pxb-pcie'/>
      <target busNr='252'><node>0</node></target>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </controller>
    <controller type='pci' index='2' model='pcie-root-port'>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </controller>
    <controller type='pci' index='3' model='pcie-root-port'>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x01' function='0x0'/>
    </controller>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio' iommufd='yes'/>
      <source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source>
      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio' iommufd='yes'/>
      <source><address domain='0x0019' bus='0x01' slot='0x00' function='0x0'/></source>
      <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>
    </hostdev>
    <iommu model='smmuv3'>
      <driver pciBus='1' accel='on' ssidSize='20' |/>
    </iommu>`),
);

interface LspPosition {
  line: number;
  character: number;
}
interface NeovimResult {
  errors: string[];
  hostStatus?: { text: string; kind: string; smmuCount: number };
  diagnostics?: { uri: string; diagnostics: { code: string; severity: number; range: { start: LspPosition; end: LspPosition } }[] };
  completion?: string[];
  codeActions?: string[];
  first?: { uri: string; diagnostics: { code: string }[] };
  topology?: {
    grouping: string;
    smmus: { name: string; unused: boolean; devices: { label: string; problems: { code: string }[] }[]; expanders: { label: string; devices: { label: string }[] }[] }[];
  };
}

function positionOf(text: string, offset: number): LspPosition {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length - 1, character: offset - before.lastIndexOf('\n') - 1 };
}

/** Runs test/neovim/lsp.lua on `text` with the cursor at `at`; `env` adds to (or replaces) the script's input. */
function spawnNeovim(text: string, at: LspPosition, env: Record<string, string>, whileRunning?: () => void): Promise<NeovimResult> {
  return new Promise((resolve, reject) => {
    assert.ok(existsSync(SERVER), `${SERVER} is missing: run npm run build first`);
    const dir = mkdtempSync(path.join(tmpdir(), 'ldx-nvim-'));
    const file = path.join(dir, 'broken.domain.xml');
    writeFileSync(file, text);
    const child = spawn('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${SCRIPT}`], {
      cwd: dir,
      env: {
        ...process.env,
        // The config starts `node` from PATH: make it this node.
        PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
        LIBVIRT_DOMAIN_XML_SERVER: SERVER,
        LIBVIRT_DOMAIN_XML_SNAPSHOT: SNAPSHOT,
        // A fixed target version: the local virsh, if any, must not add version warnings.
        LIBVIRT_DOMAIN_XML_VERSION: '12.8.0',
        LDX_CONFIG: CONFIG,
        LDX_FILE: file,
        LDX_LINE: String(at.line),
        LDX_CHARACTER: String(at.character),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    whileRunning?.();
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    // The script gives up on its own within about a minute; this only stops a wedged editor.
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      rmSync(dir, { recursive: true, force: true });
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) {
        reject(new Error(`nvim exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve(JSON.parse(line) as NeovimResult);
    });
  });
}

/** Runs Neovim once; the tests share the result. */
let run: Promise<NeovimResult> | undefined;
function runNeovim(): Promise<NeovimResult> {
  run ??= spawnNeovim(DOMAIN.text, positionOf(DOMAIN.text, DOMAIN.offset), { LDX_TOPOLOGY: SERVES_TOPOLOGY ? '1' : '0' });
  return run;
}

test('Neovim: diagnostics for a broken domain arrive through the built-in LSP client, checked against the host snapshot', { skip: SKIP }, async () => {
  const r = await runNeovim();
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.hostStatus && [r.hostStatus.text, r.hostStatus.kind, r.hostStatus.smmuCount], ['3 host SMMUs · snapshot: grace-3smmu.json', 'snapshot', 3]);
  // schema-* findings depend on whether libvirt's schemas are installed here; they have their own tests.
  // numa-gi-missing (an information on each GPU without Generic Initiator cells) has its own tests too.
  const found = (r.diagnostics?.diagnostics ?? [])
    .filter((d) => !String(d.code).startsWith('schema-') && d.code !== 'numa-gi-missing')
    .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character)
    .map((d) => [d.code, d.severity, d.range.start, d.range.end]);
  const bus3 = DOMAIN.text.indexOf("'0x03'", DOMAIN.text.indexOf('0x0019')) + 1;
  const spelling = DOMAIN.text.indexOf('ssidSize');
  assert.deepEqual(found, [
    ['smmu-map-mixed', 1, positionOf(DOMAIN.text, bus3), positionOf(DOMAIN.text, bus3 + 4)],
    ['iommu-attribute-spelling', 2, positionOf(DOMAIN.text, spelling), positionOf(DOMAIN.text, spelling + 'ssidSize'.length)],
  ]);
});

test('Neovim: completion inside the vSMMU driver offers the accelerated SMMUv3 attributes', { skip: SKIP }, async () => {
  const r = await runNeovim();
  const wanted = ['ats', 'ril', 'oas'];
  assert.deepEqual(
    (r.completion ?? []).filter((l) => wanted.includes(l)),
    wanted,
  );
});

test('Neovim: code actions include the generate-topology source action', { skip: SKIP }, async () => {
  const r = await runNeovim();
  assert.deepEqual(
    (r.codeActions ?? []).filter((t) => t === GENERATE_TOPOLOGY_TITLE),
    [GENERATE_TOPOLOGY_TITLE],
  );
});

test(
  'Neovim: the libvirtDomainXml/topology request answers any LSP client',
  {
    skip: SKIP || (SERVES_TOPOLOGY ? false : 'server.ts does not register the libvirtDomainXml/topology request yet'),
  },
  async () => {
    const r = await runNeovim();
    const t = r.topology!;
    assert.deepEqual(
      [
        t.grouping,
        t.smmus.map((s) => [s.name, s.unused, s.expanders.map((e) => [e.label, e.devices.map((d) => d.label)]), s.devices.map((d) => [d.label, d.problems.map((p) => p.code)])]),
      ],
      [
        'host',
        [
          ['smmu3.0x0000000012000000', true, [], []],
          ['smmu3.0x0000000016000000', false, [['expander 1 (busNr 252)', ['0009:01:00.0']]], []],
          ['smmu3.0x0000000036000000', false, [], [['0019:01:00.0', ['smmu-map-mixed', 'numa-gi-missing']]]],
        ],
      ],
    );
  },
);

test(
  'Neovim: asked at once (request_sync right after attaching), completion and the first diagnostics already have the host, read meanwhile',
  { skip: SKIP, timeout: 60_000 },
  async () => {
    // The snapshot is a named pipe written a second after Neovim starts: the host read is still under way when the
    // client attaches, opens the file and asks for the host devices at the second GPU's source address.
    const dir = mkdtempSync(path.join(tmpdir(), 'ldx-nvim-slow-'));
    const fifo = path.join(dir, 'slow.json');
    execFileSync('mkfifo', [fifo]);
    const text = DOMAIN.text;
    const at = positionOf(text, text.indexOf("domain='0x0019'"));
    try {
      const r = await spawnNeovim(text, at, { LDX_IMMEDIATE: '1', LIBVIRT_DOMAIN_XML_SNAPSHOT: fifo }, () => {
        setTimeout(() => void writeFile(fifo, readFileSync(SNAPSHOT, 'utf8')), 1000);
      });
      assert.deepEqual(r.errors, []);
      assert.ok(
        (r.completion ?? []).some((l) => l.startsWith('0019:01:00.0') && l.endsWith('smmu3.0x0000000036000000')),
        JSON.stringify(r.completion),
      );
      // The host's findings, and no "no host": other families have their own tests.
      const codes = (r.first?.diagnostics ?? []).map((d) => String(d.code)).filter((c) => c.startsWith('smmu-map-'));
      assert.deepEqual(codes, ['smmu-map-mixed']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('docs/editors.md quotes the Neovim configuration the test runs, unchanged', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'editors.md'), 'utf8');
  const config = readFileSync(CONFIG, 'utf8');
  assert.equal(doc.includes('```lua\n' + config + '```\n'), true, 'docs/editors.md must contain test/neovim/config.lua in a lua block');
});
