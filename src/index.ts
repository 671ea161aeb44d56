// darekit's library API: the documented functions and the types they take and return (README "Library API").
// Internals (codecs, planners, pools, table builders, fixture helpers) are not exported.
export { DarekitError, isDarekitError, type ErrorKind } from './errors.js';
export { openModel, type Model, type ModelTensor } from './io/model.js';
export { inspectModel, type ModelInspection } from './io/inspect.js';
export type { TensorInfo } from './io/safetensors.js';
export { TensorReader } from './io/tensor-reader.js';
export { readTensorBytes } from './io/tensor-bytes.js';
export type { TensorSource, FileSource, LoraSource, VocabSource, RowsSource } from './io/tensor-source.js';
export type { ReadContext } from './io/read-context.js';
export { openFinetune } from './io/lora.js';
export { OutputDir } from './io/output-dir.js';
export { generateFamily, type FamilyOptions, type GeneratedFamily } from './fixtures/family.js';
export { analyze, type AnalyzeOptions } from './app/analyze.js';
export type { AnalysisResult, TensorStats, LayerStats, ModelStats, PairStats } from './schema/analysis.js';
export { readAnalysis } from './store/analysis-store.js';
export { query, withDb, type Db, type QueryResult, type CellValue } from './store/db.js';
export { writeTable, type Column, type ColumnType, type Row } from './store/table.js';
export { merge, type MergeOptions, type MergeSummary } from './merge/executor.js';
export { parseMergeConfig, loadMergeConfig, type MergeConfig } from './merge/config.js';
export {
  predict,
  predictionsToJson,
  type Predictions,
  type PredictionsJson,
  type ModelPrediction,
  type SetPrediction,
  type Verdict,
} from './predict/index.js';
export { runDashboard, type DashboardData } from './dash/index.js';
export { loadDashboardData } from './app/dashboard.js';
export { tune, type TuneOptions, type TuneResult, type Recipe } from './tune/index.js';
export { writeReport, type WriteReportOptions } from './report/index.js';
export { runProbe, type ProbeRunOptions } from './app/probe.js';
export type { ProbeResult } from './model/probe.js';
export { DAREKIT_VERSION } from './version.js';
