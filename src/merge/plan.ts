import { inputError, runtimeError } from '../errors.js';
import { alignFinetunes, type VocabAdjustment } from '../io/homology.js';
import { isAdapterDir, openLoraAdapter } from '../io/lora.js';
import { openModel, type Model } from '../io/model.js';
import { mathDtypeOf, sourceOf } from '../io/tensor-reader.js';
import type { OutDtype } from '../io/dtypes.js';
import { parseTensorName, withLayerIndex } from '../io/tensor-names.js';
import type { ModelTensor } from '../io/model.js';
import type { RowsSource } from '../io/tensor-source.js';
import { isIdentity, planVocab, readModelVocab, type TokenConfig, type VocabPlan } from './tokenizer.js';
import { dropThreshold, maskKey } from '../kernel/mask-key.js';
import { checkLeaf, parseRescale, type MergeConfig, type ModelEntry, type SliceConfig } from './config.js';
import { assertAddressable } from './engine.js';
import type { ModelTerm, TensorJob } from './job.js';
import { METHODS, MODEL_PARAM_DEFAULTS, type GlobalParamName, type MethodSpec, type ModelParamName, type RescaleMode } from './methods.js';
import { layerPosition, resolveParamAt, type ParamScalar, type ParamValue } from './params.js';

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
  /** Layers of the output (the layout model's, or the sum of the slices' lengths): config.json's num_hidden_layers. */
  outputLayers: number;
  /** Where darekit's result differs from mergekit's default for this merge, one line each (for the summary). */
  notes: string[];
  /** The rebuilt vocabulary (tokenizer_source: union | <model>). */
  vocabPlan?: VocabPlan;
}

/** One input of an output tensor: a model (index into config.models and MergePlan.models) and its tensor name there. */
interface OutSource {
  model: number;
  name: string;
  params: Partial<Record<ModelParamName, ParamValue>>;
}

/** One output tensor before parameters are resolved: its name, inputs, gradient position and slice parameters. */
interface OutTensor {
  name: string;
  sources: OutSource[];
  /** The tensor whose shape and dtype the output takes. */
  layout: ModelTensor;
  /** The output dtype when it is not the layout tensor's (a row-gathered embedding keeps the model's dtype). */
  outDtype?: OutDtype;
  /** The base's tensor when the base is not one of the sources (the `models:` form). */
  base?: { info: ModelTensor; model: string };
  t: number;
  slice?: SliceConfig['parameters'];
  /** 0-based slice (for errors), when the config uses slices. */
  sliceIndex?: number;
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
    if (!base)
      throw inputError(
        `models[${i}].model: ${m.spec} is a LoRA adapter; set base_model to the model it was trained on, or write it as BASE+${m.spec}`,
      );
    return openLoraAdapter(m.path, base);
  }
  return openModel(m.path);
}

/** What the two plan forms produce before parameters are resolved. */
interface PlannedTensors {
  models: Model[];
  layoutModel: Model;
  base?: Model;
  outs: OutTensor[];
  vocab: VocabAdjustment[];
  outputLayers: number;
  vocabPlan?: VocabPlan;
}

/** The `models:` form: every tensor of the layout model, from every model under the same name (mergekit's one slice). */
function modelTensors(config: MergeConfig): PlannedTensors {
  const base = config.baseModel !== undefined ? openModel(config.baseModel) : undefined;
  const opened = config.models.map((m, i) => openEntry(m, i, base));
  const layoutModel = base ?? opened[0]!;
  // every other model is seen with the layout model's shapes (vocabulary rows aligned when asked, or rebuilt below)
  const aligned = alignFinetunes(layoutModel, base ? opened : opened.slice(1), {
    truncateVocab: (config.truncateVocab ?? false) || config.tokenizerSource !== undefined,
  });
  const models = base ? aligned.models : [opened[0]!, ...aligned.models];
  const layers = numLayers(layoutModel);
  const baseIsSource = base !== undefined && config.models.some((m) => m.path === config.baseModel);
  const outs = layoutModel.names.map((name): OutTensor => {
    const o: OutTensor = {
      name,
      layout: layoutModel.tensors.get(name)!,
      sources: config.models.map((m, i) => ({ model: i, name, params: m.parameters })),
      t: layerPosition(name, layers),
    };
    if (base && !baseIsSource) o.base = { info: base.tensors.get(name)!, model: base.path };
    return o;
  });
  const r: PlannedTensors = { models, layoutModel, outs, vocab: config.tokenizerSource ? [] : aligned.vocab, outputLayers: layers };
  if (base) r.base = base;
  if (config.tokenizerSource) r.vocabPlan = rebuildVocabulary(config, r, base, opened);
  return r;
}

/**
 * tokenizer_source: union | <model>: the output vocabulary (mergekit's build_tokenizer) and every model's
 * embed_tokens/lm_head (and the base's) replaced by a row-gathered view of its own tensor for that vocabulary
 * (mergekit's PermutedEmbeddings); a model whose rows already match is read as it is.
 */
function rebuildVocabulary(config: MergeConfig, r: PlannedTensors, base: Model | undefined, opened: Model[]): VocabPlan {
  // participants: the layout model first (base_model, else models[0]), then every model of the merge once
  const parts: Model[] = base ? [base, ...opened.filter((m) => m.path !== base.path)] : [...opened];
  const partOfModel = opened.map((m) => parts.findIndex((p) => p.path === m.path));
  const vocabs = parts.map((m) => (m.adapter ? undefined : readModelVocab(m.dir)));
  const src = config.tokenizerSource!;
  const source = src === 'union' ? 'union' : parts.findIndex((m) => m.path === src.path);
  const partOf = (path: string): number => parts.findIndex((m) => m.path === path);
  const tokenCfg: TokenConfig[] = (config.tokenizerTokens ?? []).map((t): TokenConfig => ({
    token: t.token,
    force: t.force,
    source:
      t.source.kind === 'zero'
        ? { kind: 'zero' }
        : t.source.kind === 'model'
          ? { kind: 'model', model: partOf(t.source.path!) }
          : {
              kind: 'model_token',
              model: partOf(t.source.path!),
              ...(t.source.tokenId !== undefined ? { tokenId: t.source.tokenId } : { token: t.source.token! }),
            },
  }));
  const vp = planVocab(vocabs, source, base ? 0 : undefined, tokenCfg);
  const rowsOut = vp.tokens.length;
  const gather = (part: number, info: ModelTensor): ModelTensor => {
    if (info.shape.length !== 2)
      throw inputError(
        `tensor "${info.name}" of ${parts[part]!.path} has shape [${info.shape.join(', ')}]; an embedding must be 2-D to rebuild its rows`,
      );
    if (isIdentity(vp, part, info.shape[0]!)) return info;
    const cols = info.shape[1]!;
    const perm = vp.perms[part]!;
    const source: RowsSource = {
      kind: 'rows',
      name: info.name,
      dtype: 'F32',
      own: sourceOf(info),
      cols,
      rows: perm.map((row, id) => (row >= 0 ? row : -1 - id)),
      defaults: perm.map((row, id) =>
        row >= 0 ? [] : vp.defaults[id]!.map((d) => ({ src: sourceOf(parts[d.model]!.tensors.get(info.name)!), row: d.row })),
      ),
    };
    const numel = rowsOut * cols;
    return { ...info, dtype: 'F32', shape: [rowsOut, cols], numel, byteLength: numel * 4, source };
  };
  for (const o of r.outs) {
    const role = parseTensorName(o.name);
    if (role.layer !== null || (role.module !== 'embedding' && role.module !== 'lm_head')) continue;
    for (let p = 0; p < parts.length; p++) {
      if (!parts[p]!.tensors.has(o.name)) throw inputError(`${parts[p]!.path}: no tensor "${o.name}" to rebuild for the new vocabulary`);
    }
    const layoutPart = parts.findIndex((m) => m.path === r.layoutModel.path);
    o.outDtype = o.layout.dtype === 'F64' ? 'F32' : (mathDtypeOf(o.layout) as OutDtype);
    o.layout = gather(layoutPart, r.layoutModel.tensors.get(o.name)!);
    if (o.base) o.base = { info: gather(0, base!.tensors.get(o.name)!), model: o.base.model };
    // each source reads its own model's tensor, gathered (not the base-aligned view)
    r.models = r.models.map((m, i) => {
      const t = opened[i]!.tensors.get(o.name)!;
      const tensors = new Map(m.tensors);
      tensors.set(o.name, gather(partOfModel[i]!, t));
      return { ...m, tensors };
    });
  }
  return vp;
}

/** mergekit's planning order of a Llama decoder layer's weights (its architecture definition, llama.json). */
const LLAMA_LAYER_ORDER = [
  '.input_layernorm.',
  '.self_attn.q_proj.',
  '.self_attn.k_proj.',
  '.self_attn.v_proj.',
  '.self_attn.o_proj.',
  '.post_attention_layernorm.',
  '.mlp.up_proj.',
  '.mlp.gate_proj.',
  '.mlp.down_proj.',
];
/** mergekit's post-weights order: the final norm, then lm_head. */
const LLAMA_POST_ORDER = ['model.norm.', 'lm_head.'];

/** Names in mergekit's planning order: by the first pattern each contains; others after, in the model's order. */
function byPlanOrder(names: string[], order: string[]): string[] {
  const rank = (n: string): number => {
    const i = order.findIndex((p) => n.includes(p));
    return i < 0 ? order.length : i;
  };
  return names
    .map((n, i) => ({ n, i, r: rank(n) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.n);
}

/**
 * mergekit's `slices:` form, planned as its MergePlanner does: the layout model's embeddings from the first slice's
 * sources (gradient position 0), then each slice's layers renumbered consecutively (position idx/(len − 1), 1 for
 * a one-layer slice), then the final norm and lm_head from the last slice's sources (position 0).
 */
function sliceTensors(config: MergeConfig, slices: SliceConfig[]): PlannedTensors {
  if (config.truncateVocab) throw inputError(`truncate_vocab: not supported yet with slices:; give models with the same vocabulary size`);
  const base = config.baseModel !== undefined ? openModel(config.baseModel) : undefined;
  const models = config.models.map((m, i) =>
    base && m.path === config.baseModel && m.loraBase === undefined ? base : openEntry(m, i, base),
  );
  const first = models[slices[0]!.sources[0]!.model]!;
  const layoutModel = base ?? first;
  const depth = models.map((m) => numLayers(m));
  slices.forEach((sl, si) =>
    sl.sources.forEach((s, j) => {
      if (s.layerRange[1] > depth[s.model]!)
        throw inputError(
          `slices[${si}].sources[${j}].layer_range: [${s.layerRange.join(', ')}] goes past the ${depth[s.model]} layers of ${config.models[s.model]!.spec}`,
        );
    }),
  );
  const sourcesOf = (sl: SliceConfig, name: (s: SliceConfig['sources'][number]) => string): OutSource[] =>
    sl.sources.map((s) => ({ model: s.model, name: name(s), params: s.parameters }));
  const outs: OutTensor[] = [];
  const outside = (m: Model, pre: boolean): string[] =>
    m.names.filter((n) => {
      const r = parseTensorName(n);
      return r.layer === null && (r.module === 'embedding') === pre;
    });
  const firstSlice = slices[0]!,
    lastSlice = slices[slices.length - 1]!;
  for (const name of outside(models[firstSlice.sources[0]!.model]!, true))
    outs.push({
      name,
      layout: layoutModel.tensors.get(name) ?? first.tensors.get(name)!,
      sources: sourcesOf(firstSlice, () => name),
      t: 0,
      slice: firstSlice.parameters,
      sliceIndex: 0,
    });
  let outLayer = 0;
  slices.forEach((sl, si) => {
    const len = sl.sources[0]!.layerRange[1] - sl.sources[0]!.layerRange[0];
    const lead = models[sl.sources[0]!.model]!;
    for (let idx = 0; idx < len; idx++) {
      const t = len > 1 ? idx / (len - 1) : 1;
      const from = sl.sources[0]!.layerRange[0] + idx;
      for (const n of byPlanOrder(
        lead.names.filter((x) => parseTensorName(x).layer === from),
        LLAMA_LAYER_ORDER,
      )) {
        const sources = sourcesOf(sl, (s) => withLayerIndex(n, s.layerRange[0] + idx));
        const o: OutTensor = {
          name: withLayerIndex(n, outLayer),
          layout: lead.tensors.get(n)!,
          sources,
          t,
          slice: sl.parameters,
          sliceIndex: si,
        };
        outs.push(o);
      }
      outLayer++;
    }
  });
  const lastLead = models[lastSlice.sources[0]!.model]!;
  for (const name of byPlanOrder(outside(lastLead, false), LLAMA_POST_ORDER))
    outs.push({
      name,
      layout: layoutModel.tensors.get(name) ?? lastLead.tensors.get(name)!,
      sources: sourcesOf(lastSlice, () => name),
      t: 0,
      slice: lastSlice.parameters,
      sliceIndex: slices.length - 1,
    });
  // every source tensor exists and has the output's shape
  for (const o of outs) {
    o.sources.forEach((s, j) => {
      const ti = models[s.model]!.tensors.get(s.name);
      const at = `slices[${o.sliceIndex}].sources[${j}]`;
      if (!ti) throw inputError(`${at}: ${config.models[s.model]!.spec} has no tensor "${s.name}" (needed for output tensor "${o.name}")`);
      if (ti.shape.join(',') !== o.layout.shape.join(','))
        throw inputError(
          `${at}: tensor "${s.name}" of ${config.models[s.model]!.spec} has shape [${ti.shape.join(', ')}], not [${o.layout.shape.join(', ')}] as the other sources; the models are not homologous`,
        );
    });
  }
  const r = { models, layoutModel, outs, vocab: [] as VocabAdjustment[], outputLayers: outLayer };
  return base ? { ...r, base } : r;
}

/** Open every model, check homology and resolve every parameter for every tensor; all before any tensor data is read. */
export function planMerge(config: MergeConfig): MergePlan {
  const spec: MethodSpec = METHODS[config.method];
  const { models, layoutModel, base, outs, vocab, outputLayers, vocabPlan } = config.slices
    ? sliceTensors(config, config.slices)
    : modelTensors(config);
  const jobs: TensorJob[] = [];
  const shapes: number[][] = [];
  const outDtypes: OutDtype[] = [];
  const rescaleModes = new Set<string>();
  const notes = new Set<string>();
  let inputBytes = 0;
  outs.forEach((o, index) => {
    // the base of this tensor: its slice's base_model, else the top-level one (mergekit's ConfigReader.base_model)
    const baseOf = (o.sliceIndex !== undefined ? config.slices?.[o.sliceIndex]?.baseModel : undefined) ?? config.baseModel;
    const isBase = (s: OutSource): boolean =>
      baseOf !== undefined && config.models[s.model]!.path === baseOf && config.models[s.model]!.loraBase === undefined;
    const name = o.name;
    const lt = o.layout;
    const where = o.sliceIndex !== undefined ? `slices[${o.sliceIndex}]` : 'models';
    assertAddressable(name, lt.numel);
    // the base: a separate input (models: form), or the slice source that is base_model
    let baseIn = o.base;
    let srcs = o.sources;
    if (config.slices && (spec.usesBase || spec.combine === 'nuslerp' || spec.combine === 'multislerp' || spec.combine === 'slerp')) {
      const bi = srcs.findIndex(isBase);
      if (bi >= 0 && spec.combine !== 'slerp') {
        baseIn = { info: models[srcs[bi]!.model]!.tensors.get(srcs[bi]!.name)!, model: config.models[srcs[bi]!.model]!.path };
        srcs = srcs.filter((_, j) => j !== bi);
      } else if (bi < 0 && spec.usesBase) {
        throw inputError(
          `${where}.sources: ${config.method} merges deltas from base_model, so base_model must be one of each slice's sources (as in mergekit)`,
        );
      }
    }
    const count = srcs.length;
    if (spec.combine === 'passthrough' && count !== 1)
      throw inputError(`${where}: passthrough copies one source per tensor, got ${count} for "${name}"`);
    if ((spec.combine === 'slerp' || spec.combine === 'nuslerp') && count !== 2)
      throw inputError(`${where}: ${config.method} interpolates exactly two models, got ${count} for "${name}"`);
    if (spec.combine === 'model_stock' && count < 2)
      throw inputError(`${where}: model_stock needs base_model plus at least two models, got ${count} besides the base for "${name}"`);
    const baseDtype = mathDtypeOf(lt);
    const outDtype: OutDtype = config.outDtype ?? o.outDtype ?? (baseDtype === 'F64' ? 'F32' : baseDtype);
    // merge-wide parameters: the slice's, then the top level's; filters match the output tensor's name (mergekit)
    const global = (p: GlobalParamName): ParamScalar | undefined => {
      const sv = o.slice?.[p];
      const v = sv !== undefined ? resolveParamAt(sv, name, o.t) : undefined;
      if (v !== undefined) return v;
      const g = config.parameters[p];
      return g === undefined ? undefined : resolveParamAt(g, name, o.t);
    };
    const lambda = spec.globalParams.includes('lambda') ? Number(global('lambda') ?? 1) : 1;
    const normalize = Boolean(global('normalize') ?? spec.normalize);
    const globalRescale = global('rescale');
    const rescale: RescaleMode = globalRescale === undefined ? spec.rescale : parseRescale(globalRescale, 'parameters.rescale');
    // slerp: terms are [t = 0 end, t = 1 end]; base_model, when it is one of the two, is the t = 0 end (mergekit)
    const baseAt = spec.combine === 'slerp' ? srcs.findIndex(isBase) : -1;
    const order = baseAt >= 0 ? [baseAt, 1 - baseAt] : srcs.map((_, i) => i);
    const jobUsesBase = baseIn !== undefined;
    const sparsify = spec.combine === 'slerp' && !jobUsesBase ? 'none' : spec.sparsify;
    const terms: ModelTerm[] = order.map((i) => {
      const src = srcs[i]!;
      const t = models[src.model]!.tensors.get(src.name)!;
      const entryAt = config.slices ? `${where}.sources[${o.sources.indexOf(src)}]` : `models[${src.model}]`;
      // per-model parameters: the source's own, the slice's, the top level's, the default; filters match the input tensor's name
      const param = (p: ModelParamName): number | undefined => {
        const own = src.params[p];
        const fromSlice = o.slice?.[p];
        const v = own !== undefined ? resolveParamAt(own, src.name, o.t) : undefined;
        const sv = v ?? (fromSlice !== undefined ? resolveParamAt(fromSlice, src.name, o.t) : undefined);
        const g = sv ?? (config.parameters[p] !== undefined ? resolveParamAt(config.parameters[p]!, src.name, o.t) : undefined);
        const r = g ?? MODEL_PARAM_DEFAULTS[p];
        if (r !== undefined) checkLeaf(p, r, `${entryAt}.parameters.${p} (tensor ${name})`);
        return r as number | undefined;
      };
      const weight = spec.modelParams.includes('weight') ? param('weight') : 1;
      if (weight === undefined)
        throw inputError(
          `${entryAt}.parameters.weight: no value for tensor "${name}"; ${config.method} needs a weight per model (add one, or a rule without a filter as the default)`,
        );
      const density = spec.modelParams.includes('density') ? param('density')! : 1;
      const gamma = spec.modelParams.includes('gamma') ? param('gamma')! : 0;
      const epsilon = spec.modelParams.includes('epsilon') ? param('epsilon')! : 0;
      const scaleParam = spec.modelParams.includes('scale') ? param('scale')! : 1;
      if (sparsify === 'della' && density < 1 && !(density - epsilon > 0 && density + epsilon <= 1)) {
        throw inputError(
          `${entryAt}.parameters: density ${density} ± epsilon ${epsilon} must stay inside (0, 1] (tensor ${name}); lower epsilon`,
        );
      }
      // breadcrumbs at density 1 leaves the delta unchanged, as mergekit's magnitude_outliers does (γ is not applied)
      const crumbs = spec.sparsify === 'breadcrumbs' && density < 1;
      if (crumbs && density + gamma > 1)
        throw inputError(`${entryAt}.parameters: density ${density} + gamma ${gamma} exceeds 1 (tensor ${name})`);
      let scale = scaleParam;
      let l1 = false;
      if (sparsify !== 'none') {
        if (rescale === 'inverse')
          scale = sparsify === 'della' ? 1 : 1 / density; // della: 1/p per element, in the kernel
        else if (rescale === 'l1') l1 = density < 1;
        else if (typeof rescale === 'number') scale = rescale;
        if (globalRescale === undefined && density < 1 && (sparsify === 'random' || sparsify === 'della') && spec.combine === 'sum') {
          notes.add(
            `rescale: inverse (darekit's default: DARE/DELLA survivors × 1/${sparsify === 'della' ? 'p' : 'density'}); mergekit's default (rescale: true) matches the L1 norm instead, so set rescale: l1 for mergekit's numbers`,
          );
        }
      }
      const n = lt.numel;
      const nTop = crumbs ? Math.floor(gamma * n) : 0;
      const term: ModelTerm = {
        input: sourceOf(t),
        model: models[src.model]!.path,
        coef: weight * scale,
        divw: weight,
        sparsify,
        maskKey: maskKey(config.seed, i, name),
        dropThreshold: dropThreshold(1 - density),
        keepRank: sparsify === 'magnitude' || crumbs ? Math.min(n, nTop + Math.floor(density * n)) : n,
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
    const job: TensorJob = {
      index,
      name,
      numel: lt.numel,
      terms,
      elect: spec.elect,
      normalize: spec.combine === 'sum' ? normalize : false,
      lambda,
      out: { fd: -1, byteOffset: 0, dtype: outDtype },
    };
    if (spec.combine === 'slerp') {
      const t = global('t');
      if (t === undefined)
        throw inputError(`parameters.t: no filter rule matches tensor "${name}"; add a rule without a filter as the default`);
      checkLeaf('t', t, `parameters.t (tensor ${name})`);
      job.slerp = { t: t as number };
    } else if (spec.combine === 'nuslerp') {
      // mergekit: t = w₁/(w₀ + w₁), 0.5 when the weights sum to ~0
      const [w0, w1] = [terms[0]!.divw, terms[1]!.divw];
      const t = Math.abs(w0 + w1) < 1e-6 ? 0.5 : w1 / (w0 + w1);
      // nuslerp_row_wise only matters without flattening (mergekit: flatten wins)
      if (global('nuslerp_flatten') === false) {
        job.rowPass = { kind: 'nuslerp', t };
        job.rowLen = lt.shape.length === 0 ? 1 : lt.shape[lt.shape.length - 1]!;
      } else job.coefPass = { kind: 'nuslerp', t };
      for (const tm of terms) tm.coef = 1;
    } else if (spec.combine === 'model_stock') {
      // filter_wise: one t per row of the last dimension (a 1-D tensor is one row), as mergekit
      if (global('filter_wise') === true) {
        job.rowPass = { kind: 'model_stock' };
        job.rowLen = lt.shape.length === 0 ? 1 : lt.shape[lt.shape.length - 1]!;
      } else job.coefPass = { kind: 'model_stock' };
    } else if (spec.combine === 'sce') {
      const k = global('select_topk');
      if (k !== undefined) checkLeaf('select_topk', k, `parameters.select_topk (tensor ${name})`);
      job.sce = { topk: Number(k ?? 1) };
    } else if (spec.combine === 'ram') {
      const leaf = (p: GlobalParamName, dflt: number): number => {
        const v = global(p);
        if (v !== undefined) checkLeaf(p, v, `parameters.${p} (tensor ${name})`, config.method);
        return Number(v ?? dflt);
      };
      job.ram = { eps: leaf('epsilon', 1e-5) };
      if (config.method === 'ramplus_tl') job.ram.plus = { r: leaf('r', 0.1), alpha: leaf('alpha', 0.2) };
    } else if (spec.combine === 'arcee_fusion') {
      // softmax over the last dimension, as mergekit's dim=-1; chunks hold whole rows
      const cols = lt.shape.length === 0 ? 1 : lt.shape[lt.shape.length - 1]!;
      job.fusion = { cols };
      job.rowLen = cols;
      if (lt.numel > 1e6)
        notes.add(
          `arcee_fusion: exact quantiles of the importance on tensors over 10⁶ elements (e.g. "${name}"), where mergekit takes them from 10⁶ values sampled at random (its result changes from run to run there)`,
        );
    } else if (spec.combine === 'nearswap') {
      const t = global('t');
      if (t === undefined)
        throw inputError(`parameters.t: no filter rule matches tensor "${name}"; add a rule without a filter as the default`);
      checkLeaf('t', t, `parameters.t (tensor ${name})`, config.method);
      job.nearswap = { t: t as number };
    } else if (spec.combine === 'multislerp') {
      const eps = global('eps');
      if (eps !== undefined) checkLeaf('eps', eps, `parameters.eps (tensor ${name})`);
      job.coefPass = {
        kind: 'multislerp',
        weights: terms.map((tm) => tm.divw),
        normalizeWeights: Boolean(global('normalize_weights') ?? true),
        eps: Number(eps ?? 1e-8),
      };
      for (const tm of terms) tm.coef = 1;
    } else if (spec.combine === 'karcher') {
      const maxIter = global('max_iter'),
        tol = global('tol');
      if (maxIter !== undefined) checkLeaf('max_iter', maxIter, `parameters.max_iter (tensor ${name})`);
      if (tol !== undefined) checkLeaf('tol', tol, `parameters.tol (tensor ${name})`);
      job.coefPass = { kind: 'karcher', maxIter: Number(maxIter ?? 10), tol: Number(tol ?? 1e-5) };
    }
    if (sparsify === 'della') {
      if (lt.shape.length > 2)
        throw inputError(
          `tensor "${name}" has shape [${lt.shape.join(', ')}]; ${config.method} ranks magnitudes per row of 1-D and 2-D tensors only`,
        );
      job.rowLen = lt.shape.length === 2 ? lt.shape[1]! : lt.numel;
    }
    if (baseIn) {
      job.base = sourceOf(baseIn.info);
      job.baseModel = baseIn.model;
      inputBytes += baseIn.info.byteLength;
    }
    if (spec.combine === 'sum' && normalize && !spec.elect && terms.reduce((s, t) => s + t.divw, 0) === 0) {
      throw inputError(
        `parameters.normalize: the weights of tensor "${name}" sum to 0, so normalizing would divide by zero; change the weights or set normalize: false`,
      );
    }
    jobs.push(job);
    shapes.push(lt.shape);
    outDtypes.push(outDtype);
  });
  if (jobs.length === 0) throw runtimeError(`the merge plan has no tensors`);
  if (vocabPlan)
    notes.add(
      `tokenizer_source: ${config.tokenizerSource === 'union' ? 'union' : 'a model'}: ${vocabPlan.tokens.length} tokens (${vocabPlan.added.length} added to ${layoutModel.path}'s: ${vocabPlan.added
        .slice(0, 5)
        .map((t) => JSON.stringify(t))
        .join(', ')}${vocabPlan.added.length > 5 ? ', …' : ''}); embedding rows rebuilt as mergekit does`,
    );
  const plan: MergePlan = {
    config,
    layoutModel,
    models,
    jobs,
    shapes,
    outDtypes,
    inputBytes,
    rescaleModes: [...rescaleModes],
    vocab,
    outputLayers,
    notes: [...notes],
  };
  if (vocabPlan) plan.vocabPlan = vocabPlan;
  if (base) plan.base = base;
  return plan;
}
