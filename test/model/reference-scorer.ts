// The float64 reference forward pass behind the probe engine's Scorer interface: it pulls every tensor from the
// WeightSource (so the DARE and merge sources are exercised as the probe uses them), widens them to float64
// and scores with the reference's own forward pass. Used to develop and check the sweep logic independently
// of the wasm forward pass.
import type { Scorer } from '../../src/model/probe.js';
import type { RefConfig, RefWeights } from './probe-reference.js';
import { refHidden } from './probe-reference.js';

/** A Scorer running the float64 reference on the tensors `names` of whatever source it is given. */
export function referenceScorer(cfg: RefConfig, names: string[]): Scorer {
  return async (source, requests) => {
    const w: RefWeights = new Map();
    for (const n of names) w.set(n, Float64Array.from(await source.tensor(n)));
    const head = w.get(cfg.tied ? 'model.embed_tokens.weight' : 'lm_head.weight')!;
    return requests.map((r) => {
      const h = refHidden(cfg, w, r.tokens);
      const m = r.tokens.length - r.scoreFrom;
      const logprobs = new Float64Array(m);
      const argmaxHit = new Uint8Array(m);
      const logits = new Float64Array(cfg.vocab);
      for (let k = r.scoreFrom; k < r.tokens.length; k++) {
        const ho = (k - 1) * cfg.hidden;
        for (let j = 0; j < cfg.vocab; j++) {
          let s = 0;
          for (let i = 0; i < cfg.hidden; i++) s += h[ho + i]! * head[j * cfg.hidden + i]!;
          logits[j] = s;
        }
        let arg = 0;
        for (let j = 1; j < cfg.vocab; j++) if (logits[j]! > logits[arg]!) arg = j;
        let z = 0;
        for (let j = 0; j < cfg.vocab; j++) z += Math.exp(logits[j]! - logits[arg]!);
        logprobs[k - r.scoreFrom] = logits[r.tokens[k]!]! - logits[arg]! - Math.log(z);
        argmaxHit[k - r.scoreFrom] = arg === r.tokens[k] ? 1 : 0;
      }
      return { logprobs, argmaxHit };
    });
  };
}
