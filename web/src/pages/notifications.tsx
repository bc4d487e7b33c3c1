// Notifications (/notifications): flow-run notification policies (2.7's
// /flow_run_notification_policies: which states and tags, which notification
// block, the message template), and Orrery's delivery record
// (/flow_run_notifications/filter): recent deliveries and failures.
// A server without these routes answers 404/405: the page says so.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { BlockDocument, FlowRun } from '../api/types';
import { useApi } from '../lib/hooks';
import { href, navigate } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorView } from '../components/Status';
import { StateBadge } from '../components/StateBadge';
import { Time } from '../components/Time';
import { confirm, Dialog } from '../components/Dialog';
import { toast, toastError } from '../components/Toast';
import { errorsByField } from './deployments-schema-form';
import { BlockIcon } from './blocks-common';

interface Policy {
  id: string;
  created?: string;
  updated?: string;
  is_active: boolean;
  state_names: string[];
  tags: string[];
  block_document_id: string;
  message_template: string | null;
}

interface Delivery {
  id: string;
  created?: string;
  flow_run_notification_policy_id: string;
  flow_run_id: string;
  flow_run_state_name: string;
  flow_run_state_type: string;
  flow_run_state_timestamp?: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at?: string;
  delivered_at?: string | null;
  last_error?: string | null;
}

/** The state names 2.7's UI offers (a policy matches the state's name). */
const STATE_NAMES = ['Scheduled', 'Late', 'Pending', 'Running', 'Retrying', 'Completed', 'Cached', 'Failed', 'Crashed', 'Cancelled', 'Cancelling', 'Paused', 'AwaitingRetry', 'TimedOut'];

const VARIABLES = [
  'flow_run_notification_policy_id',
  'flow_id',
  'flow_name',
  'flow_run_url',
  'flow_run_id',
  'flow_run_name',
  'flow_run_parameters',
  'flow_run_state_type',
  'flow_run_state_name',
  'flow_run_state_timestamp',
  'flow_run_state_message',
];

const DEFAULT_TEMPLATE =
  'Flow run {flow_name}/{flow_run_name} entered state `{flow_run_state_name}` at {flow_run_state_timestamp}.\n\nFlow ID: {flow_id}\nFlow run ID: {flow_run_id}\nFlow run URL: {flow_run_url}\nState message: {flow_run_state_message}';

function missingRoutes(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 405);
}

function useNotifyBlocks() {
  return useApi(
    (signal) =>
      api.post<BlockDocument[]>('/block_documents/filter', { block_documents: { is_anonymous: { eq_: false } }, block_schemas: { block_capabilities: { all_: ['notify'] } }, limit: 200 }, { signal }),
    [],
  );
}

function PolicyDialog(props: { policy?: Policy; blocks: BlockDocument[]; onClose: () => void; onSaved: () => void }) {
  const p = props.policy;
  const [blockId, setBlockId] = useState(p?.block_document_id ?? props.blocks[0]?.id ?? '');
  const [states, setStates] = useState<string[]>(p?.state_names ?? ['Failed', 'Crashed']);
  const [extraStates, setExtraStates] = useState((p?.state_names ?? []).filter((s) => !STATE_NAMES.includes(s)).join(', '));
  const [tags, setTags] = useState((p?.tags ?? []).join(', '));
  const [template, setTemplate] = useState(p?.message_template ?? '');
  const [active, setActive] = useState(p?.is_active ?? true);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const split = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);

  const save = async () => {
    setErrors({});
    setOther(null);
    if (!blockId) {
      setErrors({ block_document_id: 'Choose the block that sends the notification.' });
      return;
    }
    const body = {
      is_active: active,
      state_names: [...new Set([...states.filter((s) => STATE_NAMES.includes(s)), ...split(extraStates)])],
      tags: split(tags),
      block_document_id: blockId,
      message_template: template.trim() ? template : null,
    };
    setBusy(true);
    try {
      if (p) await api.patch(`/flow_run_notification_policies/${p.id}`, body);
      else await api.post('/flow_run_notification_policies/', body);
      toast(p ? 'Saved the notification' : 'Created the notification');
      props.onSaved();
    } catch (e) {
      if (e instanceof ApiError && e.details.length) {
        const r = errorsByField(e.details, ['body']);
        setErrors(r.fields);
        if (r.other.length) setOther(r.other.join('; '));
      } else setOther(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const err = (k: string) =>
    errors[k] && (
      <span class="field-error" data-testid={`field-error-${k}`}>
        {errors[k]}
      </span>
    );
  return (
    <Dialog
      title={p ? 'Edit notification' : 'New notification'}
      onClose={props.onClose}
      wide
      footer={
        <>
          <button class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button class="btn primary" disabled={busy} onClick={save} data-testid="action-save">
            {p ? 'Save' : 'Create'}
          </button>
        </>
      }
    >
      <div data-testid="form-notification">
        {other && (
          <div class="banner bad" role="alert" data-testid="form-error">
            {other}
          </div>
        )}
        <div class="field">
          <span>Run states</span>
          <div class="chip-row" data-testid="field-state_names">
            {STATE_NAMES.map((s) => (
              <button
                key={s}
                type="button"
                class={'chip' + (states.includes(s) ? ' on' : '')}
                aria-pressed={states.includes(s)}
                data-value={s}
                onClick={() => setStates(states.includes(s) ? states.filter((x) => x !== s) : [...states, s])}
              >
                {s}
              </button>
            ))}
          </div>
          <input value={extraStates} placeholder="other state names, comma-separated" onInput={(e) => setExtraStates((e.target as HTMLInputElement).value)} data-testid="field-state_names-extra" />
          <span class="help">A flow run entering a state of one of these names is notified. None chosen: every state.</span>
          {err('state_names')}
        </div>
        <label class="field">
          <span>Tags</span>
          <input value={tags} placeholder="any run" onInput={(e) => setTags((e.target as HTMLInputElement).value)} data-testid="field-tags" />
          <span class="help">Only runs with at least one of these tags (comma-separated). Empty: every run.</span>
          {err('tags')}
        </label>
        <label class="field">
          <span>Send with</span>
          {props.blocks.length === 0 ? (
            <span class="banner warn">
              No notification block exists yet. Create one first, e.g. a <a href={href('/blocks/catalog/slack-webhook/create')}>Slack webhook</a>, a{' '}
              <a href={href('/blocks/catalog/ms-teams-webhook/create')}>Microsoft Teams webhook</a> or a <a href={href('/blocks/catalog/json-webhook/create')}>JSON webhook</a>.
            </span>
          ) : (
            <select value={blockId} onChange={(e) => setBlockId((e.target as HTMLSelectElement).value)} data-testid="field-block_document_id">
              {props.blocks.map((b) => (
                <option key={b.id} value={b.id ?? ''}>
                  {b.name} ({b.block_type?.name})
                </option>
              ))}
            </select>
          )}
          {err('block_document_id')}
        </label>
        <label class="field">
          <span>Message template</span>
          <textarea rows={6} value={template} placeholder={DEFAULT_TEMPLATE} onInput={(e) => setTemplate((e.target as HTMLTextAreaElement).value)} data-testid="field-message_template" />
          <span class="help">
            Empty: the default shown. Variables in braces: {VARIABLES.map((v) => <code key={v}>{`{${v}}`} </code>)}
          </span>
          {err('message_template')}
        </label>
        <label class="toggle">
          <input type="checkbox" role="switch" checked={active} onChange={() => setActive(!active)} data-testid="field-is_active" />
          <span>{active ? 'Active' : 'Paused'}</span>
        </label>
      </div>
    </Dialog>
  );
}

function DeliveryStatus(props: { d: Delivery }) {
  const color = props.d.status === 'delivered' ? '#2f855a' : props.d.status === 'failed' ? '#c53030' : '#b7791f';
  return (
    <span class="state-badge small" style={{ '--state': color }} data-testid="delivery-status" data-status={props.d.status}>
      <span class="dot" />
      {props.d.status === 'pending' && props.d.attempts > 0 ? 'retrying' : props.d.status}
    </span>
  );
}

/** /notifications, /notifications/new and /notifications/notification/<id>/edit (2.7's paths) with the dialog open. */
export function NotificationsPage(props: { create?: boolean; editId?: string }) {
  const policies = useApi((signal) => api.post<Policy[]>('/flow_run_notification_policies/filter', { limit: 200 }, { signal }), [], 15000);
  const deliveries = useApi((signal) => api.post<Delivery[]>('/flow_run_notifications/filter', { limit: 50 }, { signal }).catch((e) => (missingRoutes(e) ? null : Promise.reject(e))), [], 10000);
  const blocks = useNotifyBlocks();
  const runIds = [...new Set((deliveries.data ?? []).map((d) => d.flow_run_id))].sort();
  const runs = useApi(
    (signal) => (runIds.length ? api.post<FlowRun[]>('/flow_runs/filter', { flow_runs: { id: { any_: runIds } }, limit: 200 }, { signal }) : Promise.resolve([])),
    [runIds.join()],
  );
  const runName = new Map((runs.data ?? []).map((r) => [r.id!, r.name!]));
  const blockById = new Map((blocks.data ?? []).map((b) => [b.id!, b]));
  const [dialog, setDialogState] = useState<{ policy?: Policy } | null>(props.create ? {} : null);
  const setDialog = (v: { policy?: Policy } | null) => {
    setDialogState(v);
    if (!v && (props.create || props.editId)) navigate('/notifications', { replace: true });
  };
  // An edit link opens its policy's dialog once the policies have loaded.
  const [opened, setOpened] = useState(false);
  if (props.editId && !opened && policies.data) {
    const p = policies.data.find((x) => x.id === props.editId);
    setOpened(true);
    if (p) setDialogState({ policy: p });
  }

  if (policies.error && missingRoutes(policies.error)) {
    return (
      <div data-testid="page-notifications">
        <PageHeader title="Notifications" />
        <div class="banner info" data-testid="notifications-unsupported">
          This server has no flow-run notification routes (/api/flow_run_notification_policies answered {(policies.error as ApiError).status}). Upgrade the server to manage notifications here.
        </div>
      </div>
    );
  }

  const toggle = async (p: Policy) => {
    try {
      await api.patch(`/flow_run_notification_policies/${p.id}`, { is_active: !p.is_active });
      toast(p.is_active ? 'Notification paused' : 'Notification active');
      policies.reload();
    } catch (e) {
      toastError(e, 'Could not change it');
    }
  };
  const remove = async (p: Policy) => {
    const ok = await confirm({ title: 'Delete notification', message: <p>Delete this notification policy? Queued deliveries of it are not sent.</p>, confirmLabel: 'Delete', danger: true });
    if (!ok) return;
    try {
      await api.delete(`/flow_run_notification_policies/${p.id}`);
      toast('Deleted the notification');
      policies.reload();
    } catch (e) {
      toastError(e, 'Could not delete');
    }
  };

  const columns: Column<Policy>[] = [
    {
      key: 'active',
      header: 'Active',
      width: '5rem',
      render: (p) => (
        <label class="toggle" title={p.is_active ? 'Active: click to pause' : 'Paused: click to activate'}>
          <input type="checkbox" role="switch" checked={p.is_active} onChange={() => toggle(p)} data-testid={p.is_active ? 'action-pause' : 'action-resume'} aria-label="Active" />
        </label>
      ),
    },
    {
      key: 'states',
      header: 'When a run enters',
      render: (p) => (p.state_names.length ? p.state_names.map((s) => <span class="tag" key={s}>{s}</span>) : <span class="muted">any state</span>),
    },
    { key: 'tags', header: 'Tags', render: (p) => (p.tags.length ? p.tags.map((t) => <span class="tag" key={t}>{t}</span>) : <span class="muted">any run</span>) },
    {
      key: 'block',
      header: 'Send with',
      render: (p) => {
        const b = blockById.get(p.block_document_id);
        return (
          <span class="name-cell">
            {b && <BlockIcon type={b.block_type} small />}
            <a href={href(`/blocks/block/${p.block_document_id}`)}>{b ? b.name : p.block_document_id.slice(0, 8)}</a>
          </span>
        );
      },
    },
    { key: 'template', header: 'Message', render: (p) => (p.message_template ? <span class="mono template-cell" title={p.message_template}>{p.message_template}</span> : <span class="muted">default</span>) },
    {
      key: 'actions',
      header: '',
      align: 'right',
      render: (p) => (
        <span class="nowrap">
          <button class="btn small" onClick={() => setDialog({ policy: p })} data-testid="action-edit">
            Edit
          </button>{' '}
          <button class="btn small danger" onClick={() => remove(p)} data-testid="action-delete">
            Delete
          </button>
        </span>
      ),
    },
  ];

  const dcols: Column<Delivery>[] = [
    { key: 'status', header: 'Status', render: (d) => <DeliveryStatus d={d} /> },
    {
      key: 'run',
      header: 'Flow run',
      render: (d) => <a href={href(`/flow-runs/flow-run/${d.flow_run_id}`)}>{runName.get(d.flow_run_id) ?? d.flow_run_id.slice(0, 8)}</a>,
    },
    { key: 'state', header: 'State', render: (d) => <StateBadge type={d.flow_run_state_type} name={d.flow_run_state_name} small /> },
    { key: 'when', header: 'Entered', render: (d) => <Time value={d.flow_run_state_timestamp} /> },
    { key: 'attempts', header: 'Attempts', render: (d) => d.attempts, align: 'right' },
    {
      key: 'result',
      header: 'Result',
      render: (d) =>
        d.status === 'delivered' ? (
          <span>
            sent <Time value={d.delivered_at} />
          </span>
        ) : d.last_error ? (
          <span class="delivery-error" title={d.last_error}>
            {d.last_error}
            {d.status === 'pending' && (
              <span class="muted">
                {' '}
                — next try <Time value={d.next_attempt_at} />
              </span>
            )}
          </span>
        ) : (
          <span class="muted">waiting to be sent</span>
        ),
    },
  ];

  return (
    <div data-testid="page-notifications">
      <PageHeader
        title="Notifications"
        subtitle={<span>Send a message through a notification block when a flow run enters chosen states.</span>}
        actions={
          <button class="btn primary" onClick={() => setDialog({})} data-testid="action-create">
            + Notification
          </button>
        }
      />
      {policies.error && !policies.data ? (
        <ErrorView error={policies.error} onRetry={policies.reload} />
      ) : (
        <DataTable
          testid="notifications-table"
          columns={columns}
          rows={policies.data ?? []}
          rowKey={(p) => p.id}
          loading={policies.loading}
          empty={policies.loading ? 'Loading…' : 'No notifications yet.'}
        />
      )}
      <h2 style={{ marginTop: '22px' }}>Recent deliveries</h2>
      {deliveries.data === null ? (
        <p class="muted">This server does not report deliveries.</p>
      ) : deliveries.error && !deliveries.data ? (
        <ErrorView error={deliveries.error} onRetry={deliveries.reload} />
      ) : (
        <DataTable
          testid="deliveries-table"
          columns={dcols}
          rows={deliveries.data ?? []}
          rowKey={(d) => d.id}
          loading={deliveries.loading}
          empty={deliveries.loading ? 'Loading…' : 'Nothing sent yet: a delivery appears when a run enters a state a policy names.'}
        />
      )}
      {dialog && (
        <PolicyDialog
          policy={dialog.policy}
          blocks={blocks.data ?? []}
          onClose={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            policies.reload();
          }}
        />
      )}
    </div>
  );
}

export function NotificationNewPage() {
  return <NotificationsPage create />;
}

export function NotificationEditPage(props: { id: string }) {
  return <NotificationsPage editId={props.id} />;
}
