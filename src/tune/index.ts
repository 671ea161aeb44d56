// Recipes from predictions, black-box search with an eval command, and the tune pipeline.
export { tune, type TuneOptions, type TuneResult, type TuneEvalOptions } from './tune.js';
export { buildRecipe, chooseMethod, scaledRecipe, type Recipe, type RecipeModel, type DensitySpec, type TuneMethod } from './recipe.js';
export { recipeToYaml } from '../schema/recipe-yaml.js';
export { coordinateSearch, type SearchPoint, type SearchOptions } from './search.js';
export { runEval, parseScore, shellQuote, fillCommand, type EvalOutcome } from './eval-command.js';
export { writeTrials, readTrials, TRIAL_COLUMNS } from './trials-table.js';
export type { TrialRecord, TrialStatus } from './trials.js';
export { subsetAnalysis } from '../analysis/subset.js';
