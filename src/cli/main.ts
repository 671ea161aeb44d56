#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { isDarekitError, type ErrorKind } from '../errors.js';
import { safeJson, safeLines, safeName } from '../text/safe-text.js';
import type { CommandModule } from './command.js';
import { onOutputNotice } from '../io/output-dir.js';
import { installSignalCleanup } from './signals.js';
import { DAREKIT_VERSION } from '../version.js';

/** Every command, declared once; each module is imported only when its command runs. */
const COMMANDS: { name: string; description: string; load: () => Promise<CommandModule> }[] = [
  {
    name: 'inspect',
    description: 'list the tensors, dtypes, parameter and layer counts of a model',
    load: () => import('./commands/inspect.js'),
  },
  {
    name: 'analyze',
    description: 'analyze fine-tune deltas against a base into Arrow/Parquet/DuckDB tables',
    load: () => import('./commands/analyze.js'),
  },
  { name: 'query', description: 'run SQL on an analysis dir', load: () => import('./commands/query.js') },
  {
    name: 'predict',
    description: 'predict safe drop rates and verdicts from an analysis dir',
    load: () => import('./commands/predict.js'),
  },
  {
    name: 'probe',
    description: "measure each fine-tune's DARE tolerance with forward passes on its own examples",
    load: () => import('./commands/probe.js'),
  },
  {
    name: 'check',
    description: "check a merge config's models (local, cached or on the Hub) from their headers before anything is downloaded",
    load: () => import('./commands/check.js'),
  },
  { name: 'merge', description: 'merge models from a mergekit-style YAML config (or flags)', load: () => import('./commands/merge.js') },
  {
    name: 'tune',
    description: 'analyze, predict, write a recipe and merge (optionally searching with --eval)',
    load: () => import('./commands/tune.js'),
  },
  {
    name: 'report',
    description: 'write report.md, report.html and report.json for an analysis dir',
    load: () => import('./commands/report.js'),
  },
  { name: 'dash', description: 'open the terminal dashboard on an analysis dir', load: () => import('./commands/dash.js') },
  { name: 'fixtures', description: 'generate synthetic model families', load: () => import('./commands/fixtures.js') },
  { name: 'demo', description: 'run analyze → predict → report → tune on the bundled fixtures', load: () => import('./commands/demo.js') },
];

/** True when the command line asks for JSON (before any `--` that ends the options). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * The one way darekit ends with an error: one line `darekit: MESSAGE` on stderr, and with --json also
 * `{"error": {"kind", "message"}}` on stdout, so a script reading stdout sees a JSON object either way.
 */
function fail(kind: ErrorKind, message: string, code: number): never {
  const line = safeName(message.replace(/\s*\n\s*/g, ' ').trim());
  process.stderr.write(`darekit: ${line}\n`);
  if (wantsJson(process.argv)) process.stdout.write(JSON.stringify({ error: { kind, message: line } }) + '\n');
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('darekit')
    .description('DARE merge-readiness analysis and streaming merges for fine-tuned models')
    .version(DAREKIT_VERSION)
    .exitOverride()
    // commander's own usage errors are printed by fail() below, with darekit's prefix (and as JSON with --json)
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => {} });
  const wanted = argv[2];
  for (const spec of COMMANDS) {
    const cmd = program
      .command(spec.name)
      .description(spec.description)
      .exitOverride()
      .configureOutput({ outputError: () => {} });
    if (spec.name !== wanted) continue;
    const mod = await spec.load();
    mod.configure(cmd);
    cmd.action(async (...params: unknown[]) => {
      const c = params[params.length - 1] as Command;
      const opts = c.opts();
      const positional: string[] = [];
      for (const a of params.slice(0, c.registeredArguments.length)) {
        if (Array.isArray(a)) positional.push(...(a as string[]));
        else if (typeof a === 'string') positional.push(a);
      }
      const out = await mod.run(positional, opts);
      if (!out) return;
      // Last line of defence: names were escaped where they were formatted; nothing unsafe leaves here either.
      if (opts.json) process.stdout.write(safeJson(JSON.stringify(out.json, null, 2)) + '\n');
      else if (out.text) process.stdout.write(safeLines(out.text.endsWith('\n') ? out.text : out.text + '\n'));
    });
  }
  await program.parseAsync(argv);
}

// Only the entry point handles signals: SIGINT/SIGTERM/SIGHUP remove unfinished outputs' temp dirs, then exit.
installSignalCleanup();
// What output dirs did on their own (leftovers of killed runs recovered or removed), one line each.
onOutputNotice((m) => process.stderr.write(`darekit: ${m}\n`));

main(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // --help and --version end with code 0 after printing; everything else is bad usage (exit 2)
    if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    if (err.code === 'commander.help') process.exit(2); // a command given without its arguments: help was printed
    fail('usage', err.message.replace(/^error: /, ''), 2);
  }
  if (isDarekitError(err)) fail(err.kind, err.message, err.exitCode);
  const e = err as NodeJS.ErrnoException;
  if (e && (e.code === 'ENOSPC' || e.code === 'EDQUOT')) fail('runtime', `no space left on the output device (${e.message})`, 1);
  if (e && e.code === 'EFBIG') fail('runtime', `file too large for this system's limits (${e.message})`, 1);
  fail('runtime', `internal error: ${e instanceof Error ? e.message : String(err)} (please report this with the command you ran)`, 1);
});
