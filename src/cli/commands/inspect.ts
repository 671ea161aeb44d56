import type { Command } from 'commander';
import { inspectModel, type ModelInspection } from '../../io/inspect.js';
import { safeName } from '../../text/safe-text.js';
import type { CommandOutput } from '../command.js';
import { addDownloadOption, prepareInputs } from '../hub.js';

export function configure(cmd: Command): void {
  addDownloadOption(
    cmd
      .argument('<model>', 'a .safetensors file, a model dir, a sharded model dir or a Hub repo id (org/name[@rev])')
      .option('--json', 'print one JSON object')
      .option('--tensors', 'list every tensor in the text output'),
  );
}

export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  await prepareInputs({ models: [args[0]!] }, opts);
  const info = inspectModel(args[0]!);
  return { json: info, text: renderInspection(info, opts.tensors === true) };
}

function renderInspection(i: ModelInspection, listTensors: boolean): string {
  const lines = [
    `model       ${safeName(i.path)} (${i.layout}, ${i.files.length} file${i.files.length === 1 ? '' : 's'})`,
    `parameters  ${i.parameterCount.toLocaleString('en-US')}`,
    `layers      ${i.layerCount}`,
    `tensors     ${i.tensorCount}`,
    `bytes       ${i.totalBytes.toLocaleString('en-US')}`,
    'by dtype:',
    ...i.byDtype.map(
      (d) =>
        `  ${safeName(d.dtype).padEnd(8)} ${String(d.tensors).padStart(6)} tensors ${d.parameters.toLocaleString('en-US').padStart(16)} params${d.supported ? '' : '  (darekit cannot compute with this dtype)'}`,
    ),
  ];
  if (listTensors) {
    lines.push('tensors:');
    for (const t of i.tensors) lines.push(`  ${safeName(t.name)}  ${safeName(t.dtype)}  [${t.shape.join(', ')}]`);
  }
  return lines.join('\n');
}
