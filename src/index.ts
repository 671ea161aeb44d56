// The darekit library API. The CLI (src/cli) is a thin layer over these functions.
export { DarekitError, isDarekitError, type ErrorKind } from './errors.js';
export { openModel, type Model } from './io/model.js';
export { inspectModel, type ModelInspection } from './io/inspect.js';
export { readSafetensorsHeader, type TensorInfo, type SafetensorsHeader } from './io/safetensors.js';
export { TensorReader } from './io/tensor-reader.js';
export { parseTensorName, type ModuleKind, type TensorRole } from './io/tensor-names.js';
export { planShards, indexJson, writeSafetensorsFile, shardFileName, type PlannedTensor, type ShardPlan, type EncodedTensor } from './io/writer.js';
export { OutputDir, checkFreeSpace } from './io/output-dir.js';
export { checkHomology, assertHomologous, summarizeHomology, type HomologyReport, type ModelHomology, type HomologyOptions } from './io/homology.js';
export { generateFamily, familyTensors, familyConfig, type FamilyOptions, type FineTuneSpec, type GeneratedFamily, type GeneratedModel } from './fixtures/family.js';
export { PRESETS, type FamilyPreset } from './fixtures/presets.js';
export { analyze, type AnalyzeOptions } from './analysis/index.js';
export { analyzeModels, DEFAULT_DENSITIES, type AnalyzeModelsOptions } from './analysis/analyze.js';
export type { AnalysisResult, DeltaSums, DeltaStats, TensorStats, LayerStats, ModelStats, PairStats, HistogramBin } from './analysis/types.js';
export { readAnalysis, writeAnalysisFiles, ANALYSIS_DB, ANALYSIS_VIEWS } from './store/analysis-store.js';
export { query, withDb, type Db, type QueryResult, type CellValue } from './store/db.js';
export { writeTable, toArrowTable, toArrowIPC, exportParquet, type Column, type ColumnType, type Row } from './store/table.js';
