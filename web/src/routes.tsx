// The app's routes, one per line: [path pattern, page component].
// Add a page: create src/pages/<name>.tsx exporting a component that takes
// the route params as props, import it here, add one line. Order matters
// only when two patterns match the same path (the first wins).
import type { FunctionComponent } from 'preact';
import { Dashboard } from './pages/dashboard';
import { FlowRunsPage } from './pages/flow-runs';
import { FlowRunPage } from './pages/flow-run';
import { TaskRunPage } from './pages/task-run';
import { DeploymentsPage } from './pages/deployments';
import { FlowsPage } from './pages/flows';
import { FlowPage } from './pages/flows-detail';
import { WorkQueuesPage, WorkQueueNewPage } from './pages/work-queues';
import { WorkQueuePage, WorkQueueEditPage } from './pages/work-queues-detail';
import { ConcurrencyLimitsPage } from './pages/concurrency-limits';
import { SettingsPage } from './pages/settings';
import { BlocksPage } from './pages/blocks';
import { BlocksCatalogPage, BlockTypePage } from './pages/blocks-catalog';
import { BlockPage } from './pages/blocks-detail';
import { BlockCreatePage, BlockEditPage } from './pages/blocks-form';
import { NotificationsPage, NotificationNewPage, NotificationEditPage } from './pages/notifications';
import { DeploymentPage } from './pages/deployments-detail';
import { DeploymentRunPage } from './pages/deployments-run';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Page = FunctionComponent<any>;

export const routes: [string, Page][] = [
  ['/', Dashboard],
  ['/flow-runs', FlowRunsPage],
  ['/flow-runs/flow-run/:id', FlowRunPage],
  ['/flow-runs/task-run/:id', TaskRunPage],
  ['/flows', FlowsPage],
  ['/flows/flow/:id', FlowPage],
  ['/deployments', DeploymentsPage],
  ['/deployments/deployment/:id', DeploymentPage],
  ['/deployments/deployment/:id/run', DeploymentRunPage],
  ['/work-queues', WorkQueuesPage],
  ['/work-queues/work-queue/:id', WorkQueuePage],
  ['/work-queues/new', WorkQueueNewPage],
  ['/work-queues/work-queue/:id/edit', WorkQueueEditPage],
  ['/blocks', BlocksPage],
  ['/blocks/catalog', BlocksCatalogPage],
  ['/blocks/catalog/:slug', BlockTypePage],
  ['/blocks/catalog/:slug/create', BlockCreatePage],
  ['/blocks/block/:id', BlockPage],
  ['/blocks/block/:id/edit', BlockEditPage],
  ['/concurrency-limits', ConcurrencyLimitsPage],
  ['/concurrency-limits/concurrency-limit/:id', ConcurrencyLimitsPage],
  ['/notifications', NotificationsPage],
  ['/notifications/new', NotificationNewPage],
  ['/notifications/notification/:id/edit', NotificationEditPage],
  ['/settings', SettingsPage],
];
