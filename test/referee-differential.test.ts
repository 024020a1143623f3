/**
 * The parts of the differential suite that need no libvirt (the suite itself
 * runs in `npm run test:all`, test/referee/differential.test.ts): how a pair
 * of verdicts becomes an outcome, the "Beyond libvirt" list it reads from
 * docs/rules.md, and the seeded broken variants with the elements at fault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseRulesDoc } from '../server/src/cli/rulesDoc';
import { beyondLibvirtCodes, classify, type OurFinding } from './referee/differential';
import { repositoryInputs } from './referee/inputs';
import { MUTATION_KINDS, mutate, type Mutation } from './referee/mutations';
import type { RefereeVerdict } from './referee/referee';

const ACCEPTED: RefereeVerdict = { schema: { valid: true, messages: [] }, driver: { ok: true, argv: 'qemu' }, rewrites: [], accepted: true };
const REFUSED: RefereeVerdict = { schema: { valid: true, messages: [] }, driver: { ok: false, error: "PCI controller busNr '255' out of range" }, rewrites: [], accepted: false };
const BEYOND = new Map([['controller-busnr-duplicate', 'QEMU refuses']]);
const finding = (code: string, severity: 'error' | 'warning', start: number, end: number): OurFinding => ({ code, severity, message: code, start, end });
const input = { name: 'x.xml', text: '<domain/>', origin: 'fixture' };
const mutation: Mutation = { ...input, origin: 'mutation', kind: 'busnr-range', base: 'x.xml', change: 'busNr -> 255', faults: [{ start: 100, end: 200 }] };

test('libvirt accepts: silence agrees, a beyond-libvirt code is allowed, anything else is a false alarm', () => {
  assert.equal(classify(input, ACCEPTED, [], BEYOND), 'agree');
  assert.equal(classify(input, ACCEPTED, [finding('controller-busnr-duplicate', 'error', 0, 1)], BEYOND), 'beyond libvirt');
  assert.equal(classify(input, ACCEPTED, [finding('controller-busnr-duplicate', 'error', 0, 1), finding('address-bus-missing', 'warning', 0, 1)], BEYOND), 'false alarm');
});

test('libvirt refuses: an error on the element at fault is caught, elsewhere is not', () => {
  assert.equal(classify(mutation, REFUSED, [finding('controller-busnr-range', 'error', 150, 160)], BEYOND), 'caught');
  assert.equal(classify(mutation, REFUSED, [finding('controller-busnr-range', 'error', 300, 310)], BEYOND), 'caught elsewhere');
  assert.equal(classify(mutation, REFUSED, [finding('controller-busnr-range', 'warning', 150, 160)], BEYOND), 'warned only');
  assert.equal(classify(mutation, REFUSED, [], BEYOND), 'missed');
  // Without known faults (a corpus domain), any error counts.
  assert.equal(classify(input, REFUSED, [finding('schema-invalid', 'error', 0, 1)], BEYOND), 'caught');
});

test("a refusal for the referee machine's sake is not counted either way", () => {
  assert.equal(classify(input, { ...REFUSED, hostReason: 'no emulator' }, [], BEYOND), 'host');
});

test('the "Beyond libvirt" list names documented rules, each with its reason', () => {
  const md = readFileSync(path.join(__dirname, '..', 'docs', 'rules.md'), 'utf8');
  const documented = new Set(parseRulesDoc(md).map((r) => r.id));
  const beyond = beyondLibvirtCodes(md);
  assert.ok(beyond.has('controller-busnr-duplicate') && beyond.has('iommu-pcibus-duplicate'), [...beyond.keys()].join(', '));
  for (const [code, why] of beyond) {
    assert.ok(documented.has(code), `${code} is not a rule of docs/rules.md`);
    assert.match(why, /\w+ .* — \w+/, `${code}: what fails and why libvirt accepts it`);
  }
});

test('broken variants: the same seed gives the same set, and the elements at fault are where the change is', () => {
  const bases = repositoryInputs().filter((i) => i.name.startsWith('examples/grace-'));
  const a = mutate(bases, 7, 2);
  const b = mutate(bases, 7, 2);
  assert.deepEqual(
    a.map((m) => m.text),
    b.map((m) => m.text),
  );
  const busNr = a.find((m) => m.kind === 'busnr-range');
  assert.ok(busNr, a.map((m) => m.kind).join(', '));
  const [fault] = busNr.faults;
  const faulty = busNr.text.slice(fault.start, fault.end);
  assert.match(faulty, /^<controller type='pci' index='\d' model='pcie-expander-bus'>[\s\S]*busNr='(0|255|300)'[\s\S]*<\/controller>$/);
});

test('every kind of broken variant applies to some domain of the repository', () => {
  const made = new Set(mutate(repositoryInputs(), 1, 1).map((m) => m.kind));
  assert.deepEqual(
    MUTATION_KINDS.filter((k) => !made.has(k)),
    [],
  );
});
