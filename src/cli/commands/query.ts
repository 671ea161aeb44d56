import type { Command } from 'commander';
import { runtimeError } from '../../errors.js';

// Placeholder until its issue lands: the command exists so the CLI lists it, and says plainly it is not built.
export function configure(cmd: Command): void {
  cmd.allowUnknownOption().argument('[args...]').option('--json', 'print JSON');
}

export async function run(): Promise<void> {
  throw runtimeError('darekit query is not implemented yet');
}
