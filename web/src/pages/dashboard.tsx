import { PageHeader } from '../components/Layout';

export function Dashboard() {
  return (
    <div data-testid="page-dashboard">
      <PageHeader title="Dashboard" />
    </div>
  );
}
