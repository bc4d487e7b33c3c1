import { STATE_COLORS, stateLabel, type StateType } from '../lib/states';

/** A coloured pill with the state's name ("Late", "Completed"); the colour follows the type. */
export function StateBadge(props: { type?: string | null; name?: string | null; small?: boolean }) {
  const type = (props.type ?? 'PENDING') as StateType;
  const color = STATE_COLORS[type] ?? '#718096';
  const name = props.name || stateLabel(type);
  return (
    <span
      class={'state-badge' + (props.small ? ' small' : '')}
      style={{ '--state': color }}
      data-testid="state-badge"
      data-state-type={type}
      title={type}
    >
      <span class="dot" />
      {name}
    </span>
  );
}
