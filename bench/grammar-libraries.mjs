// Measures the grammar libraries considered for completion (docs/grammar.md):
// salve-annos, libxml2-wasm and the project's own rng.ts + grammarQuery.ts, on
// libvirt 12.8's domain.rng (libvirt-schemas/) and the peer corpus. The two
// packages are not dependencies; install them outside the project and point at them:
//   (cd /tmp/eval && npm install salve-annos libxml2-wasm xregexp@4)
//   SALVE=/tmp/eval/node_modules/salve-annos/lib/salve/validate.js \
//   SALVE_INTERNAL=/tmp/eval/node_modules/salve-annos/lib/salve/conversion/schema-simplifiers/internal.js \
//   LIBXML2=/tmp/eval/node_modules/libxml2-wasm/lib/index.mjs LIBXML2_NODE=/tmp/eval/node_modules/libxml2-wasm/lib/nodejs.mjs \
//   node --expose-gc --import tsx bench/grammar-libraries.mjs libvirt-schemas ../shared/corpus/virt-install own|salve|libxml2
// (salve-annos 1.2.4 needs xregexp 4, which it does not declare.)
import { readFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
/** The project's own modules, relative to this script (run with tsx, which loads .ts). */
const own = (rel) => import(new URL(`../server/src/${rel}`, import.meta.url).href);
const SCHEMAS = process.argv[2],
  CORPUS = process.argv[3],
  which = process.argv[4];
const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.xml'))
  .map((f) => readFileSync(path.join(CORPUS, f), 'utf8'));
const mem = () => {
  global.gc?.();
  return (process.memoryUsage().rss / 1e6).toFixed(0);
};
const rss0 = mem();
if (which === 'salve') {
  const salve = await import(process.env.SALVE ?? 'salve-annos');
  const { parseXml } = await own('xml/parser.ts');
  let t = performance.now();
  // salve-annos 1.2.4 parses included files without their text (TypeError in saxes): give it the text.
  const internal = await import(process.env.SALVE_INTERNAL);
  const orig = internal.InternalSimplifier.prototype.parse;
  internal.InternalSimplifier.prototype.parse = function (p, res, text) {
    return orig.call(this, p, res, text ?? readFileSync(p, 'utf8'));
  };
  const converted = await salve.convertRNGToPattern(pathToFileURL(path.resolve(SCHEMAS, 'domain.rng')), {
    resourceLoader: salve.makeResourceLoader(),
    createManifest: false,
    idCheck: false,
    manifestHashAlgorithm: 'SHA-1',
  });
  const compile = performance.now() - t;
  // Precompiled, as an extension would ship it: the JSON read back.
  const json = salve.writeTreeToJSON(converted.simplified, 3);
  t = performance.now();
  const pattern = salve.readTreeFromJSON(json);
  const readJson = performance.now() - t;
  const rss1 = mem();
  // Element recall: walk each corpus document with salve's events; before each start tag, is its name among possible()?
  let asked = 0,
    offered = 0,
    failedDocs = 0,
    lastError;
  const times = [];
  for (const text of files) {
    const doc = parseXml(text);
    const w = pattern.newWalker(new salve.DefaultNameResolver());
    const nsOf = (el, prefix) => {
      for (let e = el; e; e = e.parent) {
        const a = e.attributes.find((x) => x.name === (prefix ? `xmlns:${prefix}` : 'xmlns'));
        if (a) return a.value;
      }
      return '';
    };
    const qn = (el, name, isAttr) => {
      const i = name.indexOf(':');
      return i < 0 ? [isAttr ? '' : nsOf(el, ''), name] : [nsOf(el, name.slice(0, i)), name.slice(i + 1)];
    };
    const visit = (el) => {
      const t0 = performance.now();
      const poss = w.possible();
      let ok = false;
      const [uri, local] = qn(el, el.name, false);
      globalThis.lastEl = el.name + ' ' + el.attributes.map((a) => a.name + '=' + a.value).join(' ');
      for (const ev of poss) if (ev.name === 'enterStartTag' && ev.param.match(uri, local)) ok = true;
      times.push(performance.now() - t0);
      asked++;
      if (ok) offered++;
      w.fireEvent('startTagAndAttributes', [uri, local, ...el.attributes.filter((a) => !a.name.startsWith('xmlns')).flatMap((a) => [...qn(el, a.name, true), a.value ?? ''])]);
      for (const c of el.children) visit(c);
      const txt = el.texts
        .map((x) => x.value)
        .join('')
        .trim();
      if (txt && !el.children.length) w.fireEvent('text', [txt]);
      w.fireEvent('endTag', [uri, local]);
    };
    try {
      visit(doc.roots[0]);
    } catch (e) {
      failedDocs++;
      lastError = String(e.message).slice(0, 80) + ' at ' + globalThis.lastEl;
    }
  }
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      failedDocs,
      lastError,
      engine: 'salve-annos',
      compileMs: Math.round(compile),
      readJsonMs: Math.round(readJson),
      rssBefore: rss0,
      rssAfter: rss1,
      elements: asked,
      offered,
      medianPossibleMs: times[times.length >> 1].toFixed(3),
      p95: times[Math.floor(times.length * 0.95)].toFixed(3),
    }),
  );
} else if (which === 'libxml2') {
  const { XmlDocument, RelaxNGValidator, xmlRegisterInputProvider } = await import(process.env.LIBXML2 ?? 'libxml2-wasm');
  const { fsInputProviders } = await import(process.env.LIBXML2_NODE ?? 'libxml2-wasm/lib/nodejs.mjs');
  xmlRegisterInputProvider(fsInputProviders);
  let t = performance.now();
  const rng = XmlDocument.fromString(readFileSync(path.join(SCHEMAS, 'domain.rng'), 'utf8'), { url: path.join(SCHEMAS, 'domain.rng') });
  const v = RelaxNGValidator.fromDoc(rng);
  const compile = performance.now() - t;
  const rss1 = mem();
  const times = [];
  let valid = 0;
  for (const text of files) {
    const t0 = performance.now();
    const d = XmlDocument.fromString(text);
    try {
      v.validate(d);
      valid++;
    } catch {
      /* invalid */
    }
    d.dispose();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      engine: 'libxml2-wasm',
      compileMs: Math.round(compile),
      rssBefore: rss0,
      rssAfter: rss1,
      files: files.length,
      valid,
      medianValidateMs: times[times.length >> 1].toFixed(2),
      completionApi: 'none',
    }),
  );
} else {
  const { loadSchema } = await own('schema/rng.ts');
  const { elementGrammar, rootGrammar } = await own('schema/grammarQuery.ts');
  const { parseXml } = await own('xml/parser.ts');
  let t = performance.now();
  const s = await loadSchema(SCHEMAS);
  const compile = performance.now() - t;
  const rss1 = mem();
  let asked = 0,
    offered = 0;
  const times = [];
  for (const text of files) {
    const doc = parseXml(text);
    const visit = (el) => {
      const t0 = performance.now();
      const names = el.parent ? (elementGrammar(s.model, el.parent)?.children ?? []).map((c) => c.name) : rootGrammar(s.model).map((c) => c.name);
      times.push(performance.now() - t0);
      asked++;
      if (names.includes(el.name)) offered++;
      for (const c of el.children) visit(c);
    };
    visit(doc.roots[0]);
  }
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      engine: 'rng.ts+grammarQuery',
      compileMs: Math.round(compile),
      rssBefore: rss0,
      rssAfter: rss1,
      rssAfterQueries: mem(),
      elements: asked,
      offered,
      medianQueryMs: times[times.length >> 1].toFixed(3),
      p95: times[Math.floor(times.length * 0.95)].toFixed(3),
    }),
  );
}
