import { Text } from 'ink';
import type { DashboardData, DashModel, Verdict } from '../model.js';
import { clip, fmtNum, fmtShare, measuredNote, verdictBadge } from '../format.js';

/** Colour of a verdict badge. */
export const VERDICT_COLOR: Record<Verdict, string> = { ready: 'green', caution: 'yellow', 'not-ready': 'red' };

/** Title line: base, set verdict and method, tolerance. */
export function TitleLine({ data, width }: { data: DashboardData; width: number }) {
  const head = `darekit dash  base ${data.base}  `;
  const tail = `  method ${data.set.method}  tol ${data.tolerance}`;
  const badge = ` set ${verdictBadge(data.set.verdict)} `;
  const room = width - badge.length - tail.length;
  return (
    <Text wrap="truncate">
      <Text bold>{clip(head, Math.max(10, room))}</Text>
      <Text color={VERDICT_COLOR[data.set.verdict]} inverse>
        {badge}
      </Text>
      <Text>{tail}</Text>
    </Text>
  );
}

/** One tab: name, kind and verdict badge. */
function tabText(m: DashModel): string {
  return ` ${m.name} ${m.kind.toUpperCase()} ${verdictBadge(m.verdict)} `;
}

/**
 * The fine-tune tabs; the selected one is inverted. When they don't all fit, the row starts late enough that the
 * selected tab is visible, with "‹"/"›" marking hidden tabs.
 */
export function ModelTabs({ models, selected, width }: { models: DashModel[]; selected: number; width: number }) {
  const texts = models.map(tabText);
  let start = 0;
  const widthFrom = (s: number, e: number) => texts.slice(s, e + 1).reduce((a, t) => a + t.length + 1, s > 0 ? 2 : 0);
  while (start < selected && widthFrom(start, selected) > width - 2) start++;
  const shown: { i: number; text: string }[] = [];
  let used = start > 0 ? 2 : 0;
  for (let i = start; i < texts.length; i++) {
    const t = texts[i]!;
    if (used + t.length + 1 > width - 2) {
      if (shown.length === 0) shown.push({ i, text: clip(t, width - 2 - used) });
      break;
    }
    shown.push({ i, text: t });
    used += t.length + 1;
  }
  const hiddenRight = shown.length > 0 && shown[shown.length - 1]!.i < texts.length - 1;
  return (
    <Text wrap="truncate">
      {start > 0 ? '‹ ' : ''}
      {shown.map(({ i, text }) => (
        <Text key={i}>
          <Text inverse={i === selected} bold={i === selected} color={VERDICT_COLOR[models[i]!.verdict]}>
            {text}
          </Text>{' '}
        </Text>
      ))}
      {hiddenRight ? '›' : ''}
    </Text>
  );
}

/** The selected fine-tune's headline: kind, verdict, recommended drop rate and density, ρ, first reasons. */
export function ModelDetail({ model, width }: { model: DashModel; width: number }) {
  const line =
    `▶ ${model.name} · ${model.kind} · ${model.verdict} · drop p ${fmtShare(model.recommendedDropRate).trim()}${measuredNote(model)} ` +
    `(density ${fmtShare(model.recommendedDensity).trim()}) · ρ ${fmtNum(model.rho, 8).trim()}` +
    (model.reasons.length ? ` · ${model.reasons.join('; ')}` : '');
  return <Text wrap="truncate">{clip(line, width)}</Text>;
}
