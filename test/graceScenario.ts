/**
 * A Grace guest built the way a user would: a domain with its NUMA cells and
 * four GPUs of the GB200-like tray (test/fixtures/hosts/gb200-tray.json)
 * assigned by host address only, then the "generate vSMMU topology" source
 * action, then every quick fix offered until none is left. Shared by the
 * scenario test and the referee test, which asks libvirt 12.8 about the result.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction } from 'vscode-languageserver-types';
import { loadHost, service, DOC_URI } from './helpers';
import type { HostTopology } from '../server/src/host/types';

export const TRAY: HostTopology = loadHost('gb200-tray');

const gpu = (domain: string): string => `    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='${domain}' bus='0x01' slot='0x00' function='0x0'/>
      </source>
    </hostdev>`;

/** The starting point: cells backed by host nodes 0 and 1, four GPUs, nothing else. */
export const GRACE_START = `<domain type='kvm'>
  <name>grace-4gpu</name>
  <memory unit='GiB'>64</memory>
  <vcpu placement='static'>16</vcpu>
  <numatune>
    <memnode cellid='0' mode='strict' nodeset='0'/>
    <memnode cellid='1' mode='strict' nodeset='1'/>
  </numatune>
  <os firmware='efi'>
    <type arch='aarch64' machine='virt'>hvm</type>
  </os>
  <features>
    <acpi/>
    <gic version='3'/>
  </features>
  <cpu mode='host-passthrough'>
    <numa>
      <cell id='0' cpus='0-7' memory='32' unit='GiB'/>
      <cell id='1' cpus='8-15' memory='32' unit='GiB'/>
    </numa>
  </cpu>
  <devices>
    <emulator>/usr/bin/qemu-system-aarch64</emulator>
    <controller type='pci' index='0' model='pcie-root'/>
${['0x0008', '0x0009', '0x0018', '0x0019'].map(gpu).join('\n')}
  </devices>
</domain>
`;

function apply(text: string, a: CodeAction): string {
  return TextDocument.applyEdits(TextDocument.create(DOC_URI, 'xml', 1, text), a.edit!.changes![DOC_URI]);
}

/** The domain after the generator and every quick fix (at most 20 rounds), with the titles applied in order. */
export function buildGraceGuest(): { text: string; applied: string[] } {
  const ls = service({ host: TRAY });
  let text = GRACE_START;
  const applied: string[] = [];
  const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const gen = ls.codeActions(ls.parse(text, DOC_URI, 1), zero, [], ['source'])[0];
  if (gen) {
    text = apply(text, gen);
    applied.push(gen.title);
  }
  for (let round = 0; round < 20; round++) {
    const doc = ls.parse(text, DOC_URI, round + 2);
    const fixes = ls.validate(doc).flatMap((d) => ls.codeActions(doc, d.range, [d], ['quickfix']));
    if (fixes.length === 0) break;
    text = apply(text, fixes[0]);
    applied.push(fixes[0].title);
  }
  return { text, applied };
}
