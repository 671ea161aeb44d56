// The dashboard's interaction state and a pure reducer over it, so key presses that arrive faster than React
// re-renders each apply to the latest state (a closure over state would drop them).
import type { DashboardData } from './model.js';
import { moveSelection, nextSortKey, selectRows, windowStart, type SortKey } from './rows.js';

/** Everything the keys change. */
export interface DashState {
  modelIdx: number;
  /** Selected row in the current (sorted, filtered) rows. */
  selected: number;
  /** First row of the visible window. */
  offset: number;
  sortKey: SortKey;
  filter: string;
  /** True while the `/` filter prompt is open. */
  editing: boolean;
  /** One-line status message (recipe written, errors); cleared by the next navigation. */
  message: string;
}

/** What a key press asks for. */
export type DashAction =
  | { type: 'move'; delta: number; visible: number }
  | { type: 'switchModel'; delta: number }
  | { type: 'cycleSort' }
  | { type: 'editStart' }
  | { type: 'editType'; text: string }
  | { type: 'editBackspace' }
  | { type: 'editDone' }
  | { type: 'clearFilter' }
  | { type: 'message'; text: string };

/** The state a dashboard opens in. */
export const INITIAL_STATE: DashState = { modelIdx: 0, selected: 0, offset: 0, sortKey: 'depth', filter: '', editing: false, message: '' };

const TOP = { selected: 0, offset: 0 };

/** The reducer for data: each action returns a new state (rows are counted from data, so moves clamp correctly). */
export function dashReducer(data: DashboardData): (s: DashState, a: DashAction) => DashState {
  return (s, a) => {
    switch (a.type) {
      case 'move': {
        const total = selectRows(data.models[s.modelIdx]!, s.filter).length;
        const selected = moveSelection(s.selected, a.delta, total);
        return { ...s, selected, offset: windowStart(s.offset, selected, a.visible, total), message: '' };
      }
      case 'switchModel': {
        const n = data.models.length;
        return { ...s, ...TOP, modelIdx: (((s.modelIdx + a.delta) % n) + n) % n, message: '' };
      }
      case 'cycleSort':
        return { ...s, ...TOP, sortKey: nextSortKey(s.sortKey), message: '' };
      case 'editStart':
        return { ...s, editing: true, message: '' };
      case 'editType':
        return { ...s, ...TOP, filter: s.filter + a.text };
      case 'editBackspace':
        return { ...s, ...TOP, filter: Array.from(s.filter).slice(0, -1).join('') };
      case 'editDone':
        return { ...s, editing: false };
      case 'clearFilter':
        return { ...s, ...TOP, editing: false, filter: '' };
      case 'message':
        return { ...s, message: a.text };
    }
  };
}
