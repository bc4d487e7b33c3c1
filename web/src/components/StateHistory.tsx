// A run's state history as a table (flow-run and task-run pages), oldest
// first as the API lists it.
import type { State } from '../api/types';
import { Empty } from './Status';
import { StateBadge } from './StateBadge';
import { Time } from './Time';

export function StateHistory(props: { states: State[] }) {
  if (!props.states.length) return <Empty title="No states recorded" />;
  return (
    <table class="data-table" data-testid="state-history">
      <thead>
        <tr>
          <th>State</th>
          <th>Time</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {props.states.map((s) => (
          <tr key={s.id} data-testid="state-history-row">
            <td>
              <StateBadge type={s.type} name={s.name} />
            </td>
            <td class="nowrap">
              <Time value={s.timestamp} />
            </td>
            <td class="pre-wrap">{s.message ?? <span class="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
