import { inputError } from '../errors.js';
import { bytesPerElement, isMathDtype, type Dtype, type MathDtype } from './dtypes.js';
import type { Model, ModelTensor } from './model.js';
import { parseTensorName } from './tensor-names.js';
import { sourceOf } from './tensor-reader.js';
import type { VocabSource } from './tensor-source.js';

/** A tensor whose shape differs from the base's. */
export interface ShapeMismatch {
  name: string;
  shape: number[];
  baseShape: number[];
  /** True when only the first dimension (vocabulary rows) of an embedding or lm_head differs. */
  vocabRows: boolean;
}

/** A tensor whose dtype darekit cannot compute with. */
export interface DtypeIssue {
  name: string;
  dtype: Dtype;
  /** Which model holds it: 'base' or the fine-tune's path. */
  model: string;
}

/** How one fine-tune compares with the base. */
export interface ModelHomology {
  path: string;
  missing: string[];
  extra: string[];
  shapeMismatches: ShapeMismatch[];
  dtypeIssues: DtypeIssue[];
  /** True when nothing above blocks a merge (allowed vocab-row mismatches do not count). */
  ok: boolean;
}

/** The homology of a family: the base's own dtype issues and one entry per fine-tune. */
export interface HomologyReport {
  basePath: string;
  baseDtypeIssues: DtypeIssue[];
  models: ModelHomology[];
  ok: boolean;
}

/** Options of checkHomology. */
export interface HomologyOptions {
  /** Accept embed_tokens/lm_head tensors whose row count (vocabulary size) differs; default false (strict). */
  allowVocabMismatch?: boolean;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function isVocabRowsOnly(name: string, a: number[], b: number[]): boolean {
  const m = parseTensorName(name).module;
  if (m !== 'embedding' && m !== 'lm_head') return false;
  return a.length === b.length && a.length >= 1 && a.slice(1).every((d, i) => d === b[i + 1]);
}

function nonMathIssues(model: Model, label: string): DtypeIssue[] {
  const out: DtypeIssue[] = [];
  for (const name of model.names) {
    const t = model.tensors.get(name)!;
    if (!isMathDtype(t.dtype)) out.push({ name, dtype: t.dtype, model: label });
  }
  return out;
}

/**
 * Compare fine-tunes with a base: same tensor names, same shapes, dtypes darekit can compute with
 * (mixed float dtypes such as a BF16 base and an F32 fine-tune are fine).
 */
export function checkHomology(base: Model, others: Model[], opts: HomologyOptions = {}): HomologyReport {
  const baseDtypeIssues = nonMathIssues(base, 'base');
  const models = others.map((m): ModelHomology => {
    const missing = base.names.filter((n) => !m.tensors.has(n));
    const extra = m.names.filter((n) => !base.tensors.has(n));
    const shapeMismatches: ShapeMismatch[] = [];
    for (const name of base.names) {
      const t = m.tensors.get(name);
      const b = base.tensors.get(name)!;
      if (t && !sameShape(t.shape, b.shape)) {
        shapeMismatches.push({ name, shape: t.shape, baseShape: b.shape, vocabRows: isVocabRowsOnly(name, t.shape, b.shape) });
      }
    }
    const dtypeIssues = nonMathIssues(m, m.path);
    const blockingShapes = shapeMismatches.filter((s) => !(opts.allowVocabMismatch && s.vocabRows));
    const ok = missing.length === 0 && extra.length === 0 && blockingShapes.length === 0 && dtypeIssues.length === 0;
    return { path: m.path, missing, extra, shapeMismatches, dtypeIssues, ok };
  });
  return { basePath: base.path, baseDtypeIssues, models, ok: baseDtypeIssues.length === 0 && models.every((m) => m.ok) };
}

const SHOW = 3;

function listNames(names: string[]): string {
  const shown = names
    .slice(0, SHOW)
    .map((n) => `"${n}"`)
    .join(', ');
  return names.length > SHOW ? `${shown} and ${names.length - SHOW} more` : shown;
}

/** One line summarizing everything that makes a report not homologous (empty when ok). */
export function summarizeHomology(report: HomologyReport, opts: HomologyOptions = {}): string {
  const parts: string[] = [];
  if (report.baseDtypeIssues.length > 0) {
    const i = report.baseDtypeIssues;
    parts.push(
      `base ${report.basePath} has ${i.length} tensor(s) in dtypes darekit cannot compute with (${i[0]!.dtype} in "${i[0]!.name}"); dequantize it first`,
    );
  }
  for (const m of report.models) {
    if (m.ok) continue;
    const p: string[] = [];
    if (m.missing.length > 0) p.push(`${m.missing.length} tensor(s) missing (${listNames(m.missing)})`);
    if (m.extra.length > 0) p.push(`${m.extra.length} extra tensor(s) not in the base (${listNames(m.extra)})`);
    const shapes = m.shapeMismatches.filter((s) => !(opts.allowVocabMismatch && s.vocabRows));
    if (shapes.length > 0) {
      const hint = (s: ShapeMismatch): string =>
        s.vocabRows
          ? ` (a different vocabulary size; pass --truncate-vocab, or truncate_vocab: true in a merge config, to use the base's ${s.baseShape[0]} rows)`
          : '';
      const shown = shapes
        .slice(0, SHOW)
        .map((s) => `"${s.name}" shape [${s.shape.join(', ')}] vs base [${s.baseShape.join(', ')}]${hint(s)}`);
      p.push(`${shapes.length} shape mismatch(es): ${shown.join('; ')}${shapes.length > SHOW ? ` and ${shapes.length - SHOW} more` : ''}`);
    }
    if (m.dtypeIssues.length > 0)
      p.push(
        `${m.dtypeIssues.length} tensor(s) in dtypes darekit cannot compute with (${m.dtypeIssues[0]!.dtype} in "${m.dtypeIssues[0]!.name}"); dequantize it first`,
      );
    parts.push(`${m.path}: ${p.join('; ')}`);
  }
  return parts.join(' | ');
}

/** Throw one input error summarizing every problem when the fine-tunes are not homologous with the base. */
export function assertHomologous(base: Model, others: Model[], opts: HomologyOptions = {}): HomologyReport {
  const report = checkHomology(base, others, opts);
  if (!report.ok) {
    throw inputError(
      `models are not homologous with base ${base.path}: ${summarizeHomology(report, opts)}. Every model must have the base's tensor names and shapes`,
    );
  }
  return report;
}

/** One fine-tune tensor whose vocabulary rows were cut or filled to the base's count. */
export interface VocabAdjustment {
  /** The fine-tune's path as given. */
  model: string;
  tensor: string;
  /** 'truncated': the fine-tune's rows past the base's are ignored; 'padded': missing rows read the base (a zero delta). */
  action: 'truncated' | 'padded';
  rows: number;
  baseRows: number;
}

/** The fine-tune's tensor seen with the base's shape: its own first rows, the base's rows past them. */
function vocabView(own: ModelTensor, base: ModelTensor): ModelTensor {
  const ownDtype = own.dtype as MathDtype;
  const dtype: MathDtype = ownDtype === base.dtype ? ownDtype : 'F32';
  const rowElements = base.shape.slice(1).reduce((a, b) => a * b, 1);
  const ownElements = Math.min(own.shape[0]!, base.shape[0]!) * rowElements;
  const source: VocabSource = { kind: 'vocab', name: own.name, dtype, ownElements, own: sourceOf(own), base: sourceOf(base) };
  return { ...own, dtype, shape: [...base.shape], numel: base.numel, byteLength: base.numel * bytesPerElement(dtype), source };
}

/**
 * Check homology and, when `truncateVocab`, give each fine-tune the base's vocabulary size: an embedding or
 * lm_head with more rows contributes its first base-count rows, one with fewer rows contributes a zero delta
 * (the base's values) for the rest. Only such row counts may differ; everything else is refused as before.
 * Returns the (possibly viewed) fine-tunes and what was cut or padded.
 */
export function alignFinetunes(
  base: Model,
  others: Model[],
  opts: { truncateVocab?: boolean } = {},
): { models: Model[]; vocab: VocabAdjustment[] } {
  const report = assertHomologous(base, others, { allowVocabMismatch: opts.truncateVocab ?? false });
  const vocab: VocabAdjustment[] = [];
  const models = others.map((m, i) => {
    const mismatches = report.models[i]!.shapeMismatches.filter((s) => s.vocabRows);
    if (mismatches.length === 0) return m;
    const tensors = new Map(m.tensors);
    for (const s of mismatches) {
      tensors.set(s.name, vocabView(m.tensors.get(s.name)!, base.tensors.get(s.name)!));
      vocab.push({
        model: m.path,
        tensor: s.name,
        action: s.shape[0]! > s.baseShape[0]! ? 'truncated' : 'padded',
        rows: s.shape[0]!,
        baseRows: s.baseShape[0]!,
      });
    }
    return { ...m, tensors };
  });
  return { models, vocab };
}

/** One line per vocabulary adjustment, e.g. `sft: "lm_head.weight" truncated 32002 → 32000 rows (2 rows dropped)`. */
export function describeVocabAdjustment(a: VocabAdjustment): string {
  const d = Math.abs(a.rows - a.baseRows);
  return `${a.model}: "${a.tensor}" ${a.action} ${a.rows} → ${a.baseRows} rows (${d} row${d === 1 ? '' : 's'} ${a.action === 'truncated' ? 'dropped' : 'taken from the base, a zero delta'})`;
}
