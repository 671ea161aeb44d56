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
import type { MergeConfig, ModelEntry, SliceConfig } from './config.js';
import { combinerOf } from './combiners/index.js';
import { assertAddressable } from './engine.js';
import type { ModelTerm, TensorJob } from './job.js';
import { METHODS, methodParams, type MethodSpec } from './methods.js';
import { checkParamLeaf, parseRescale, type ParamDecl, type RescaleMode } from './param-decl.js';
import { SPARSIFIERS, sparsifierSelection, type SparsifierState } from './sparsifiers/index.js';
import type { SparsifierUnit, TermContext } from './sparsifiers/types.js';
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
  params: Readonly<Record<string, ParamValue | undefined>>;
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
  // a tensor outside the layer stack (embeddings first, final norm and lm_head last): from one slice's sources at t = 0
  const endTensor = (name: string, lead: Model, si: number): OutTensor => ({
    name,
    layout: layoutModel.tensors.get(name) ?? lead.tensors.get(name)!,
    sources: sourcesOf(slices[si]!, () => name),
    t: 0,
    slice: slices[si]!.parameters,
    sliceIndex: si,
  });
  for (const name of outside(models[firstSlice.sources[0]!.model]!, true)) outs.push(endTensor(name, first, 0));
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
  for (const name of byPlanOrder(outside(lastLead, false), LLAMA_POST_ORDER)) outs.push(endTensor(name, lastLead, slices.length - 1));
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
  const combiner = combinerOf(spec.combine);
  const decls = methodParams(config.method);
  const declared = (p: string): ParamDecl | undefined => decls.find((d) => d.name === p);
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
    if (config.slices && (spec.usesBase || combiner.optionalBase)) {
      const bi = srcs.findIndex(isBase);
      if (bi >= 0) {
        baseIn = { info: models[srcs[bi]!.model]!.tensors.get(srcs[bi]!.name)!, model: config.models[srcs[bi]!.model]!.path };
        srcs = srcs.filter((_, j) => j !== bi);
      } else if (spec.usesBase) {
        throw inputError(
          `${where}.sources: ${config.method} merges deltas from base_model, so base_model must be one of each slice's sources (as in mergekit)`,
        );
      }
    }
    combiner.checkSources?.(srcs.length, where, name, config.method);
    const baseDtype = mathDtypeOf(lt);
    const outDtype: OutDtype = config.outDtype ?? o.outDtype ?? (baseDtype === 'F64' ? 'F32' : baseDtype);
    // merge-wide parameters: the slice's, then the top level's; filters match the output tensor's name (mergekit)
    const global = (p: string): ParamScalar | undefined => {
      const sv = o.slice?.[p];
      const v = sv !== undefined ? resolveParamAt(sv, name, o.t) : undefined;
      if (v !== undefined) return v;
      const g = config.parameters[p];
      return g === undefined ? undefined : resolveParamAt(g, name, o.t);
    };
    // a merge-wide parameter the method declares, checked against its declaration
    const checkedGlobal = (p: string): ParamScalar | undefined => {
      const d = declared(p);
      const v = d ? global(p) : undefined;
      if (d && v !== undefined) checkParamLeaf(d, v, `parameters.${p} (tensor ${name})`);
      return v;
    };
    const lambda = declared('lambda') ? Number(global('lambda') ?? declared('lambda')!.default) : 1;
    const normalize = Boolean(global('normalize') ?? spec.normalize);
    const globalRescale = global('rescale');
    const rescale: RescaleMode = globalRescale === undefined ? spec.rescale : parseRescale(globalRescale, 'parameters.rescale');
    const order = combiner.order ? combiner.order(srcs.map(isBase)) : srcs.map((_, i) => i);
    const jobUsesBase = baseIn !== undefined;
    const sparsifier = SPARSIFIERS[
      combiner.sparsifiesWithoutBase === false && !jobUsesBase ? 'none' : spec.sparsify
    ] as SparsifierUnit<SparsifierState>;
    let rowLen: number | undefined;
    const terms: ModelTerm[] = order.map((i) => {
      const src = srcs[i]!;
      const t = models[src.model]!.tensors.get(src.name)!;
      const entryAt = config.slices ? `${where}.sources[${o.sources.indexOf(src)}]` : `models[${src.model}]`;
      // per-model parameters: the source's own, the slice's, the top level's, the default; filters match the input tensor's name
      const param = (p: string): number | undefined => {
        const own = src.params[p];
        const fromSlice = o.slice?.[p];
        const v = own !== undefined ? resolveParamAt(own, src.name, o.t) : undefined;
        const sv = v ?? (fromSlice !== undefined ? resolveParamAt(fromSlice, src.name, o.t) : undefined);
        const g = sv ?? (config.parameters[p] !== undefined ? resolveParamAt(config.parameters[p]!, src.name, o.t) : undefined);
        const d = declared(p)!;
        const r = g ?? d.default;
        if (r !== undefined) checkParamLeaf(d, r, `${entryAt}.parameters.${p} (tensor ${name})`);
        return r as number | undefined;
      };
      const weight = declared('weight') ? param('weight') : 1;
      if (weight === undefined)
        throw inputError(
          `${entryAt}.parameters.weight: no value for tensor "${name}"; ${config.method} needs a weight per model (add one, or a rule without a filter as the default)`,
        );
      const ctx: TermContext = {
        param: (p) => (declared(p) ? param(p)! : 1),
        seed: config.seed,
        position: i,
        tensor: name,
        numel: lt.numel,
        shape: lt.shape,
        rescale,
        where: `${entryAt}.parameters`,
        method: config.method,
      };
      const sparse = sparsifier.plan(ctx);
      rowLen = sparsifier.rowLen?.(ctx) ?? rowLen;
      const density = ctx.param('density');
      let scale = declared('scale') ? param('scale')! : 1;
      let l1 = false;
      if (sparsifier.inverse) {
        if (rescale === 'inverse')
          scale = sparsifier.inverse === 'element' ? 1 : 1 / density; // per element: 1/p of each survivor, in the kernel
        else if (rescale === 'l1') l1 = density < 1;
        else if (typeof rescale === 'number') scale = rescale;
        if (globalRescale === undefined && density < 1 && sparsifier.inverseNote && combiner.taskArithmetic) {
          notes.add(
            `rescale: inverse (darekit's default: DARE/DELLA survivors × 1/${sparsifier.inverseNote}); mergekit's default (rescale: true) matches the L1 norm instead, so set rescale: l1 for mergekit's numbers`,
          );
        }
      }
      inputBytes += t.byteLength;
      return { input: sourceOf(t), model: models[src.model]!.path, coef: weight * scale, divw: weight, sparse, l1 };
    });
    if (sparsifier.inverse) rescaleModes.add(typeof rescale === 'number' ? `×${rescale}` : rescale);
    const planned = combiner.plan({
      method: config.method,
      tensor: name,
      shape: lt.shape,
      numel: lt.numel,
      terms,
      global: checkedGlobal,
      notes,
    });
    const job: TensorJob = {
      index,
      name,
      numel: lt.numel,
      terms,
      elect: spec.elect,
      normalize: combiner.taskArithmetic ? normalize : false,
      lambda,
      combine: planned.state,
      prepass: false,
      out: { fd: -1, byteOffset: 0, dtype: outDtype },
    };
    rowLen = planned.rowLen ?? rowLen;
    if (rowLen !== undefined) job.rowLen = rowLen;
    job.prepass =
      (combiner.prep !== undefined && (combiner.needsPrep?.(planned.state) ?? true)) ||
      terms.some((t) => t.l1 || sparsifierSelection(t.sparse, lt.numel) !== undefined);
    if (baseIn) {
      job.base = sourceOf(baseIn.info);
      job.baseModel = baseIn.model;
      inputBytes += baseIn.info.byteLength;
    }
    if (combiner.taskArithmetic && normalize && !spec.elect && terms.reduce((s, t) => s + t.divw, 0) === 0) {
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
