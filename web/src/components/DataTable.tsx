// Tables: DataTable (server-paginated, optional row selection) and
// Pagination. Long client-side lists use VirtualList instead.
import type { ComponentChildren } from 'preact';

export interface Column<T> {
  /** Stable key; also the cell's data-col attribute. */
  key: string;
  header: ComponentChildren;
  render: (row: T) => ComponentChildren;
  /** CSS width ("8rem", "20%"). */
  width?: string;
  align?: 'left' | 'right';
}

export interface DataTableProps<T> {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** data-testid of the table; rows get "<testid>-row". */
  testid: string;
  /** Selected row keys; with onSelect, a checkbox column is shown. */
  selected?: Set<string>;
  onSelect?: (next: Set<string>) => void;
  empty?: ComponentChildren;
  /** Dims the rows while a new page loads. */
  loading?: boolean;
}

export function DataTable<T>(props: DataTableProps<T>) {
  const { columns, rows, rowKey, selected, onSelect } = props;
  const allSelected = !!selected && rows.length > 0 && rows.every((r) => selected.has(rowKey(r)));
  const toggleAll = () => {
    if (!onSelect || !selected) return;
    const next = new Set(selected);
    if (allSelected) rows.forEach((r) => next.delete(rowKey(r)));
    else rows.forEach((r) => next.add(rowKey(r)));
    onSelect(next);
  };
  const toggle = (k: string) => {
    if (!onSelect || !selected) return;
    const next = new Set(selected);
    if (next.has(k)) next.delete(k);
    else next.add(k);
    onSelect(next);
  };
  return (
    <div class={'table-wrap' + (props.loading ? ' is-loading' : '')}>
      <table class="data-table" data-testid={props.testid}>
        <thead>
          <tr>
            {onSelect && (
              <th class="check">
                <input type="checkbox" aria-label="Select all on this page" checked={allSelected} onChange={toggleAll} data-testid={`${props.testid}-select-all`} />
              </th>
            )}
            {columns.map((c) => (
              <th key={c.key} style={{ width: c.width, textAlign: c.align }}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td class="empty-cell" colSpan={columns.length + (onSelect ? 1 : 0)} data-testid={`${props.testid}-empty`}>
                {props.empty ?? 'Nothing to show.'}
              </td>
            </tr>
          )}
          {rows.map((r) => {
            const k = rowKey(r);
            return (
              <tr key={k} data-testid={`${props.testid}-row`} data-id={k} class={selected?.has(k) ? 'selected' : undefined}>
                {onSelect && (
                  <td class="check">
                    <input type="checkbox" aria-label="Select row" checked={selected?.has(k)} onChange={() => toggle(k)} data-testid="row-select" />
                  </td>
                )}
                {columns.map((c) => (
                  <td key={c.key} data-col={c.key} style={{ textAlign: c.align }}>
                    {c.render(r)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Server pagination: "1–50 of 1,234" with previous / next and a page size choice. */
export function Pagination(props: {
  offset: number;
  limit: number;
  total?: number;
  onChange: (offset: number, limit: number) => void;
  testid?: string;
  sizes?: number[];
}) {
  const { offset, limit, total } = props;
  const end = total === undefined ? offset + limit : Math.min(offset + limit, total);
  const nf = new Intl.NumberFormat();
  return (
    <div class="pagination" data-testid={props.testid ?? 'pagination'}>
      <span class="muted" data-testid="pagination-summary">
        {total === 0 ? 'No results' : `${nf.format(offset + 1)}–${nf.format(end)}${total !== undefined ? ` of ${nf.format(total)}` : ''}`}
      </span>
      <select
        aria-label="Rows per page"
        value={String(limit)}
        onChange={(e) => props.onChange(0, Number((e.target as HTMLSelectElement).value))}
      >
        {(props.sizes ?? [25, 50, 100, 200]).map((s) => (
          <option key={s} value={String(s)}>
            {s} / page
          </option>
        ))}
      </select>
      <button class="btn small" disabled={offset === 0} onClick={() => props.onChange(Math.max(0, offset - limit), limit)} data-testid="page-prev">
        ‹ Previous
      </button>
      <button class="btn small" disabled={total !== undefined && end >= total} onClick={() => props.onChange(offset + limit, limit)} data-testid="page-next">
        Next ›
      </button>
    </div>
  );
}
