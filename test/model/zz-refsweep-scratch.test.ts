import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { familyS } from '../helpers/shared.js';
import { refConfig, refExamples, refSweep, refWeights } from './probe-reference.js';
const GRID = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99];
it.each(['sft-up', 'sft-shift', 'cpt-code', 'cpt-code-brief'])('ref %s', (m) => {
  const S = familyS();
  const names = openModel(join(S, 'base')).names;
  const cfg = refConfig(join(S, 'base'));
  const ex = refExamples(join(S, 'examples', m + (m.startsWith('sft') ? '.jsonl' : '.txt')));
  const r = refSweep(cfg, refWeights(join(S, 'base'), names), refWeights(join(S, m), names), ex.metric, ex.examples, GRID, [0, 1, 2], 0.95);
  writeFileSync(`/tmp/ref-${m}.json`, JSON.stringify(r));
}, 7_200_000);
