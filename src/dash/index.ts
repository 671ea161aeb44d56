// The dashboard's public surface.
export { runDashboard, type RunDashboardOptions } from './run.js';
export { Dashboard, HELP_LINE, type DashboardProps } from './components/App.js';
export { toDashboardData } from './adapter.js';
export { dashboardSummary } from './summary.js';
export { writeRecipe } from './recipe.js';
export type { DashboardData, DashModel, DashRow, DashPair, DashRecipe, RecipeModel } from './model.js';
