/**
 * Every element and attribute of a libvirt domain grammar, as the docs tables
 * see them: one line per element path (`domain/devices/disk/source`) and one
 * per attribute (`domain/devices/disk/source@file`). Each element pattern is
 * listed once per parent pattern, with the first path that reaches it, so the
 * recursive parts of the grammar (backing chains) end.
 *
 * The checked-in list test/fixtures/libvirt-12.8-domain-items.txt is this
 * list for libvirt 12.8.0's schemas (`node --import tsx test/grammarItems.ts DIR`
 * prints it); docs tests read it when no 12.x schema is at hand.
 */
import { loadSchema, type ElementPattern } from '../server/src/schema/rng';

export async function grammarItems(dir: string): Promise<string[]> {
  const { model } = await loadSchema(dir);
  const ids = new Map<ElementPattern, number>();
  const idOf = (p: ElementPattern): number => {
    let id = ids.get(p);
    if (id === undefined) ids.set(p, (id = ids.size + 1));
    return id;
  };
  const seen = new Set<string>();
  const out: string[] = [];
  const queue: Array<{ p: ElementPattern; path: string[]; parent: number }> = model.rootPatterns('domain').map((p) => ({ p, path: ['domain'], parent: 0 }));
  while (queue.length) {
    const { p, path, parent } = queue.shift()!;
    const pair = `${parent}>${idOf(p)}`;
    if (!p.name || seen.has(pair)) continue;
    seen.add(pair);
    const info = model.info(p);
    const key = path.join('/');
    out.push(key);
    for (const a of info.attributes.keys()) out.push(`${key}@${a}`);
    for (const [name, children] of info.children) for (const c of children) queue.push({ p: c, path: [...path, name], parent: idOf(p) });
  }
  return [...new Set(out)];
}

if (require.main === module) {
  grammarItems(process.argv[2] ?? '/usr/share/libvirt/schemas').then((items) => process.stdout.write(`${items.join('\n')}\n`));
}
