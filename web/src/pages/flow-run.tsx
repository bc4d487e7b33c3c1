import { api } from '../api/client';
import type { FlowRun } from '../api/types';
import { useApi } from '../lib/hooks';
import { PageHeader } from '../components/Layout';
import { Loader } from '../components/Status';
import { StateBadge } from '../components/StateBadge';

export function FlowRunPage(props: { id: string }) {
  const run = useApi((signal) => api.get<FlowRun>(`/flow_runs/${props.id}`, { signal }), [props.id]);
  return (
    <div data-testid="page-flow-run">
      <Loader state={run}>
        {(r) => <PageHeader title={r.name} crumbs={[{ label: 'Flow Runs', href: '/flow-runs' }]} badge={<StateBadge type={r.state_type} name={r.state_name} />} />}
      </Loader>
    </div>
  );
}
