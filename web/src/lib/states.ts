// Run state types, their colours and labels.
import type { Schemas } from '../api/client';

export type StateType = NonNullable<Schemas['State']['type']>;

export const STATE_TYPES: StateType[] = [
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'PAUSED',
  'CANCELLING',
  'COMPLETED',
  'FAILED',
  'CRASHED',
  'CANCELLED',
];

/** Colours per state type (badges, charts, timeline); readable on white. */
export const STATE_COLORS: Record<StateType, string> = {
  SCHEDULED: '#b7791f',
  PENDING: '#718096',
  RUNNING: '#2b6cb0',
  PAUSED: '#6b46c1',
  CANCELLING: '#4a5568',
  COMPLETED: '#2f855a',
  FAILED: '#c53030',
  CRASHED: '#dd6b20',
  CANCELLED: '#4a5568',
};

export const TERMINAL: StateType[] = ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'];

export function stateLabel(type: string): string {
  return type.charAt(0) + type.slice(1).toLowerCase();
}
