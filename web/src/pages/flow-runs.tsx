// /flow-runs: every flow run, server-paginated, filtered by URL parameters
// (see lib/runs.ts), with saved searches and bulk actions.
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Flow, Deployment, SavedSearch, WorkQueue } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, setQuery, navigate, loc } from '../lib/router';
import { FLOW_RUN_SORTS, SEARCH_PARAMS, toSavedFilters, fromSavedFilters } from '../lib/runs';
import { STATE_TYPES, STATE_COLORS, stateLabel } from '../lib/states';
import { fromInputValue, toInputValue, zoneLabel } from '../lib/time';
import { PageHeader } from '../components/Layout';
import { FilterBar, TextFilter, SelectFilter, ChipsFilter, TagsFilter, TIME_RANGES } from '../components/FilterBar';
import { FlowRunsList } from '../components/FlowRunsList';
import { Dialog, confirm } from '../components/Dialog';
import { toast, toastError } from '../components/Toast';

const FILTER_PARAMS = SEARCH_PARAMS;

function SavedSearches() {
  const searches = useApi((signal) => api.post<SavedSearch[]>('/saved_searches/filter', { limit: 200 }, { signal }), []);
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState('');
  const current = new URLSearchParams(loc.value.search);
  const hasFilters = FILTER_PARAMS.some((p) => current.has(p));

  const apply = (s: SavedSearch) => {
    const str = fromSavedFilters(s.filters ?? []).toString();
    navigate('/flow-runs' + (str ? '?' + str : ''));
  };
  const save = async () => {
    const filters = toSavedFilters(current);
    try {
      await api.put('/saved_searches/', { name: name.trim(), filters });
      toast(`Saved “${name.trim()}”`);
      setSaving(false);
      setName('');
      searches.reload();
    } catch (e) {
      toastError(e, 'Could not save the search');
    }
  };
  const remove = async (s: SavedSearch) => {
    if (!(await confirm({ title: 'Delete saved search', message: `Delete “${s.name}”?`, confirmLabel: 'Delete', danger: true }))) return;
    try {
      await api.delete(`/saved_searches/${s.id}`);
      searches.reload();
    } catch (e) {
      toastError(e);
    }
  };
  return (
    <div class="saved-searches" data-testid="saved-searches">
      <span class="muted">Saved:</span>
      {(searches.data ?? []).length === 0 && <span class="muted">none</span>}
      {(searches.data ?? []).map((s) => (
        <span class="saved" key={s.id}>
          <button class="chip" onClick={() => apply(s)} data-testid="saved-search" title="Apply this search">
            {s.name}
          </button>
          <button class="btn ghost small" aria-label={`Delete ${s.name}`} onClick={() => remove(s)}>
            ×
          </button>
        </span>
      ))}
      <button class="btn small" disabled={!hasFilters} title={hasFilters ? 'Save the current filters' : 'Set a filter first'} onClick={() => setSaving(true)} data-testid="action-save-search">
        Save search…
      </button>
      {saving && (
        <Dialog
          title="Save this search"
          onClose={() => setSaving(false)}
          testid="save-search-dialog"
          footer={
            <button class="btn primary" disabled={!name.trim()} onClick={save} data-testid="action-save">
              Save
            </button>
          }
        >
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (name.trim()) save();
            }}
          >
            <label class="field">
              <span>Name</span>
              <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="field-search-name" />
            </label>
          </form>
        </Dialog>
      )}
    </div>
  );
}

export function FlowRunsPage() {
  const q = query.value;
  const flows = useApi((signal) => api.post<Flow[]>('/flows/filter', { sort: 'NAME_ASC', limit: 200 }, { signal }), []);
  const deps = useApi((signal) => api.post<Deployment[]>('/deployments/filter', { sort: 'NAME_ASC', limit: 200 }, { signal }), []);
  const queues = useApi((signal) => api.post<WorkQueue[]>('/work_queues/filter', { limit: 200 }, { signal }), []);
  const range = q.get('range') || 'all';
  return (
    <div data-testid="page-flow-runs">
      <PageHeader title="Flow Runs" subtitle={<span>Times in {zoneLabel()}</span>} />
      <FilterBar onClear={() => setQuery(Object.fromEntries([...FILTER_PARAMS, 'offset'].map((p) => [p, undefined])))}>
        <TextFilter param="name" label="Name contains" placeholder="run name" />
        <SelectFilter param="flow" label="Flow" anyLabel="All flows" options={(flows.data ?? []).map((f) => ({ value: f.id!, label: f.name! }))} />
        <SelectFilter param="deployment" label="Deployment" anyLabel="All deployments" options={(deps.data ?? []).map((d) => ({ value: d.id!, label: d.name! }))} />
        <SelectFilter param="queue" label="Work queue" anyLabel="All queues" options={(queues.data ?? []).map((w) => ({ value: w.name!, label: w.name! }))} />
        <TagsFilter param="tag" label="Tags (all of)" />
        <SelectFilter param="range" label="Expected start" fallback="all" options={[...TIME_RANGES.map((r) => ({ value: r.value, label: r.label })), { value: 'custom', label: 'Custom…' }]} />
        {range === 'custom' && (
          <>
            <label class="filter">
              <span>From ({zoneLabel()})</span>
              <input type="datetime-local" value={toInputValue(q.get('from'))} onChange={(e) => setQuery({ from: fromInputValue((e.target as HTMLInputElement).value), offset: undefined })} data-testid="filter-from" />
            </label>
            <label class="filter">
              <span>To ({zoneLabel()})</span>
              <input type="datetime-local" value={toInputValue(q.get('to'))} onChange={(e) => setQuery({ to: fromInputValue((e.target as HTMLInputElement).value), offset: undefined })} data-testid="filter-to" />
            </label>
          </>
        )}
        <SelectFilter param="sort" label="Sort" fallback="EXPECTED_START_TIME_DESC" options={FLOW_RUN_SORTS} />
        <ChipsFilter param="state" label="State" options={[...STATE_TYPES.map((t) => ({ value: t, label: stateLabel(t), color: STATE_COLORS[t] })), { value: 'Late', label: 'Late', color: STATE_COLORS.SCHEDULED }]} />
      </FilterBar>
      <SavedSearches />
      <FlowRunsList selectable testid="flow-runs-table" />
    </div>
  );
}
