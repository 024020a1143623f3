/**
 * Measures the schema engines, to choose the default and to keep the
 * figures in docs/schema.md honest:
 *
 *   node --import tsx server/src/schema/measure.ts [SCHEMA_DIR]
 *
 * For documents of three sizes it times the first run of a fresh engine and
 * the median of warm runs, then the whole check of an invalid document
 * (whole-document run plus the narrowing runs that place the error).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SCHEMA_DIR } from './locate';
import { XmllintEngine, systemXmllintAvailable } from './engineXmllint';
import { WasmEngine, wasmAvailable } from './engineWasm';
import { InProcessEngine } from './engineInProcess';
import type { SchemaEngine } from './engine';
import { checkText, prepareSchema, DEFAULT_SCHEMA_SETTINGS } from './validator';

const fixtures = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'schema');

function sized(devices: number): string {
  const one = (i: number) => `    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/d${i}.qcow2'/>
      <target dev='vd${i}' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
`;
  return `<domain type='kvm'>
  <name>size-${devices}</name>
  <memory unit='GiB'>4</memory>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <devices>
${Array.from({ length: devices }, (_, i) => one(i)).join('')}  </devices>
</domain>
`;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function measureEngines(dir = DEFAULT_SCHEMA_DIR, warmRuns = 5): Promise<string[]> {
  const rows: string[] = [];
  const engines: [string, () => SchemaEngine][] = [];
  engines.push(['libxml2-wasm (in process)', () => new InProcessEngine()]);
  if (systemXmllintAvailable()) engines.push(['xmllint', () => new XmllintEngine()]);
  if (wasmAvailable()) engines.push(['xmllint-wasm', () => new WasmEngine()]);
  const docs: [string, string][] = [0, 30, 1000].map((n) => {
    const text = sized(n);
    return [`${n * 2} devices, ${text.split('\n').length - 1} lines`, text];
  });
  rows.push('| engine | document | first run | warm run (median) |', '|---|---|---|---|');
  for (const [name, make] of engines) {
    for (const [label, text] of docs) {
      const engine = make();
      const first = await time(() => engine.validate(text, dir));
      const warm: number[] = [];
      for (let i = 0; i < warmRuns; i++) warm.push(await time(() => engine.validate(text, dir)));
      rows.push(`| ${name} | ${label} | ${first.toFixed(0)} ms | ${median(warm).toFixed(0)} ms |`);
    }
  }
  rows.push('', '| engine | whole check of invalid-disk-type-typo.xml (verdict + placing the error) |', '|---|---|');
  const invalid = readFileSync(path.join(fixtures, 'invalid-disk-type-typo.xml'), 'utf8');
  for (const [name, make] of engines) {
    const setup = await prepareSchema({ ...DEFAULT_SCHEMA_SETTINGS, directory: dir }, {}, make());
    if ('unavailable' in setup) {
      rows.push(`| ${name} | ${setup.unavailable} |`);
      continue;
    }
    await checkText(invalid, setup);
    const runs: number[] = [];
    for (let i = 0; i < warmRuns; i++) runs.push(await time(() => checkText(invalid, setup)));
    rows.push(`| ${name} | ${median(runs).toFixed(0)} ms |`);
  }
  return rows;
}

if (require.main === module) {
  void measureEngines(process.argv[2] ? path.resolve(process.argv[2]) : undefined).then((rows) => console.log(rows.join('\n')));
}
