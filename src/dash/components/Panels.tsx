import { Box, Text } from 'ink';
import type { DashPair, DashRecipe } from '../model.js';
import { bar, clip, fmtShare, signed3 } from '../format.js';

function signed(x: number): string {
  return signed3(x, '  –  ');
}

/** The pairs that involve `model`, as "other, cosine, sign conflict" lines. */
export function pairLinesFor(pairs: DashPair[], model: string, barWidth: number): string[] {
  return pairs
    .filter((p) => p.a === model || p.b === model)
    .map((p) => {
      const other = p.a === model ? p.b : p.a;
      return `↔ ${other}  cos ${signed(p.cosine)}  conflict ${fmtShare(p.signConflict).trim()} ${bar(p.signConflict, barWidth)}`;
    });
}

/** Pairwise panel for the stacked layout: `lines` lines about the selected fine-tune's pairs. */
export function PairsPanel({ pairs, model, lines, width }: { pairs: DashPair[]; model: string; lines: number; width: number }) {
  const all = pairLinesFor(pairs, model, 10);
  let shown = all.slice(0, lines);
  if (all.length === 0) shown = ['pairs: (one fine-tune: no pairs)'];
  else if (all.length > lines) shown[lines - 1] = `… ${all.length - lines + 1} more pairs (wider terminal shows all)`;
  while (shown.length < lines) shown.push(' ');
  return (
    <>
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate" color="magenta">
          {clip(l, width)}
        </Text>
      ))}
    </>
  );
}

/** The recipe in one line (stacked layout). */
export function recipeOneLine(r: DashRecipe): string {
  const models = r.models.map((m) => `${m.name} w${m.weight} d${m.density.toFixed(2)}${m.layerRules ? ' per-layer' : ''}`).join(', ');
  return `recipe ${r.method}: ${models}`;
}

/** The command on the run line: the merge once `m` wrote the recipe, else the tune command that needs no recipe file. */
export function runCommand(recipe: DashRecipe, written: boolean): string {
  return written ? recipe.command : recipe.tuneCommand;
}

/** Lines the run line takes at `width`: 1 when `run: COMMAND` fits, else 2 (a label, then the command alone). */
export function runLineCount(recipe: DashRecipe, written: boolean, width: number): 1 | 2 {
  return Array.from(`run: ${runCommand(recipe, written)}`).length <= width ? 1 : 2;
}

/** Recipe and command lines for the stacked layout. */
export function RecipeLines({ recipe, width, written }: { recipe: DashRecipe; width: number; written: boolean }) {
  return (
    <>
      <Text wrap="truncate" color="green">
        {clip(recipeOneLine(recipe), width)}
      </Text>
      <RunLine recipe={recipe} width={width} written={written} />
    </>
  );
}

/**
 * The command to copy, always on one line of its own and never split: `run: COMMAND`, or when that is wider than
 * the terminal, a label line and the bare command under it (cut with … only if the command alone is wider still).
 */
export function RunLine({ recipe, width, written }: { recipe: DashRecipe; width: number; written: boolean }) {
  const command = runCommand(recipe, written);
  if (runLineCount(recipe, written, width) === 1) return <Text wrap="truncate">{`run: ${command}`}</Text>;
  return (
    <>
      <Text wrap="truncate">run (one line, copy it whole):</Text>
      <Text wrap="truncate">{clip(command, width)}</Text>
    </>
  );
}

/** Words of text in lines of at most width columns, continuation lines indented; a longer word is cut with …. */
export function wrapWords(text: string, width: number, indent = '  '): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const prefix = out.length === 0 ? indent : indent + '  ';
    if (line !== '' && Array.from(prefix + line + ' ' + word).length > width) {
      out.push(prefix + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push((out.length === 0 ? indent : indent + '  ') + line);
  return out.map((l) => clip(l, width));
}

/** Side panel of the wide layout: every pair, the full recipe and its notes, in `height` lines (the run line sits below, full width). */
export function SidePanel(p: { pairs: DashPair[]; model: string; recipe: DashRecipe; width: number; height: number }) {
  const w = p.width;
  const lines: { text: string; color?: string; bold?: boolean }[] = [];
  lines.push({ text: 'pairs (cosine, sign conflict)', bold: true });
  if (p.pairs.length === 0) lines.push({ text: '  (one fine-tune: no pairs)' });
  for (const q of p.pairs) {
    const mine = q.a === p.model || q.b === p.model;
    lines.push({
      text: `${mine ? '▶' : ' '} ${q.a} ↔ ${q.b}  ${signed(q.cosine)}  ${fmtShare(q.signConflict).trim()}`,
      color: mine ? 'magenta' : undefined,
    });
  }
  lines.push({ text: ' ' });
  lines.push({ text: `recipe: ${p.recipe.method}`, bold: true });
  for (const m of p.recipe.models) {
    const rules = m.layerRules ? ` (${m.layerRules} layer rules)` : '';
    lines.push({ text: `  ${m.name}  weight ${m.weight}  density ${m.density.toFixed(2)}${rules}`, color: 'green' });
  }
  for (const n of p.recipe.notes) for (const c of wrapWords(n, w - 1)) lines.push({ text: c, color: 'yellow' });
  const shown = lines.slice(0, p.height);
  return (
    <Box flexDirection="column" width={w} marginLeft={1}>
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate" color={l.color} bold={l.bold}>
          {clip(l.text, w)}
        </Text>
      ))}
    </Box>
  );
}
