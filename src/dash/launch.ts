// Loads the interactive dashboard with React's production build unless the app chose a mode: the development
// build's checks and performance tracks made redraws ~1.3–3× slower (bench:dash, 1,000 layers).
import type { runDashboard as RunDashboard } from './run.js';

/** runDashboard, imported after defaulting NODE_ENV to 'production' (React picks its build when first loaded). */
export async function importRunDashboard(): Promise<typeof RunDashboard> {
  process.env.NODE_ENV ??= 'production';
  return (await import('./run.js')).runDashboard;
}
