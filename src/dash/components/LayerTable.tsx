import { Text } from 'ink';
import type { DashRow } from '../model.js';
import { barScale, headerLine, rowLine, tableColumns, type BarScale } from '../layout.js';
import { clip, shortTensorName, sparkline } from '../format.js';

/** Props of the table: the sorted/filtered rows, the window on screen and what is selected. */
export interface LayerTableProps {
  rows: DashRow[];
  /** All layer rows of the model in depth order (the sparkline and bar scale use them). */
  layers: DashRow[];
  offset: number;
  selected: number;
  visible: number;
  width: number;
  tensorMode: boolean;
  filter: string;
}

/** ρ across depth for the numbered layers, one line. */
export function RhoSparkline({ layers, width }: { layers: DashRow[]; width: number }) {
  const numbered = layers.filter((r) => r.layer !== null);
  if (numbered.length === 0) return <Text>{clip('ρ by depth: (no numbered layers)', width)}</Text>;
  const first = `L${numbered[0]!.layer}`;
  const last = `L${numbered[numbered.length - 1]!.layer}`;
  const prefix = 'ρ by depth ';
  const room = Math.max(4, width - prefix.length - first.length - last.length - 2);
  return (
    <Text wrap="truncate">
      {prefix}
      {first}{' '}
      <Text color="cyan">
        {sparkline(
          numbered.map((r) => r.rho),
          room,
        )}
      </Text>{' '}
      {last}
    </Text>
  );
}

/**
 * The per-layer (or per-tensor) table. Only the `visible` rows from `offset` are rendered, so the cost of a redraw
 * does not grow with the number of layers; empty lines pad the window so panels below don't move.
 */
export function LayerTable(p: LayerTableProps) {
  const labelNeed = p.tensorMode
    ? Math.max(6, ...p.rows.slice(p.offset, p.offset + p.visible).map((r) => shortTensorName(r.label).length))
    : Math.max(5, ...p.layers.map((r) => r.label.length));
  const cols = tableColumns(p.width, labelNeed);
  const scale: BarScale = barScale(p.tensorMode ? p.rows : p.layers);
  const lines = [];
  for (let k = 0; k < p.visible; k++) {
    const i = p.offset + k;
    const r = p.rows[i];
    if (!r) {
      const empty = k === 0 && p.rows.length === 0 ? `  (no tensor name contains "${p.filter}")` : '';
      lines.push(<Text key={`empty-${k}`}>{empty || ' '}</Text>);
      continue;
    }
    lines.push(
      <Text key={i} wrap="truncate" inverse={i === p.selected} color={r.risky ? 'red' : undefined}>
        {clip(rowLine(r, cols, scale, p.tensorMode), p.width)}
      </Text>,
    );
  }
  return (
    <>
      <Text wrap="truncate" bold>
        {clip(headerLine(cols, p.tensorMode), p.width)}
      </Text>
      {lines}
    </>
  );
}
