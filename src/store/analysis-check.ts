// Checks an analysis dir's tables before anything uses them: a stranger's analysis.duckdb may hold views in place
// of tables, drop a table or column, or store values no analysis writes. Each problem is a one-line input error.
import type { CellValue } from './db.js';
import type { FieldColumn } from './analysis-tables.js';

/**
 * The largest magnitude a stored number may have. Float32 weights bound every value the analyzer writes below
 * this (|Δ| < 7e38, ΣΔ² < 1e94 over < 2⁵³ entries), except the third and fourth power sums and the kurtosis
 * made from them, which may be anything; the report and dashboard scale numbers this large without overflowing.
 */
export const MAX_STORED_MAGNITUDE = 1e150;

// Power sums of huge deltas may overflow (to ±Inf) in a genuine analysis; nothing downstream scales them.
const UNBOUNDED = new Set(['sum_cube_delta', 'sum_quad_delta', 'excess_kurtosis']);
// Sums over the finite entries and ρ (0 or +Inf at the edges) are never NaN; means and shares of nothing may be.
const NEVER_NAN = /^(rho|sum_.*|.*_l2|max_abs_delta|dot|sq_a|sq_b|min_both|min_conflict|lo|hi|energy)$/;
const NON_NEGATIVE =
  /^(rho|sum_sq_.*|sum_abs_delta|.*_l2|q\d+_abs|max_abs_delta|mean_abs_delta|std_delta|lo|hi|energy|min_both|min_conflict|sq_a|sq_b)$/;

/** What is wrong with one stored cell of `column`, or undefined when it is a value darekit can have written. */
export function cellProblem(column: FieldColumn<unknown>, v: CellValue, nullable: boolean): string | undefined {
  if (v === null) return nullable ? undefined : 'is NULL';
  if (column.type === 'VARCHAR') return typeof v === 'string' ? undefined : `is ${typeof v}, expected text`;
  if (typeof v !== 'number')
    return `is ${typeof v === 'string' ? `"${v.slice(0, 40)}"` : typeof v}, expected a number${typeof v === 'string' && /^-?\d+$/.test(v) ? ' below 2^53' : ''}`;
  if (column.type === 'BIGINT' || column.type === 'INTEGER')
    return Number.isInteger(v) && v >= 0 ? undefined : `is ${v}, expected a count or index ≥ 0`;
  if (UNBOUNDED.has(column.name)) return undefined;
  if (Number.isNaN(v)) return NEVER_NAN.test(column.name) ? 'is NaN, which no analysis writes there' : undefined; // a mean over no finite entry is NaN
  const unit = column.unit ?? '';
  if (unit === 'share' && !(v >= 0 && v <= 1)) return `is ${v}, expected a share in [0, 1]`;
  if (unit.startsWith('ratio in [−1, 1]') && !(v >= -1 - 1e-9 && v <= 1 + 1e-9)) return `is ${v}, expected a value in [−1, 1]`;
  if (column.name === 'rho' && v === Number.POSITIVE_INFINITY) return undefined; // the base is 0 there
  if (column.name === 'max_abs_delta' && v === Number.POSITIVE_INFINITY) return undefined;
  if (!Number.isFinite(v) || Math.abs(v) > MAX_STORED_MAGNITUDE)
    return `is ${v}, beyond the ±${MAX_STORED_MAGNITUDE} an analysis can store`;
  if (NON_NEGATIVE.test(column.name) && v < 0) return `is ${v}, expected a value ≥ 0`;
  return undefined;
}
