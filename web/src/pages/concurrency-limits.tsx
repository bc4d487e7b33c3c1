// Concurrency limits (/concurrency-limits): task-run concurrency limits by
// tag with their active slots (the task runs holding them); create (or
// change, as 2.7's POST upserts by tag) and delete.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { ConcurrencyLimit, TaskRun } from '../api/types';
import { useApi } from '../lib/hooks';
import { href } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { DataTable, type Column } from '../components/DataTable';
import { ErrorView } from '../components/Status';
import { Time } from '../components/Time';
import { confirm, Dialog } from '../components/Dialog';
import { toast, toastError } from '../components/Toast';
import { errorsByField } from './deployments-schema-form';

function LimitDialog(props: { limit?: ConcurrencyLimit; onClose: () => void; onSaved: () => void }) {
  const [tag, setTag] = useState(props.limit?.tag ?? '');
  const [n, setN] = useState(props.limit ? String(props.limit.concurrency_limit) : '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<string | null>(null);
  const save = async (e?: Event) => {
    e?.preventDefault();
    const local: Record<string, string> = {};
    if (!tag.trim()) local.tag = 'A tag is required.';
    if (!/^\d+$/.test(n.trim())) local.concurrency_limit = 'A whole number, 0 or more (0 holds every task with the tag).';
    setErrors(local);
    setOther(null);
    if (Object.keys(local).length) return;
    try {
      await api.post('/concurrency_limits/', { tag: tag.trim(), concurrency_limit: Number(n) });
      toast(`Limit for tag ${tag.trim()}: ${n}`);
      props.onSaved();
    } catch (err) {
      if (err instanceof ApiError && err.details.length) {
        const r = errorsByField(err.details, ['body']);
        setErrors(r.fields);
        if (r.other.length) setOther(r.other.join('; '));
      } else setOther(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Dialog
      title={props.limit ? `Change limit for ${props.limit.tag}` : 'New concurrency limit'}
      onClose={props.onClose}
      footer={
        <>
          <button class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button class="btn primary" onClick={() => save()} data-testid="action-save">
            Save
          </button>
        </>
      }
    >
      <form onSubmit={save} data-testid="form-concurrency-limit">
        {other && <div class="banner bad">{other}</div>}
        <label class="field">
          <span>Tag</span>
          <input value={tag} disabled={!!props.limit} onInput={(e) => setTag((e.target as HTMLInputElement).value)} data-testid="field-tag" />
          <span class="help">Task runs with this tag share the limit.</span>
          {errors.tag && (
            <span class="field-error" data-testid="field-error-tag">
              {errors.tag}
            </span>
          )}
        </label>
        <label class="field">
          <span>Concurrency limit</span>
          <input inputMode="numeric" value={n} onInput={(e) => setN((e.target as HTMLInputElement).value)} data-testid="field-concurrency_limit" />
          {errors.concurrency_limit && (
            <span class="field-error" data-testid="field-error-concurrency_limit">
              {errors.concurrency_limit}
            </span>
          )}
        </label>
        <button type="submit" hidden />
      </form>
    </Dialog>
  );
}

export function ConcurrencyLimitsPage() {
  const limits = useApi((signal) => api.post<ConcurrencyLimit[]>('/concurrency_limits/filter', { limit: 200 }, { signal }), [], 5000);
  const [dialog, setDialog] = useState<{ limit?: ConcurrencyLimit } | null>(null);
  // Slot holders by name (ids of one era share their leading digits).
  const slotIds = [...new Set((limits.data ?? []).flatMap((l) => ((l.active_slots ?? []) as string[]).slice(0, 10)))].sort();
  const holders = useApi(
    (signal) => (slotIds.length ? api.post<TaskRun[]>('/task_runs/filter', { task_runs: { id: { any_: slotIds } }, limit: 200 }, { signal }) : Promise.resolve([])),
    [slotIds.join()],
  );
  const holderName = new Map((holders.data ?? []).map((t) => [t.id!, t.name!]));
  const remove = async (l: ConcurrencyLimit) => {
    const ok = await confirm({
      title: 'Delete concurrency limit',
      message: (
        <p>
          Delete the limit for tag <strong>{l.tag}</strong>? Task runs with the tag then run without it.
        </p>
      ),
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/concurrency_limits/${l.id}`);
      toast(`Deleted the limit for ${l.tag}`);
      limits.reload();
    } catch (e) {
      toastError(e, 'Could not delete');
    }
  };
  const columns: Column<ConcurrencyLimit>[] = [
    { key: 'tag', header: 'Tag', render: (l) => <span class="tag">{l.tag}</span> },
    { key: 'limit', header: 'Limit', render: (l) => <span class="num">{l.concurrency_limit}</span>, align: 'right', width: '6rem' },
    {
      key: 'slots',
      header: 'Active slots',
      render: (l) => {
        const slots = (l.active_slots ?? []) as string[];
        const full = slots.length >= (l.concurrency_limit ?? 0);
        return (
          <div data-testid="active-slots">
            <span class={'num' + (full ? ' slots-full' : '')}>
              {slots.length} / {l.concurrency_limit}
            </span>
            {slots.length > 0 && (
              <div class="slot-list">
                {slots.slice(0, 10).map((id) => (
                  <a key={id} href={href(`/flow-runs/task-run/${id}`)} title={`Task run ${id} holds a slot`}>
                    {holderName.get(id) ?? id}
                  </a>
                ))}
                {slots.length > 10 && <span class="muted">+{slots.length - 10} more</span>}
              </div>
            )}
          </div>
        );
      },
    },
    { key: 'created', header: 'Created', render: (l) => <Time value={l.created} seconds={false} /> },
    {
      key: 'actions',
      header: '',
      align: 'right',
      render: (l) => (
        <span class="nowrap">
          <button class="btn small" onClick={() => setDialog({ limit: l })} data-testid="action-edit">
            Change
          </button>{' '}
          <button class="btn small danger" onClick={() => remove(l)} data-testid="action-delete">
            Delete
          </button>
        </span>
      ),
    },
  ];
  return (
    <div data-testid="page-concurrency-limits">
      <PageHeader
        title="Concurrency Limits"
        subtitle={<span>At most this many task runs with a tag run at once; the others wait for a slot.</span>}
        actions={
          <button class="btn primary" onClick={() => setDialog({})} data-testid="action-create">
            + Limit
          </button>
        }
      />
      {limits.error && !limits.data ? (
        <ErrorView error={limits.error} onRetry={limits.reload} />
      ) : (
        <DataTable
          testid="concurrency-limits-table"
          columns={columns}
          rows={limits.data ?? []}
          rowKey={(l) => l.id!}
          loading={limits.loading}
          empty={limits.loading ? 'Loading…' : 'No concurrency limits. Add one to cap how many task runs with a tag run at once.'}
        />
      )}
      {dialog && (
        <LimitDialog
          limit={dialog.limit}
          onClose={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            limits.reload();
          }}
        />
      )}
    </div>
  );
}
