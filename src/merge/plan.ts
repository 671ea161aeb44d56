import { inputError } from '../errors.js';
import { alignFinetunes, type VocabAdjustment } from '../io/homology.js';
import { isAdapterDir, openLoraAdapter } from '../io/lora.js';
import { openModel, type Model } from '../io/model.js';
import { locationOf, mathDtypeOf } from '../io/tensor-reader.js';
import type { OutDtype } from '../io/dtypes.js';
import { parseTensorName } from '../io/tensor-names.js';
import { dropThreshold, maskKey } from '../kernel/mask-key.js';
import { checkLeaf, parseRescale, type MergeConfig, type ModelEntry } from './config.js';
import { assertAddressable } from './engine.js';
import type { ModelTerm, TensorJob } from './job.js';
import { METHODS, MODEL_PARAM_DEFAULTS, type GlobalParamName, type ModelParamName, type RescaleMode } from './methods.js';
import { resolveParam, type ParamScalar } from './params.js';

/** A merge resolved down to one job per output tensor (no tensor data read yet). */
export interface MergePlan {
  config: MergeConfig;
  /** The model whose tensor list, shapes and side files the output takes (the base; for linear without one, the first model). */
  layoutModel: Model;
  base?: Model;
  models: Model[];
  /** Jobs in output order; `out.fd` and `out.byteOffset` are filled in when the output files are opened. */
  jobs: TensorJob[];
  shapes: number[][];
  outDtypes: OutDtype[];
  /** Bytes of tensor data read by one pass over all inputs. */
  inputBytes: number;
  rescaleModes: string[];
  /** Fine-tune embedding/lm_head tensors cut or padded to the layout model's rows (truncateVocab only). */
  vocab: VocabAdjustment[];
}

function numLayers(model: Model): number {
  let max = -1;
  for (const n of model.names) {
    const l = parseTensorName(n).layer;
    if (l !== null && l > max) max = l;
  }
  return max + 1;
}

/** Open a model entry: a full model, a LoRA adapter over base_model, or mergekit's `base+adapter`. */
function openEntry(m: ModelEntry, i: number, base: Model | undefined): Model {
  if (m.loraBase !== undefined) return openLoraAdapter(m.path, openModel(m.loraBase));
  if (isAdapterDir(m.path)) {
    if (!base) throw inputError(`models[${i}].model: ${m.spec} is a LoRA adapter; set base_model to the model it was trained on, or write it as BASE+${m.spec}`);
    return openLoraAdapter(m.path, base);
  }
  return openModel(m.path);
}

/** Open every model, check homology and resolve every parameter for every tensor; all before any tensor data is read. */
export function planMerge(config: MergeConfig): MergePlan {
  const spec = METHODS[config.method];
  const base = config.baseModel !== undefined ? openModel(config.baseModel) : undefined;
  const opened = config.models.map((m, i) => openEntry(m, i, base));
  const layoutModel = base ?? opened[0]!;
  // every other model is seen with the layout model's shapes (vocabulary rows aligned when asked)
  const aligned = alignFinetunes(layoutModel, base ? opened : opened.slice(1), { truncateVocab: config.truncateVocab ?? false });
  const models = base ? aligned.models : [opened[0]!, ...aligned.models];
  const layers = numLayers(layoutModel);
  // slerp: terms are [t = 0 end, t = 1 end]; base_model, when it is one of the two, is the t = 0 end (mergekit)
  const baseAt = spec.combine === 'slerp' ? config.models.findIndex((m) => m.path === config.baseModel) : -1;
  const order = baseAt >= 0 ? [baseAt, 1 - baseAt] : config.models.map((_, i) => i);
  // deltas from the base: every task-arithmetic method with a base, and DARE-SLERP (a base that is a third model)
  const jobUsesBase = base !== undefined && baseAt < 0;
  const sparsify = spec.combine === 'slerp' && !jobUsesBase ? 'none' : spec.sparsify;
  const jobs: TensorJob[] = [];
  const shapes: number[][] = [];
  const outDtypes: OutDtype[] = [];
  const rescaleModes = new Set<string>();
  let inputBytes = 0;
  layoutModel.names.forEach((name, index) => {
    const lt = layoutModel.tensors.get(name)!;
    assertAddressable(name, lt.numel);
    const baseDtype = mathDtypeOf(lt);
    const outDtype: OutDtype = config.outDtype ?? (baseDtype === 'F64' ? 'F32' : baseDtype);
    const global = (p: GlobalParamName): ParamScalar | undefined => {
      const v = config.parameters[p];
      return v === undefined ? undefined : resolveParam(v, name, layers);
    };
    const lambda = spec.globalParams.includes('lambda' as never) ? Number(global('lambda') ?? 1) : 1;
    const normalize = Boolean(global('normalize') ?? spec.normalize);
    const globalRescale = global('rescale');
    const rescale: RescaleMode = globalRescale === undefined ? spec.rescale : parseRescale(globalRescale, 'parameters.rescale');
    const terms: ModelTerm[] = order.map((i) => {
      const entry = config.models[i]!;
      const t = models[i]!.tensors.get(name)!;
      const param = (p: ModelParamName): number | undefined => {
        const own = entry.parameters[p];
        const v = own !== undefined ? resolveParam(own, name, layers) : undefined;
        const g = v ?? (config.parameters[p] !== undefined ? resolveParam(config.parameters[p]!, name, layers) : undefined);
        const r = g ?? MODEL_PARAM_DEFAULTS[p];
        if (r !== undefined) checkLeaf(p, r, `models[${i}].parameters.${p} (tensor ${name})`);
        return r as number | undefined;
      };
      const weight = spec.modelParams.includes('weight' as never) ? param('weight') : 1;
      if (weight === undefined) throw inputError(`models[${i}].parameters.weight: no filter rule matches tensor "${name}"; add a rule without a filter as the default`);
      const density = spec.modelParams.includes('density' as never) ? param('density')! : 1;
      const gamma = spec.modelParams.includes('gamma' as never) ? param('gamma')! : 0;
      const epsilon = spec.modelParams.includes('epsilon' as never) ? param('epsilon')! : 0;
      if (sparsify === 'della' && density < 1 && !(density - epsilon > 0 && density + epsilon <= 1)) {
        throw inputError(`models[${i}].parameters: density ${density} ± epsilon ${epsilon} must stay inside (0, 1] (tensor ${name}); lower epsilon`);
      }
      if (spec.sparsify === 'breadcrumbs' && density + gamma > 1) throw inputError(`models[${i}].parameters: density ${density} + gamma ${gamma} exceeds 1 (tensor ${name})`);
      let scale = 1;
      let l1 = false;
      if (sparsify !== 'none') {
        if (rescale === 'inverse') scale = sparsify === 'della' ? 1 : 1 / density; // della: 1/p per element, in the kernel
        else if (rescale === 'l1') l1 = density < 1;
        else if (typeof rescale === 'number') scale = rescale;
      }
      const n = lt.numel;
      const nTop = spec.sparsify === 'breadcrumbs' ? Math.floor(gamma * n) : 0;
      const term: ModelTerm = {
        input: locationOf(t),
        model: models[i]!.path,
        coef: weight * scale,
        divw: weight,
        sparsify,
        maskKey: maskKey(config.seed, i, name),
        dropThreshold: dropThreshold(1 - density),
        keepRank: sparsify === 'magnitude' || sparsify === 'breadcrumbs' ? Math.min(n, nTop + Math.floor(density * n)) : n,
        dropRank: nTop,
        l1,
        density,
        epsilon,
        dellaInverse: rescale === 'inverse',
      };
      inputBytes += t.byteLength;
      return term;
    });
    if (sparsify !== 'none') rescaleModes.add(typeof rescale === 'number' ? `×${rescale}` : rescale);
    const job: TensorJob = { index, name, numel: lt.numel, terms, elect: spec.elect, normalize, lambda, out: { fd: -1, byteOffset: 0, dtype: outDtype } };
    if (spec.combine === 'slerp') {
      const t = global('t');
      if (t === undefined) throw inputError(`parameters.t: no filter rule matches tensor "${name}"; add a rule without a filter as the default`);
      checkLeaf('t', t, `parameters.t (tensor ${name})`);
      job.slerp = { t: t as number };
    }
    if (sparsify === 'della') {
      if (lt.shape.length > 2) throw inputError(`tensor "${name}" has shape [${lt.shape.join(', ')}]; ${config.method} ranks magnitudes per row of 1-D and 2-D tensors only`);
      job.rowLen = lt.shape.length === 2 ? lt.shape[1]! : lt.numel;
    }
    if (jobUsesBase) {
      job.base = locationOf(lt);
      job.baseModel = layoutModel.path;
      inputBytes += lt.byteLength;
    }
    if (spec.combine === 'sum' && normalize && !spec.elect && terms.reduce((s, t) => s + t.divw, 0) === 0) {
      throw inputError(`parameters.normalize: the weights of tensor "${name}" sum to 0, so normalizing would divide by zero; change the weights or set normalize: false`);
    }
    jobs.push(job);
    shapes.push(lt.shape);
    outDtypes.push(outDtype);
  });
  const plan: MergePlan = { config, layoutModel, models, jobs, shapes, outDtypes, inputBytes, rescaleModes: [...rescaleModes], vocab: aligned.vocab };
  if (base) plan.base = base;
  return plan;
}
