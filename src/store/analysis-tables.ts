// The analysis tables (models, tensors, layers, pairs, histograms, meta): one column list per table, with the
// field each column comes from, its unit and its definition. The README "Analysis tables" section is this list.
import { DELTA_RECORD, PAIR_RECORD, type RecordField } from '../kernel/abi.js';
import type { AnalysisResult, DeltaStats, HistogramBin, LayerStats, ModelStats, PairStats, TensorStats } from '../schema/analysis.js';
import { columnTable, type ColumnTable } from './column-data.js';
import type { CellValue } from './db.js';
import type { Column, ColumnType, Row } from './columns.js';

/** A column bound to a field of a result row: how to write it and how to read it back. */
export interface FieldColumn<T> extends Column {
  get(r: T): Row[string];
  put(o: Record<string, unknown>, v: CellValue): void;
}

function field<T>(key: string, name: string, type: ColumnType, unit: string, doc: string): FieldColumn<T> {
  return {
    name,
    type,
    unit,
    doc,
    get: (r) => (r as Record<string, unknown>)[key] as Row[string],
    put: (o, v) => {
      o[key] = type === 'VARCHAR' || v === null ? v : typeof v === 'string' ? Number(v) : v;
    },
  };
}

type StatKey = keyof DeltaStats;
type Spec<K extends string> = [K, string, ColumnType, string, string];

/** The column spec of a kernel record field (kernel/abi.ts): its name, SQL type (counts are BIGINT), unit and doc. */
function recordSpec<F extends RecordField>(fields: readonly F[], name: F['name']): Spec<F['name']> {
  const f = fields.find((x) => x.name === name)!;
  return [f.name, f.column, f.count ? 'BIGINT' : 'DOUBLE', f.unit, f.doc];
}

/** A column bound to a kernel record field. */
function recordField<T, F extends RecordField>(fields: readonly F[], name: F['name']): FieldColumn<T> {
  return field<T>(...recordSpec(fields, name));
}
const STAT_SPECS: Spec<StatKey>[] = [
  ['numel', 'numel', 'BIGINT', 'elements', 'number of entries in the scope (finite or not)'],
  recordSpec(DELTA_RECORD, 'nonFinite'),
  ['meanDelta', 'mean_delta', 'DOUBLE', 'weight units', 'ΣΔ / N over the N finite entries'],
  ['stdDelta', 'std_delta', 'DOUBLE', 'weight units', 'population standard deviation of Δ: √(ΣΔ²/N − mean²)'],
  ['meanAbsDelta', 'mean_abs_delta', 'DOUBLE', 'weight units', 'Σ|Δ| / N'],
  recordSpec(DELTA_RECORD, 'maxAbsDelta'),
  ['deltaL2', 'delta_l2', 'DOUBLE', 'weight units', '‖Δ‖ = √ΣΔ²'],
  ['baseL2', 'base_l2', 'DOUBLE', 'weight units', '‖W_base‖ over the finite entries'],
  ['ftL2', 'ft_l2', 'DOUBLE', 'weight units', '‖W_ft‖ over the finite entries'],
  ['rho', 'rho', 'DOUBLE', 'ratio', 'ρ = ‖Δ‖² / ‖W_base‖² (relative delta energy); 0 when both are 0, Inf when only the base is 0'],
  ['q50Abs', 'q50_abs', 'DOUBLE', 'weight units', 'median of |Δ| (nearest rank) from the histogram; error ≤ value/64 + 2⁻¹³¹'],
  ['q90Abs', 'q90_abs', 'DOUBLE', 'weight units', '90th percentile of |Δ|, same estimator and bound'],
  ['q99Abs', 'q99_abs', 'DOUBLE', 'weight units', '99th percentile of |Δ|, same estimator and bound'],
  ['q999Abs', 'q999_abs', 'DOUBLE', 'weight units', '99.9th percentile of |Δ|, same estimator and bound'],
  ['fracLe0002', 'frac_le_0002', 'DOUBLE', 'share', 'share of finite entries with |Δ| ≤ 0.002 (exact count)'],
  ['fracLe0005', 'frac_le_0005', 'DOUBLE', 'share', 'share of finite entries with |Δ| ≤ 0.005 (exact count)'],
  [
    'droppableShare',
    'droppable_share',
    'DOUBLE',
    'share',
    'share of entries, smallest |Δ| first, that together carry ≤ 1% of ΣΔ² (a lower bound; 1 when Δ = 0)',
  ],
  [
    'droppableShareErr',
    'droppable_share_err',
    'DOUBLE',
    'share',
    'the true droppable share lies in [droppable_share, droppable_share + this]',
  ],
  ['signBalance', 'sign_balance', 'DOUBLE', 'ratio in [−1, 1]', '(#Δ>0 − #Δ<0) / (#Δ>0 + #Δ<0); 0 when every Δ is 0'],
  [
    'excessKurtosis',
    'excess_kurtosis',
    'DOUBLE',
    'ratio',
    'm₄/m₂² − 3 from raw moments (central moments of Δ); NaN when the variance is 0',
  ],
  // the raw sums: the rest of the delta record, in its order
  ...DELTA_RECORD.filter((f) => f.name !== 'nonFinite' && f.name !== 'maxAbsDelta').map((f) => recordSpec(DELTA_RECORD, f.name)),
];

function statColumns<T extends DeltaStats>(): FieldColumn<T>[] {
  return STAT_SPECS.map(([key, name, type, unit, doc]) => field<T>(key, name, type, unit, doc));
}

const layerColumn = <T>(doc: string): FieldColumn<T> => field<T>('layer', 'layer', 'BIGINT', 'index', doc);

/** models: one row per fine-tune, rolled up over every tensor from sums. */
export const MODEL_COLUMNS: FieldColumn<ModelStats>[] = [
  field('model', 'model', 'VARCHAR', '', 'fine-tune label'),
  field('path', 'path', 'VARCHAR', '', 'fine-tune path as given'),
  field('tensors', 'tensors', 'INTEGER', 'tensors', 'tensors analyzed'),
  field('loraRank', 'lora_rank', 'INTEGER', 'rank', 'LoRA rank for adapters, else NULL'),
  ...statColumns<ModelStats>(),
];

/** tensors: one row per fine-tune × tensor. */
export const TENSOR_COLUMNS: FieldColumn<TensorStats>[] = [
  field('model', 'model', 'VARCHAR', '', 'fine-tune label'),
  field('tensor', 'tensor', 'VARCHAR', '', 'tensor name'),
  layerColumn('block index parsed from the name; NULL outside the numbered blocks'),
  field('module', 'module', 'VARCHAR', '', 'attn_q|attn_k|attn_v|attn_o|mlp_gate|mlp_up|mlp_down|embedding|norm|lm_head|other'),
  field('dtype', 'dtype', 'VARCHAR', '', "the base's safetensors dtype"),
  {
    name: 'shape',
    type: 'VARCHAR',
    unit: 'JSON',
    doc: 'shape as a JSON array, e.g. [2048, 5632]',
    get: (r) => JSON.stringify(r.shape),
    put: (o, v) => {
      o.shape = JSON.parse(String(v)) as number[];
    },
  },
  ...statColumns<TensorStats>(),
];

/** layers: one row per fine-tune × block (layer NULL: every tensor outside the blocks). */
export const LAYER_COLUMNS: FieldColumn<LayerStats>[] = [
  field('model', 'model', 'VARCHAR', '', 'fine-tune label'),
  layerColumn('block index; NULL rolls up embeddings, final norm, lm_head and other tensors'),
  field('tensors', 'tensors', 'INTEGER', 'tensors', 'tensors in the rollup'),
  ...statColumns<LayerStats>(),
];

/** Column name of the expected overlap at density d, e.g. overlap_d50 for 0.5. */
export function overlapColumn(d: number): string {
  return `overlap_d${String(Math.round(d * 1000) / 10).replace('.', '_')}`;
}

/** pairs: one row per pair of fine-tunes × scope (model, layer, tensor); overlap columns follow the densities. */
export function pairColumns(densities: number[]): FieldColumn<PairStats>[] {
  return [
    field('a', 'a', 'VARCHAR', '', 'first fine-tune (in command-line order)'),
    field('b', 'b', 'VARCHAR', '', 'second fine-tune'),
    field('scope', 'scope', 'VARCHAR', '', 'model | layer | tensor'),
    layerColumn('block index for layer/tensor scopes (NULL: outside the blocks, or the model scope)'),
    field('tensor', 'tensor', 'VARCHAR', '', 'tensor name for the tensor scope, else NULL'),
    field('numel', 'numel', 'BIGINT', 'elements', 'entries in the scope'),
    recordField(PAIR_RECORD, 'dot'),
    field('sqA', 'sq_a', 'DOUBLE', 'weight units²', '‖Δa‖²'),
    field('sqB', 'sq_b', 'DOUBLE', 'weight units²', '‖Δb‖²'),
    field('cosine', 'cosine', 'DOUBLE', 'ratio in [−1, 1]', 'dot / √(sq_a·sq_b); 0 when either delta is 0'),
    recordField(PAIR_RECORD, 'bothNonzero'),
    recordField(PAIR_RECORD, 'conflicts'),
    field('signConflict', 'sign_conflict', 'DOUBLE', 'share', 'conflicts / both_nonzero (0 when none)'),
    recordField(PAIR_RECORD, 'minBoth'),
    recordField(PAIR_RECORD, 'minConflict'),
    field(
      'weightedConflict',
      'weighted_conflict',
      'DOUBLE',
      'share',
      'min_conflict / min_both: the magnitude that sign election would cancel',
    ),
    ...densities.map((d, i): FieldColumn<PairStats> => ({
      name: overlapColumn(d),
      type: 'DOUBLE',
      unit: 'share',
      doc: `expected share of entries both keep non-zero after DARE at density ${d} each: ${d}² · both_nonzero / numel`,
      get: (r) => r.overlapExpected[i],
      put: (o, v) => {
        ((o.overlapExpected ??= []) as number[])[i] = Number(v);
      },
    })),
  ];
}

/** histograms: non-empty bins of |Δ| per model, layer and tensor. */
export const HISTOGRAM_COLUMNS: FieldColumn<HistogramBin>[] = [
  field('model', 'model', 'VARCHAR', '', 'fine-tune label'),
  field('scope', 'scope', 'VARCHAR', '', 'model | layer | tensor'),
  layerColumn('block index (layer/tensor scopes), else NULL'),
  field('tensor', 'tensor', 'VARCHAR', '', 'tensor name (tensor scope), else NULL'),
  field('bin', 'bin', 'INTEGER', 'index', 'float32 bits of |Δ| >>> 18 (8 exponent + 5 mantissa bits)'),
  field('lo', 'lo', 'DOUBLE', 'weight units', 'lower edge (inclusive) of the bin'),
  field('hi', 'hi', 'DOUBLE', 'weight units', 'upper edge (exclusive); hi/lo ≤ 33/32 for |Δ| ≥ 2⁻¹²⁶'),
  field('count', 'count', 'BIGINT', 'elements', 'finite entries with |Δ| in [lo, hi)'),
  field('energy', 'energy', 'DOUBLE', 'weight units²', 'Σ Δ² of those entries (relative error < 2⁻²²)'),
];

/** meta: key/value facts about the run. */
export const META_COLUMNS: Column[] = [
  { name: 'key', type: 'VARCHAR', doc: 'base | densities | darekit_version | stats_block | created' },
  { name: 'value', type: 'VARCHAR', doc: 'value (JSON for densities)' },
];

/** Typed records in column form through their column list (each getter runs once per record). */
export function toColumns<T>(records: T[], columns: FieldColumn<T>[]): ColumnTable {
  return columnTable(columns, records, (c) => c.get);
}

/** Typed records back from query rows through their column list. */
export function fromRows<T>(rows: Record<string, CellValue>[], columns: FieldColumn<T>[]): T[] {
  return rows.map((row) => {
    const o: Record<string, unknown> = {};
    for (const c of columns) c.put(o, row[c.name] ?? null);
    return o as T;
  });
}

/** Every table of an AnalysisResult in column form, in write order. */
export function analysisTables(r: AnalysisResult): { name: string; table: ColumnTable }[] {
  return [
    { name: 'models', table: toColumns(r.models, MODEL_COLUMNS) },
    { name: 'tensors', table: toColumns(r.tensors, TENSOR_COLUMNS) },
    { name: 'layers', table: toColumns(r.layers, LAYER_COLUMNS) },
    { name: 'pairs', table: toColumns(r.pairs, pairColumns(r.densities)) },
    { name: 'histograms', table: toColumns(r.histograms, HISTOGRAM_COLUMNS) },
  ];
}
