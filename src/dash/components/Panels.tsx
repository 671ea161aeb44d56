import { Box, Text } from 'ink';
import type { DashPair, DashRecipe } from '../model.js';
import { bar, clip, fmtShare } from '../format.js';

function signed(x: number): string {
  return Number.isFinite(x) ? (x >= 0 ? '+' : '') + x.toFixed(3) : '  –  ';
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
        <Text key={i} wrap="truncate" color="magenta">{clip(l, width)}</Text>
      ))}
    </>
  );
}

/** The recipe in one line (stacked layout). */
export function recipeOneLine(r: DashRecipe): string {
  const models = r.models.map((m) => `${m.name} w${m.weight} d${m.density.toFixed(2)}${m.layerRules ? ' per-layer' : ''}`).join(', ');
  return `recipe ${r.method}: ${models}`;
}

/** Recipe and command lines for the stacked layout. */
export function RecipeLines({ recipe, width }: { recipe: DashRecipe; width: number }) {
  return (
    <>
      <Text wrap="truncate" color="green">{clip(recipeOneLine(recipe), width)}</Text>
      <Text wrap="truncate">{clip(`run: ${recipe.command}`, width)}</Text>
    </>
  );
}

/** Split text into lines of at most width characters (the command is long; the side panel shows all of it). */
function chunks(text: string, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += width) out.push(text.slice(i, i + width));
  return out;
}

/** Side panel of the wide layout: every pair, the full recipe and its command, in `height` lines. */
export function SidePanel(p: { pairs: DashPair[]; model: string; recipe: DashRecipe; width: number; height: number }) {
  const w = p.width;
  const lines: { text: string; color?: string; bold?: boolean }[] = [];
  lines.push({ text: 'pairs (cosine, sign conflict)', bold: true });
  if (p.pairs.length === 0) lines.push({ text: '  (one fine-tune: no pairs)' });
  for (const q of p.pairs) {
    const mine = q.a === p.model || q.b === p.model;
    lines.push({ text: `${mine ? '▶' : ' '} ${q.a} ↔ ${q.b}  ${signed(q.cosine)}  ${fmtShare(q.signConflict).trim()}`, color: mine ? 'magenta' : undefined });
  }
  lines.push({ text: ' ' });
  lines.push({ text: `recipe: ${p.recipe.method}`, bold: true });
  for (const m of p.recipe.models) {
    const rules = m.layerRules ? ` (${m.layerRules} layer rules)` : '';
    lines.push({ text: `  ${m.name}  weight ${m.weight}  density ${m.density.toFixed(2)}${rules}`, color: 'green' });
  }
  lines.push({ text: 'run:' });
  for (const c of chunks(p.recipe.command, w - 2)) lines.push({ text: `  ${c}` });
  for (const n of p.recipe.notes) for (const c of chunks(n, w - 2)) lines.push({ text: `  ${c}`, color: 'yellow' });
  const shown = lines.slice(0, p.height);
  return (
    <Box flexDirection="column" width={w} marginLeft={1}>
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate" color={l.color} bold={l.bold}>{clip(l.text, w)}</Text>
      ))}
    </Box>
  );
}
