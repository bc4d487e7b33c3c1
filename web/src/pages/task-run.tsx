import { api } from '../api/client';
import type { TaskRun } from '../api/types';
import { useApi } from '../lib/hooks';
import { PageHeader } from '../components/Layout';
import { Loader } from '../components/Status';
import { StateBadge } from '../components/StateBadge';

export function TaskRunPage(props: { id: string }) {
  const run = useApi((signal) => api.get<TaskRun>(`/task_runs/${props.id}`, { signal }), [props.id]);
  return (
    <div data-testid="page-task-run">
      <Loader state={run}>
        {(r) => <PageHeader title={r.name} crumbs={[{ label: 'Flow Runs', href: '/flow-runs' }]} badge={<StateBadge type={r.state_type} name={r.state_name} />} />}
      </Loader>
    </div>
  );
}
