import { render } from 'ink';
import type { DashboardData } from './model.js';
import { Dashboard } from './components/App.js';

/** Streams the dashboard draws on and reads keys from (default: the process's). */
export interface RunDashboardOptions {
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/** Open the interactive dashboard on data and resolve when the user quits (q or Ctrl-C). */
export async function runDashboard(data: DashboardData, opts: RunDashboardOptions = {}): Promise<void> {
  const instance = render(<Dashboard data={data} />, {
    stdout: opts.stdout ?? process.stdout,
    stdin: opts.stdin ?? process.stdin,
    exitOnCtrlC: true,
    patchConsole: false,
  });
  await instance.waitUntilExit();
}
