import type { Command } from 'commander';

/** What a command returns: data for --json and a human rendering for the terminal. */
export interface CommandOutput {
  /** Printed as JSON (one object) with --json. */
  json: unknown;
  /** Printed otherwise. */
  text: string;
}

/** A CLI command module: declares its arguments/options, then runs and returns data (printing is separate). */
export interface CommandModule {
  /** Add arguments and options to the (already named and described) commander command. */
  configure(cmd: Command): void;
  /** Do the work; args are commander's positional arguments, opts its parsed options. */
  run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput | void>;
}
