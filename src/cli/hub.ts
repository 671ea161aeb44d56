// The command line's side of Hub repo ids: the --download flag, download progress on stderr, notes on stderr.
import type { Command } from 'commander';
import { downloadRequested, prepareHubInputs, type ModelInputs } from '../app/hub.js';
import { ProgressBar } from './progress.js';

/** Declare --download on a command that takes models. */
export function addDownloadOption(cmd: Command): Command {
  return cmd.option(
    '--download',
    'fetch Hugging Face repo ids (org/name[@rev]) missing from the local cache, after a header check (also DAREKIT_DOWNLOAD=1)',
  );
}

/** Make repo-id inputs readable offline (or refuse them), with progress on stderr. */
export async function prepareInputs(inputs: ModelInputs, opts: Record<string, unknown>): Promise<void> {
  let bar: ProgressBar | undefined;
  let barFor = '';
  try {
    await prepareHubInputs(inputs, {
      download: downloadRequested(opts.download),
      truncateVocab: opts.truncateVocab === true,
      onNote: (line) => process.stderr.write(`darekit: ${line}\n`),
      onProgress: (repo, done, total, file) => {
        if (barFor !== repo) {
          bar?.done();
          bar = new ProgressBar(`download ${repo}`, total);
          barFor = repo;
        }
        bar!.update(done, file);
      },
    });
  } finally {
    bar?.done();
  }
}
