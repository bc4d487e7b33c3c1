// Run actions shared by the runs list and the run pages.
import { api, type Schemas } from '../api/client';
import type { StateType } from './states';

type OrchestrationResult = Schemas['OrchestrationResult'];

/** Proposes a state for a flow run; resolves to the orchestration answer. */
export function setFlowRunState(
  id: string,
  type: StateType,
  opts: { name?: string; message?: string; force?: boolean; scheduledTime?: string } = {},
): Promise<OrchestrationResult> {
  const state: Schemas['StateProposal'] = { type, name: opts.name ?? null, message: opts.message ?? null };
  if (opts.scheduledTime) state.state_details = { scheduled_time: opts.scheduledTime } as Schemas['StateDetails'];
  return api.post<OrchestrationResult>(`/flow_runs/${id}/set_state`, { state, force: opts.force ?? false });
}

/** A one-line account of an orchestration answer that was not an ACCEPT. */
export function describeResult(r: OrchestrationResult | undefined): string | null {
  if (!r || r.status === 'ACCEPT') return null;
  const reason = (r.details as { reason?: string } | null | undefined)?.reason;
  return `${r.status}${reason ? `: ${reason}` : ''}`;
}

/** Cancels a run (CANCELLED, as the 2.7 UI does). */
export const cancelFlowRun = (id: string) => setFlowRunState(id, 'CANCELLED', { name: 'Cancelled', message: 'Cancelled from the UI' });

/** Retries a finished run: back to SCHEDULED now ("AwaitingRetry"), forced past the terminal-state rule like the 2.7 UI. */
export const retryFlowRun = (id: string) =>
  setFlowRunState(id, 'SCHEDULED', { name: 'AwaitingRetry', message: 'Retry from the UI', force: true, scheduledTime: new Date().toISOString() });

/** Resumes a PAUSED run (POST /flow_runs/{id}/resume, as the 2.7 UI). */
export const resumeFlowRun = (id: string) => api.post<OrchestrationResult>(`/flow_runs/${id}/resume`);

export const deleteFlowRun = (id: string) => api.delete(`/flow_runs/${id}`);

/** Runs fn over ids, a few at a time; resolves to [ok count, failure messages]. */
export async function forEachRun(ids: string[], fn: (id: string) => Promise<unknown>): Promise<[number, string[]]> {
  const failures: string[] = [];
  let ok = 0;
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      try {
        const r = await fn(id);
        const bad = describeResult(r as OrchestrationResult | undefined);
        if (bad) failures.push(bad);
        else ok++;
      } catch (e) {
        failures.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return [ok, failures];
}
