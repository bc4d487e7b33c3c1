// Pieces shared by the deployment pages: the schedule text, the
// schedule-active switch and the quick run.
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Deployment, FlowRun, WorkQueue } from '../api/types';
import { useApi } from '../lib/hooks';
import { href } from '../lib/router';
import { hourCyclePref } from '../lib/prefs';
import { toast, toastError } from '../components/Toast';
import { describeSchedule, scheduleSource } from './deployments-schedule';

export function ScheduleText(props: { schedule: Deployment['schedule'] }) {
  const text = describeSchedule(props.schedule, hourCyclePref.value !== '12');
  const src = scheduleSource(props.schedule);
  return (
    <span class="schedule-text" title={src} data-testid="schedule">
      {text}
    </span>
  );
}

/** The schedule's active switch: set_schedule_active / set_schedule_inactive. */
export function ScheduleToggle(props: { dep: Deployment; onDone?: () => void }) {
  const [busy, setBusy] = useState(false);
  const [on, setOn] = useState(!!props.dep.is_schedule_active);
  if (!props.dep.schedule) return <span class="muted">—</span>;
  const flip = async () => {
    setBusy(true);
    const next = !on;
    try {
      await api.post(`/deployments/${props.dep.id}/${next ? 'set_schedule_active' : 'set_schedule_inactive'}`);
      setOn(next);
      toast(next ? `Schedule of ${props.dep.name} is active` : `Schedule of ${props.dep.name} is paused; its upcoming scheduled runs were removed`);
      props.onDone?.();
    } catch (e) {
      toastError(e, 'Could not change the schedule');
    } finally {
      setBusy(false);
    }
  };
  return (
    <label class="toggle" title={on ? 'Schedule active: click to pause' : 'Schedule paused: click to activate'}>
      <input type="checkbox" role="switch" checked={on} disabled={busy} onChange={flip} data-testid={on ? 'action-pause' : 'action-resume'} aria-label="Schedule active" />
      <span class={on ? '' : 'muted'}>{on ? 'Active' : 'Paused'}</span>
    </label>
  );
}

/** Creates a run with the deployment's own parameters. */
export async function quickRun(dep: Deployment): Promise<FlowRun | undefined> {
  try {
    const run = await api.post<FlowRun>(`/deployments/${dep.id}/create_flow_run`, { parameters: {} });
    toast(`Created flow run ${run.name}`);
    return run;
  } catch (e) {
    toastError(e, 'Could not create a run');
    return undefined;
  }
}

/** Work queue ids by name (queue pages are by id; deployments and runs name their queue). */
export function useQueueIds(): Map<string, string> {
  const qs = useApi((signal) => api.post<WorkQueue[]>('/work_queues/filter', { limit: 200 }, { signal }), []);
  return useMemo(() => new Map((qs.data ?? []).map((q) => [q.name!, q.id!])), [qs.data]);
}

export function QueueLink(props: { name: string; ids: Map<string, string> }) {
  const id = props.ids.get(props.name);
  if (id) return <a href={href(`/work-queues/work-queue/${id}`)}>{props.name}</a>;
  return <span title="No work queue of this name exists yet">{props.name}</span>;
}
