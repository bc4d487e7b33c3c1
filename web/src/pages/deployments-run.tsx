// The custom-run form of a deployment (/deployments/deployment/<id>/run):
// parameters from the deployment's parameter_openapi_schema (or raw JSON),
// an optional run name, tags and start time. It POSTs
// /deployments/{id}/create_flow_run; a 422 from the server is shown next to
// the field its loc names.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { Deployment, Flow, FlowRun } from '../api/types';
import { useApi } from '../lib/hooks';
import { href, navigate } from '../lib/router';
import { fromInputValue, zoneLabel } from '../lib/time';
import { PageHeader } from '../components/Layout';
import { Loader } from '../components/Status';
import { toast } from '../components/Toast';
import { SchemaForm, cleanValue, defaultsFor, errorsByField, findBadJSON, mergeValues, pathKey, type JSONSchema } from './deployments-schema-form';

export function DeploymentRunPage(props: { id: string }) {
  const dep = useApi((signal) => api.get<Deployment>(`/deployments/${props.id}`, { signal }), [props.id]);
  const flow = useApi((signal) => (dep.data?.flow_id ? api.get<Flow>(`/flows/${dep.data.flow_id}`, { signal }) : Promise.resolve(undefined)), [dep.data?.flow_id]);
  return (
    <div data-testid="page-deployment-run">
      <Loader state={dep}>
        {(d) => (
          <>
            <PageHeader
              title={`Run ${d.name}`}
              crumbs={[
                { label: 'Deployments', href: '/deployments' },
                { label: `${flow.data?.name ?? '…'} / ${d.name}`, href: `/deployments/deployment/${d.id}` },
              ]}
              subtitle={<span>Start a flow run of this deployment with your own parameters.</span>}
            />
            <RunForm dep={d} />
          </>
        )}
      </Loader>
    </div>
  );
}

/** Scrolls the first field with an error into view and focuses its input. */
function focusFirstError() {
  setTimeout(() => {
    const el = document.querySelector('.has-error');
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    el.querySelector<HTMLElement>('input,select,textarea')?.focus({ preventScroll: true });
  }, 0);
}

function RunForm(props: { dep: Deployment }) {
  const d = props.dep;
  const schema = (d.parameter_openapi_schema ?? { type: 'object', properties: {} }) as JSONSchema;
  const hasFields = Object.keys((schema.properties as object) ?? {}).length > 0;
  const [params, setParams] = useState<Record<string, unknown>>(
    () => (mergeValues(defaultsFor(schema, schema) ?? {}, d.parameters ?? {}) as Record<string, unknown>) ?? {},
  );
  const [mode, setMode] = useState<'form' | 'json'>(hasFields ? 'form' : 'json');
  const [raw, setRaw] = useState(() => (hasFields ? '' : JSON.stringify(cleanValue(params), null, 2)));
  const [rawError, setRawError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [tags, setTags] = useState('');
  const [when, setWhen] = useState<'now' | 'later'>('now');
  const [start, setStart] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<FlowRun | null>(null);

  const toJson = () => {
    if (findBadJSON(params).length) {
      const errs: Record<string, string> = {};
      for (const p of findBadJSON(params)) errs[pathKey(p)] = 'Fix this JSON before switching to the JSON editor.';
      setErrors(errs);
      focusFirstError();
      return;
    }
    setRaw(JSON.stringify(cleanValue(params), null, 2));
    setRawError(null);
    setMode('json');
  };
  const toForm = () => {
    try {
      const v = raw.trim() ? JSON.parse(raw) : {};
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('parameters must be a JSON object');
      setParams(v);
      setRawError(null);
      setMode('form');
    } catch (e) {
      setRawError((e as Error).message);
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors({});
    setOther([]);
    let body: Record<string, unknown>;
    if (mode === 'json') {
      try {
        body = raw.trim() ? JSON.parse(raw) : {};
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('parameters must be a JSON object');
      } catch (err) {
        setRawError((err as Error).message);
        return;
      }
    } else {
      const bad = findBadJSON(params);
      if (bad.length) {
        const errs: Record<string, string> = {};
        for (const p of bad) errs[pathKey(p)] = 'Fix this JSON before running.';
        setErrors(errs);
        focusFirstError();
        return;
      }
      body = cleanValue(params) as Record<string, unknown>;
    }
    const payload: Record<string, unknown> = { parameters: body };
    if (name.trim()) payload.name = name.trim();
    const tagList = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (tagList.length) payload.tags = tagList;
    if (when === 'later') {
      const iso = fromInputValue(start);
      if (!iso) {
        setOther(['Choose a start time, or start the run now.']);
        return;
      }
      payload.state = { type: 'SCHEDULED', name: 'Scheduled', state_details: { scheduled_time: iso } };
    }
    setBusy(true);
    try {
      const run = await api.post<FlowRun>(`/deployments/${d.id}/create_flow_run`, payload);
      setCreated(run);
      toast(`Created flow run ${run.name}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && err.details.length) {
        const { fields, other } = errorsByField(err.details, ['body', 'parameters']);
        // In JSON mode the fields are not on screen: list them all.
        if (mode === 'json') setOther([...Object.entries(fields).map(([k, m]) => `${k}: ${m}`), ...other]);
        else {
          setErrors(fields);
          setOther(other);
        }
        if (mode === 'form' && Object.keys(fields).length) focusFirstError();
      } else {
        setOther([err instanceof Error ? err.message : String(err)]);
      }
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    return (
      <div class="card" data-testid="run-created">
        <h2>Flow run created</h2>
        <p>
          <a href={href(`/flow-runs/flow-run/${created.id}`)} data-testid="created-run-link">
            {created.name}
          </a>{' '}
          <span class="muted mono">{created.id}</span>
        </p>
        <div class="form-actions">
          <a class="btn primary" href={href(`/flow-runs/flow-run/${created.id}`)}>
            Open the run
          </a>
          <button class="btn" onClick={() => setCreated(null)} data-testid="action-run-again">
            Run again with these parameters
          </button>
          <a class="btn ghost" href={href(`/deployments/deployment/${d.id}`)}>
            Back to the deployment
          </a>
        </div>
      </div>
    );
  }

  return (
    <form onSubmit={submit} data-testid="form-custom-run" noValidate>
      <div class="card">
        <h2>
          <span>Parameters</span>
          <span class="mode-switch" role="group" aria-label="Parameter editor">
            <button type="button" class={mode === 'form' ? 'on' : ''} onClick={() => mode !== 'form' && toForm()} data-testid="mode-form">
              Form
            </button>
            <button type="button" class={mode === 'json' ? 'on' : ''} onClick={() => mode !== 'json' && toJson()} data-testid="mode-json">
              JSON
            </button>
          </span>
        </h2>
        {other.length > 0 && (
          <div class="banner bad form-errors" role="alert" data-testid="form-error">
            <div>
              {other.map((m, i) => (
                <div key={i}>{m}</div>
              ))}
            </div>
          </div>
        )}
        {mode === 'form' ? (
          <>
            {!hasFields && <p class="muted">This deployment's flow takes no parameters (its schema lists none). Use JSON to send some anyway.</p>}
            <SchemaForm schema={schema} value={params} onChange={setParams} errors={errors} />
            <p class="muted help">Fields left empty are not sent; the deployment's own parameter values then apply.</p>
          </>
        ) : (
          <div class="sf-raw">
            <p class="muted help">
              {hasFields
                ? 'The parameters as one JSON object; values not given take the deployment\'s own.'
                : "This deployment's flow declares no parameters (its schema lists none): write them as a JSON object, e.g. {\"name\": \"value\"}."}
            </p>
            <textarea
              value={raw}
              spellcheck={false}
              onInput={(e) => {
                setRaw((e.target as HTMLTextAreaElement).value);
                setRawError(null);
              }}
              data-testid="field-parameters-json"
              aria-label="Parameters as JSON"
            />
            {rawError && (
              <div class="field-error" data-testid="field-error-parameters-json">
                Not valid JSON: {rawError}
              </div>
            )}
          </div>
        )}
      </div>
      <div class="card">
        <h2>Run options</h2>
        <div class="form-grid">
          <label class="field">
            <span>Run name</span>
            <input value={name} placeholder="generated when empty" onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="field-name" />
          </label>
          <label class="field">
            <span>Extra tags</span>
            <input value={tags} placeholder="tag1, tag2" onInput={(e) => setTags((e.target as HTMLInputElement).value)} data-testid="field-tags" />
            <span class="help">Added to the deployment's tags{d.tags?.length ? ` (${d.tags.join(', ')})` : ''}.</span>
          </label>
          <div class="field">
            <span>Start</span>
            <label class="toggle-line">
              <input type="radio" name="when" checked={when === 'now'} onChange={() => setWhen('now')} data-testid="field-start-now" /> Now
            </label>
            <label class="toggle-line">
              <input type="radio" name="when" checked={when === 'later'} onChange={() => setWhen('later')} data-testid="field-start-later" /> At a time
            </label>
            {when === 'later' && (
              <span class="sf-datetime">
                <input type="datetime-local" value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} data-testid="field-start-time" />
                <span class="muted">{zoneLabel()}</span>
              </span>
            )}
          </div>
        </div>
        {d.work_queue_name && (
          <p class="muted help">
            The run goes to work queue <a href={href(`/work-queues`)}>{d.work_queue_name}</a>; an agent polling it starts the run.
          </p>
        )}
      </div>
      <div class="form-actions">
        <button type="submit" class="btn primary" disabled={busy} data-testid="action-run">
          {busy ? 'Creating…' : 'Run'}
        </button>
        {Object.keys(errors).length > 0 && (
          <span class="run-error-note" role="alert" data-testid="run-error-summary">
            {Object.keys(errors).length === 1 ? '1 parameter needs attention' : `${Object.keys(errors).length} parameters need attention`} (marked above).
          </span>
        )}
        <button type="button" class="btn ghost" onClick={() => navigate(`/deployments/deployment/${d.id}`)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

