// The page frame: sidebar navigation, page header, and the API-key prompt.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { loc, href } from '../lib/router';
import { needKey, setApiKey, apiKey } from '../api/client';
import { Dialog } from './Dialog';

/** Sidebar entries: [label, path, test id]. */
const NAV: [string, string, string][] = [
  ['Dashboard', '/', 'nav-dashboard'],
  ['Flow Runs', '/flow-runs', 'nav-flow-runs'],
  ['Flows', '/flows', 'nav-flows'],
  ['Deployments', '/deployments', 'nav-deployments'],
  ['Work Queues', '/work-queues', 'nav-work-queues'],
  ['Blocks', '/blocks', 'nav-blocks'],
  ['Concurrency', '/concurrency-limits', 'nav-concurrency-limits'],
  ['Notifications', '/notifications', 'nav-notifications'],
];

function active(path: string): boolean {
  const cur = loc.value.path;
  return path === '/' ? cur === '/' : cur === path || cur.startsWith(path + '/');
}

export function Sidebar() {
  return (
    <nav class="sidebar" aria-label="Main" data-testid="sidebar">
      <a class="brand" href={href('/')} data-testid="nav-home">
        <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
          <circle cx="16" cy="16" r="4" fill="currentColor" />
          <ellipse cx="16" cy="16" rx="13" ry="6" fill="none" stroke="currentColor" stroke-width="2" />
          <circle cx="28" cy="14" r="2.5" fill="#f6ad55" />
        </svg>
        Orrery
      </a>
      <ul>
        {NAV.map(([label, path, id]) => (
          <li key={path}>
            <a href={href(path)} class={active(path) ? 'active' : undefined} aria-current={active(path) ? 'page' : undefined} data-testid={id}>
              {label}
            </a>
          </li>
        ))}
      </ul>
      <div class="sidebar-foot">
        <a href={href('/settings')} class={active('/settings') ? 'active' : undefined} data-testid="nav-settings">
          Settings
        </a>
        <a href="./docs/" data-external="" target="_blank" rel="noopener">
          API docs ↗
        </a>
      </div>
    </nav>
  );
}

/** The heading of a page: title (data-testid="page-title"), optional crumbs, subtitle and actions. */
export function PageHeader(props: {
  title: ComponentChildren;
  crumbs?: { label: string; href: string }[];
  subtitle?: ComponentChildren;
  actions?: ComponentChildren;
  badge?: ComponentChildren;
}) {
  return (
    <header class="page-header">
      <div class="page-header-main">
        {props.crumbs && (
          <div class="crumbs" data-testid="breadcrumbs">
            {props.crumbs.map((c, i) => (
              <span key={c.href}>
                {i > 0 && <span class="sep"> / </span>}
                <a href={href(c.href)}>{c.label}</a>
              </span>
            ))}
          </div>
        )}
        <div class="title-row">
          <h1 data-testid="page-title">{props.title}</h1>
          {props.badge}
        </div>
        {props.subtitle && <div class="subtitle">{props.subtitle}</div>}
      </div>
      {props.actions && <div class="page-actions">{props.actions}</div>}
    </header>
  );
}

/** Shown when the server answers 401: asks for an API key, kept in sessionStorage. */
export function KeyPrompt() {
  const [v, setV] = useState('');
  if (!needKey.value) return null;
  const had = !!apiKey();
  return (
    <Dialog
      title="API key required"
      onClose={() => (needKey.value = false)}
      testid="key-prompt"
      footer={
        <button class="btn primary" onClick={() => v.trim() && setApiKey(v.trim())} data-testid="key-submit">
          Use this key
        </button>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (v.trim()) setApiKey(v.trim());
        }}
      >
        <p>
          {had ? 'The server refused the stored key. ' : 'This server checks API keys. '}
          Paste a key (<code>orrery api-key create</code> makes one). It is kept in this browser tab only and sent as{' '}
          <code>Authorization: Bearer</code>.
        </p>
        <input type="password" autocomplete="off" class="wide" placeholder="API key" value={v} onInput={(e) => setV((e.target as HTMLInputElement).value)} data-testid="key-input" />
      </form>
    </Dialog>
  );
}
