import { useEffect, useMemo, useReducer, useState } from 'react';
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import type { DashboardData } from '../model.js';
import { computeLayout, MIN_SIZE, type Size } from '../layout.js';
import { selectRows, sortRows, SORT_LABELS, windowStart } from '../rows.js';
import { dashReducer, INITIAL_STATE } from '../state.js';
import { writeRecipe } from '../recipe.js';
import { clip } from '../format.js';
import { ModelDetail, ModelTabs, TitleLine } from './Header.js';
import { LayerTable, RhoSparkline } from './LayerTable.js';
import { PairsPanel, RecipeLines, RunLine, runLineCount, SidePanel } from './Panels.js';

/** The help line: every key the dashboard answers to. */
export const HELP_LINE = '↑↓ move  ←→/tab fine-tune  / filter tensors  s sort  m write recipe  q quit';

/** Props of the dashboard. */
export interface DashboardProps {
  data: DashboardData;
  /** Fixed terminal size (tests); default: the stdout's size, following resizes. */
  size?: Size;
  /** Called when the user quits (after ink is told to exit). */
  onQuit?: () => void;
  /** Called with the path after `m` wrote the recipe (or the error message). */
  onRecipe?: (result: { path?: string; error?: string }) => void;
}

/** The terminal size from ink's stdout (80×24 when unknown), updated on resize. */
function useTerminalSize(fixed?: Size): Size {
  const { stdout } = useStdout();
  const read = (): Size => ({ columns: stdout.columns || MIN_SIZE.columns, rows: stdout.rows || MIN_SIZE.rows });
  const [size, setSize] = useState<Size>(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}

/** The interactive dashboard: header, per-layer table, pairs, recipe, status and help. */
export function Dashboard({ data, size: fixedSize, onQuit, onRecipe }: DashboardProps) {
  const { exit } = useApp();
  const size = useTerminalSize(fixedSize);
  const reducer = useMemo(() => dashReducer(data), [data]);
  const [state, dispatch] = useReducer(reducer, INITIAL_STATE);
  const { modelIdx, sortKey, filter, editing, message } = state;
  // Until `m` writes recipe.yml, the run line offers a command that needs no recipe file (tune on this analysis).
  const [recipeWritten, setRecipeWritten] = useState(false);

  const model = data.models[modelIdx]!;
  const pairCount = data.pairs.filter((p) => p.a === model.name || p.b === model.name).length;
  const layout = computeLayout(size, pairCount, runLineCount(data.recipe, recipeWritten, Math.max(40, size.columns)) - 1);
  const rows = useMemo(() => sortRows(selectRows(model, filter), sortKey), [model, filter, sortKey]);
  const sel = Math.min(state.selected, Math.max(0, rows.length - 1));
  // a model with few layers gets a short table (not a screen of padding); filtering never grows it past that
  const visible = Math.max(1, Math.min(layout.tableRows, Math.max(rows.length, model.layers.length)));
  const start = windowStart(state.offset, sel, visible, rows.length);

  const saveRecipe = () => {
    dispatch({ type: 'message', text: `writing ${data.recipe.recipePath} …` });
    writeRecipe(data).then(
      (path) => {
        dispatch({ type: 'message', text: `wrote ${path}` });
        setRecipeWritten(true);
        onRecipe?.({ path });
      },
      (err: unknown) => {
        const error = err instanceof Error ? err.message : String(err);
        dispatch({ type: 'message', text: `could not write the recipe: ${error}` });
        onRecipe?.({ error });
      },
    );
  };

  useInput((input, key) => {
    if (editing) {
      if (key.return) dispatch({ type: 'editDone' });
      else if (key.escape) dispatch({ type: 'clearFilter' });
      else if (key.backspace || key.delete) dispatch({ type: 'editBackspace' });
      else if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) dispatch({ type: 'editType', text: input });
      return;
    }
    if (key.upArrow || input === 'k') dispatch({ type: 'move', delta: -1, visible });
    else if (key.downArrow || input === 'j') dispatch({ type: 'move', delta: 1, visible });
    else if (key.pageUp) dispatch({ type: 'move', delta: -visible, visible });
    else if (key.pageDown || input === ' ') dispatch({ type: 'move', delta: visible, visible });
    else if (key.home || input === 'g') dispatch({ type: 'move', delta: -Infinity, visible });
    else if (key.end || input === 'G') dispatch({ type: 'move', delta: Infinity, visible });
    else if (key.leftArrow || (key.tab && key.shift)) dispatch({ type: 'switchModel', delta: -1 });
    else if (key.rightArrow || key.tab) dispatch({ type: 'switchModel', delta: 1 });
    else if (input === '/') dispatch({ type: 'editStart' });
    else if (key.escape) dispatch({ type: 'clearFilter' });
    else if (input === 's') dispatch({ type: 'cycleSort' });
    else if (input === 'm') saveRecipe();
    else if (input === 'q') {
      exit();
      onQuit?.();
    }
  });

  const tensorMode = filter.trim() !== '';
  const w = layout.width;
  const status = editing
    ? `/${filter}▏  ${rows.length} tensor(s) match · Enter keep · Esc clear`
    : message ||
      `${tensorMode ? 'tensor' : 'layer'} ${rows.length ? sel + 1 : 0}/${rows.length} · sort ${SORT_LABELS[sortKey]}` +
        (tensorMode ? ` · filter "${filter}" (Esc clears)` : '') +
        ' · ! = risky at the recommended drop rate';
  const table = (
    <LayerTable
      rows={rows}
      layers={model.layers}
      offset={start}
      selected={sel}
      visible={visible}
      width={layout.tableWidth}
      tensorMode={tensorMode}
      filter={filter}
    />
  );
  return (
    <Box flexDirection="column" width={w}>
      <TitleLine data={data} width={w} />
      <ModelTabs models={data.models} selected={modelIdx} width={w} />
      <ModelDetail model={model} width={w} />
      {layout.sideWidth > 0 ? (
        <>
          <Box flexDirection="row">
            <Box flexDirection="column" width={layout.tableWidth}>
              <RhoSparkline layers={model.layers} width={layout.tableWidth} />
              {table}
            </Box>
            <SidePanel pairs={data.pairs} model={model.name} recipe={data.recipe} width={layout.sideWidth} height={layout.tableRows + 2} />
          </Box>
          <RunLine recipe={data.recipe} width={w} written={recipeWritten} />
        </>
      ) : (
        <>
          <RhoSparkline layers={model.layers} width={w} />
          {table}
          <PairsPanel pairs={data.pairs} model={model.name} lines={layout.pairLines} width={w} />
          <RecipeLines recipe={data.recipe} width={w} written={recipeWritten} />
        </>
      )}
      <Text wrap="truncate" color={editing ? 'cyan' : message ? 'green' : 'gray'}>
        {clip(status, w)}
      </Text>
      <Text wrap="truncate" dimColor>
        {clip(HELP_LINE, w)}
      </Text>
    </Box>
  );
}
