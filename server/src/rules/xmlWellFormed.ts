/**
 * Well-formedness problems found by the tolerant scanner, reported at their
 * exact place. They come first so that a user sees why later rules may be
 * reasoning about a recovered tree.
 */
import type { RuleFamily } from './types';
import { report } from './report';

export const xmlWellFormedRules: RuleFamily = {
  name: 'xml',
  run(ctx) {
    const { doc } = ctx.model;
    for (const p of doc.problems) {
      if (p.code === 'xml-no-root' && doc.text.trim() === '') continue;
      report(ctx, p.code, p, p.message);
    }
  },
};
