import { PageHeader } from '../components/Layout';

export function FlowRunsPage() {
  return (
    <div data-testid="page-flow-runs">
      <PageHeader title="Flow Runs" />
    </div>
  );
}
