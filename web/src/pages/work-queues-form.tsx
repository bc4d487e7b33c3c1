// The create / edit dialog of a work queue: name, description, concurrency
// limit, priority, paused, and 2.7's (deprecated) tag and deployment filter.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { Deployment, WorkQueue } from '../api/types';
import { useApi } from '../lib/hooks';
import { Dialog } from '../components/Dialog';
import { toast } from '../components/Toast';
import { errorsByField } from './deployments-schema-form';

export function WorkQueueDialog(props: { queue?: WorkQueue; onClose: () => void; onSaved: (q: WorkQueue | undefined) => void }) {
  const q = props.queue;
  const [name, setName] = useState(q?.name ?? '');
  const [description, setDescription] = useState(q?.description ?? '');
  const [limit, setLimit] = useState(q?.concurrency_limit != null ? String(q.concurrency_limit) : '');
  const [priority, setPriority] = useState(q?.priority != null ? String(q.priority) : '');
  const [paused, setPaused] = useState(!!q?.is_paused);
  const [tags, setTags] = useState((q?.filter?.tags ?? []).join(', '));
  const [depIds, setDepIds] = useState<string[]>((q?.filter?.deployment_ids ?? []) as string[]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const deps = useApi((signal) => api.post<Deployment[]>('/deployments/filter', { sort: 'NAME_ASC', limit: 200 }, { signal }), []);

  const save = async (e?: Event) => {
    e?.preventDefault();
    setErrors({});
    setOther(null);
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = 'A name is required.';
    if (limit.trim() && !/^\d+$/.test(limit.trim())) local.concurrency_limit = 'A whole number, 0 or more (empty: no limit).';
    if (priority.trim() && !/^\d+$/.test(priority.trim())) local.priority = 'A whole number, 1 or more (1 is polled first).';
    if (Object.keys(local).length) {
      setErrors(local);
      return;
    }
    const tagList = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const body: Record<string, unknown> = {
      name: name.trim(),
      description: description,
      concurrency_limit: limit.trim() ? Number(limit) : null,
      is_paused: paused,
      filter: tagList.length || depIds.length ? { tags: tagList, deployment_ids: depIds } : null,
    };
    if (priority.trim()) body.priority = Number(priority);
    setBusy(true);
    try {
      if (q) {
        await api.patch(`/work_queues/${q.id}`, body);
        toast(`Saved work queue ${name.trim()}`);
        props.onSaved(undefined);
      } else {
        const created = await api.post<WorkQueue>('/work_queues/', body);
        toast(`Created work queue ${created.name}`);
        props.onSaved(created);
      }
    } catch (err) {
      if (err instanceof ApiError && err.details.length) {
        const { fields, other } = errorsByField(err.details, ['body']);
        setErrors(fields);
        if (other.length) setOther(other.join('; '));
      } else setOther(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (k: string) =>
    errors[k] && (
      <span class="field-error" data-testid={`field-error-${k}`}>
        {errors[k]}
      </span>
    );

  return (
    <Dialog
      title={q ? `Edit ${q.name}` : 'New work queue'}
      onClose={props.onClose}
      wide
      footer={
        <>
          <button class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button class="btn primary" onClick={() => save()} disabled={busy} data-testid="action-save">
            {q ? 'Save' : 'Create'}
          </button>
        </>
      }
    >
      <form onSubmit={save} data-testid="form-work-queue">
        {other && (
          <div class="banner bad" role="alert" data-testid="form-error">
            {other}
          </div>
        )}
        <label class="field">
          <span>Name</span>
          <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="field-name" />
          <span class="help">Agents poll a queue by this name; deployments send their runs to it with work_queue_name.</span>
          {fieldError('name')}
        </label>
        <label class="field">
          <span>Description</span>
          <textarea rows={2} value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} data-testid="field-description" />
          {fieldError('description')}
        </label>
        <div class="form-grid">
          <label class="field">
            <span>Concurrency limit</span>
            <input inputMode="numeric" value={limit} placeholder="no limit" onInput={(e) => setLimit((e.target as HTMLInputElement).value)} data-testid="field-concurrency_limit" />
            <span class="help">Most runs of this queue pending or running at once.</span>
            {fieldError('concurrency_limit')}
          </label>
          <label class="field">
            <span>Priority</span>
            <input inputMode="numeric" value={priority} placeholder={q ? '' : 'after the existing queues'} onInput={(e) => setPriority((e.target as HTMLInputElement).value)} data-testid="field-priority" />
            <span class="help">1 is the highest.</span>
            {fieldError('priority')}
          </label>
          <label class="field">
            <span>Paused</span>
            <span class="toggle">
              <input type="checkbox" role="switch" checked={paused} onChange={() => setPaused(!paused)} data-testid="field-is_paused" />
              <span>{paused ? 'Paused: agents get no runs' : 'Active'}</span>
            </span>
          </label>
        </div>
        <fieldset class="sf-group">
          <legend>
            <span class="sf-label">Filter (deprecated in 2.7)</span>
          </legend>
          <span class="help">Older agents pick runs by these instead of by queue name: runs of deployments with all these tags, or of the chosen deployments.</span>
          <label class="field">
            <span>Tags</span>
            <input value={tags} placeholder="tag1, tag2" onInput={(e) => setTags((e.target as HTMLInputElement).value)} data-testid="field-filter-tags" />
          </label>
          <div class="field">
            <span>Deployments</span>
            <div class="check-list" data-testid="field-filter-deployments">
              {(deps.data ?? []).length === 0 && <span class="muted">No deployments.</span>}
              {(deps.data ?? []).map((d) => (
                <label key={d.id} class="toggle-line">
                  <input
                    type="checkbox"
                    checked={depIds.includes(d.id!)}
                    onChange={() => setDepIds(depIds.includes(d.id!) ? depIds.filter((x) => x !== d.id) : [...depIds, d.id!])}
                  />
                  {d.name}
                </label>
              ))}
            </div>
          </div>
        </fieldset>
        <button type="submit" hidden />
      </form>
    </Dialog>
  );
}
