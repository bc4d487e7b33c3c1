import { PageHeader } from '../components/Layout';
import { loc, href } from '../lib/router';

export function NotFound() {
  return (
    <div data-testid="page-not-found">
      <PageHeader title="Page not found" />
      <div class="card">
        <p>
          There is no page at <code>{loc.value.path}</code>.
        </p>
        <p>
          <a href={href('/')}>Go to the dashboard</a> or <a href={href('/flow-runs')}>see all flow runs</a>.
        </p>
      </div>
    </div>
  );
}
