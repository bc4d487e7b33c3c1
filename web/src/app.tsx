// The app shell: sidebar, the page for the current route, and the
// app-wide overlays (toasts, confirm dialog, API-key prompt).
import { loc, match } from './lib/router';
import { routes } from './routes';
import { Sidebar, KeyPrompt } from './components/Layout';
import { Toasts } from './components/Toast';
import { ConfirmHost } from './components/Dialog';
import { NotFound } from './pages/not-found';

export function App() {
  const path = loc.value.path;
  let page = <NotFound />;
  for (const [pattern, Page] of routes) {
    const params = match(pattern, path);
    if (params) {
      // key: a new id mounts a fresh page (no state carried between runs).
      page = <Page key={path} {...params} />;
      break;
    }
  }
  return (
    <div class="layout">
      <Sidebar />
      <main class="main" data-testid="main">
        {page}
      </main>
      <Toasts />
      <ConfirmHost />
      <KeyPrompt />
    </div>
  );
}
