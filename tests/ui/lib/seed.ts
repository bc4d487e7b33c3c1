// The seed: what a small team's Orrery holds after a day of work, written
// through the REST API the way the stock Prefect client writes it (flow
// runs driven through their states by set_state, task runs with
// task_inputs naming their upstream runs, log batches, deployments with a
// pydantic-style parameter schema). Names are fixed so the specs can look
// for them; ids are returned in a Seed.
import { Api } from './api';

export interface Seed {
  flows: Record<string, string>; // name -> id
  deployments: Record<string, string>; // "flow/deployment" -> id
  flowRuns: Record<string, string>; // name -> id (one per state, plus the subflow)
  stateOfRun: Record<string, string>; // run name -> state type
  taskRuns: Record<string, string>; // "run name/task key" -> id
  workQueues: Record<string, string>; // name -> id
  blocks: Record<string, string>; // "type-slug/name" -> block document id
  concurrencyLimits: Record<string, string>; // tag -> id
  savedSearches: Record<string, string>; // name -> id
  notificationPolicies: string[]; // ids (empty while the routes are missing)
  logLine: string; // a unique line in the main run's logs
  mainRun: string; // the completed run with the task graph
}

const iso = (d: Date) => d.toISOString();

/** The deployment's parameter schema, as pydantic 1 writes it for
 *  `def etl(source: str, batch_size: int = 500, regions: list[str] = [...],
 *  mode: Literal['full','incremental'] = 'incremental', threshold: int | float | None = None,
 *  target: Target = ..., dry_run: bool = False, extra: dict = {})`. */
export const parameterSchema = {
  title: 'Parameters',
  type: 'object',
  properties: {
    source: { title: 'source', type: 'string', description: 'Where to read from' },
    batch_size: { title: 'batch_size', type: 'integer', default: 500, minimum: 1 },
    regions: { title: 'regions', type: 'array', items: { type: 'string' }, default: ['eu', 'us'] },
    mode: { title: 'mode', enum: ['full', 'incremental'], type: 'string', default: 'incremental' },
    threshold: { title: 'threshold', anyOf: [{ type: 'integer' }, { type: 'number' }] },
    target: { $ref: '#/definitions/Target' },
    dry_run: { title: 'dry_run', type: 'boolean', default: false },
    extra: { title: 'extra', type: 'object', default: {} },
  },
  required: ['source', 'target'],
  definitions: {
    Target: {
      title: 'Target',
      type: 'object',
      properties: {
        table: { title: 'Table', type: 'string' },
        partitions: { title: 'Partitions', type: 'array', items: { type: 'integer' } },
        options: {
          title: 'Options',
          type: 'object',
          properties: { overwrite: { title: 'Overwrite', type: 'boolean', default: false } },
        },
      },
      required: ['table'],
    },
  },
};

export async function seed(base: string): Promise<Seed> {
  const api = new Api(base);
  const s: Seed = {
    flows: {},
    deployments: {},
    flowRuns: {},
    stateOfRun: {},
    taskRuns: {},
    workQueues: {},
    blocks: {},
    concurrencyLimits: {},
    savedSearches: {},
    notificationPolicies: [],
    logLine: 'checksum mismatch in shard 7 of orders.parquet',
    mainRun: 'seed-etl-completed',
  };
  const now = new Date();

  // Flows.
  for (const name of ['etl-pipeline', 'report-builder', 'ml-train']) {
    const f = await api.post('/flows/', { name, tags: name === 'ml-train' ? ['gpu'] : [] });
    s.flows[name] = f.id;
  }

  // Work queues.
  s.workQueues['etl-queue'] = (await api.post('/work_queues/', {
    name: 'etl-queue', description: 'Nightly ETL jobs', concurrency_limit: 4,
  })).id;
  s.workQueues['reports'] = (await api.post('/work_queues/', { name: 'reports', description: 'Report rendering' })).id;
  s.workQueues['ml-gpu'] = (await api.post('/work_queues/', { name: 'ml-gpu', description: 'GPU training', is_paused: true })).id;
  s.workQueues['pause-me'] = (await api.post('/work_queues/', { name: 'pause-me', description: 'The UI test pauses this one' })).id;

  // Blocks: a few documents of built-in types.
  const blockDoc = async (slug: string, name: string, data: Record<string, unknown>) => {
    const bt = await api.get(`/block_types/slug/${slug}`);
    const schemas = await api.post('/block_schemas/filter', { block_schemas: { block_type_id: { any_: [bt.id] } } });
    const doc = await api.post('/block_documents/', { name, block_type_id: bt.id, block_schema_id: schemas[0].id, data });
    s.blocks[`${slug}/${name}`] = doc.id;
    return doc.id as string;
  };
  await blockDoc('secret', 'warehouse-password', { value: 'hunter2-do-not-show' });
  await blockDoc('json', 'pipeline-config', { value: { retries: 3, regions: ['eu', 'us'] } });
  await blockDoc('local-file-system', 'etl-storage', { basepath: '/srv/flows' });
  const slack = await blockDoc('slack-webhook', 'alerts', { url: 'https://hooks.slack.invalid/services/T000/B000/XXXX' });
  const infra = await blockDoc('process', 'etl-process', { env: { LOG_LEVEL: 'INFO' }, stream_output: true });

  // Deployments: one with a cron schedule and the rich parameter schema, one
  // with an interval, one without a schedule.
  const dep = async (flow: string, name: string, extra: Record<string, unknown>) => {
    const d = await api.post('/deployments/', {
      name, flow_id: s.flows[flow], manifest_path: null, path: '/srv/flows', entrypoint: `flows/${flow}.py:${flow.replace('-', '_')}`,
      infrastructure_document_id: infra, ...extra,
    });
    s.deployments[`${flow}/${name}`] = d.id;
    return d.id as string;
  };
  await dep('etl-pipeline', 'nightly', {
    description: 'Loads the day\'s orders into the warehouse',
    work_queue_name: 'etl-queue', tags: ['etl', 'env:prod'],
    schedule: { cron: '0 2 * * *', timezone: 'Europe/Berlin', day_or: true },
    is_schedule_active: false, // the UI tests create runs by hand; no scheduler noise
    parameters: { source: 's3://orders/raw', target: { table: 'orders', partitions: [1, 2] } },
    parameter_openapi_schema: parameterSchema,
  });
  await dep('report-builder', 'hourly', {
    work_queue_name: 'reports', tags: ['reports'],
    schedule: { interval: 3600, anchor_date: '2024-01-01T00:00:00+00:00', timezone: 'UTC' },
    is_schedule_active: false,
    parameter_openapi_schema: { title: 'Parameters', type: 'object', properties: { day: { title: 'day', type: 'string', format: 'date' } } },
  });
  await dep('ml-train', 'adhoc', {
    work_queue_name: 'ml-gpu', tags: ['gpu'],
    parameter_openapi_schema: { title: 'Parameters', type: 'object', properties: { epochs: { title: 'epochs', type: 'integer', default: 10 } } },
  });

  // Flow runs in every state type, driven through their states as a
  // client and agent would drive them.
  const setState = (kind: 'flow_runs' | 'task_runs', id: string, state: Record<string, unknown>, force = true) =>
    api.post(`/${kind}/${id}/set_state`, { state, force });
  const pathTo: Record<string, Array<Record<string, unknown>>> = {
    SCHEDULED: [],
    PENDING: [{ type: 'PENDING' }],
    RUNNING: [{ type: 'PENDING' }, { type: 'RUNNING' }],
    COMPLETED: [{ type: 'PENDING' }, { type: 'RUNNING' }, { type: 'COMPLETED', message: 'All states completed.' }],
    FAILED: [{ type: 'PENDING' }, { type: 'RUNNING' }, { type: 'FAILED', message: 'Flow run encountered an exception: ValueError: bad row 1041' }],
    CANCELLED: [{ type: 'PENDING' }, { type: 'RUNNING' }, { type: 'CANCELLED', message: 'Cancelled by the operator' }],
    CRASHED: [{ type: 'PENDING' }, { type: 'RUNNING' }, { type: 'CRASHED', message: 'Flow run infrastructure exited with non-zero status code 137.' }],
    PAUSED: [{ type: 'PENDING' }, { type: 'RUNNING' }, { type: 'PAUSED', name: 'Paused', state_details: { pause_timeout: iso(new Date(now.getTime() + 3600_000)), pause_reschedule: false } }],
  };
  const flowOfState: Record<string, string> = {
    SCHEDULED: 'etl-pipeline', PENDING: 'report-builder', RUNNING: 'etl-pipeline', COMPLETED: 'etl-pipeline',
    FAILED: 'etl-pipeline', CANCELLED: 'report-builder', CRASHED: 'ml-train', PAUSED: 'report-builder',
  };
  const mkRun = async (name: string, flow: string, stateType: string, opts: { deployment?: string; tags?: string[]; parameters?: Record<string, unknown>; scheduledIn?: number; parentTaskRunId?: string } = {}) => {
    const scheduled = new Date(now.getTime() + (opts.scheduledIn ?? -60_000));
    const state = { type: 'SCHEDULED', state_details: { scheduled_time: iso(scheduled) } };
    // A deployment's runs are made as the scheduler and `prefect deployment
    // run` make them (they get the deployment's work queue); others as a
    // flow run started by calling the flow.
    const r = opts.deployment
      ? await api.post(`/deployments/${s.deployments[opts.deployment]}/create_flow_run`, {
        name, tags: opts.tags ?? [], parameters: opts.parameters ?? {}, state,
      })
      : await api.post('/flow_runs/', {
        name, flow_id: s.flows[flow], tags: opts.tags ?? [], parameters: opts.parameters ?? {},
        parent_task_run_id: opts.parentTaskRunId ?? null, state,
      });
    for (const st of pathTo[stateType]) await setState('flow_runs', r.id, st);
    s.flowRuns[name] = r.id;
    s.stateOfRun[name] = stateType;
    return r.id as string;
  };
  for (const type of Object.keys(pathTo)) {
    const name = type === 'COMPLETED' ? s.mainRun : `seed-${type.toLowerCase()}`;
    const flow = flowOfState[type];
    await mkRun(name, flow, type, {
      deployment: flow === 'etl-pipeline' ? 'etl-pipeline/nightly' : undefined,
      tags: flow === 'etl-pipeline' ? ['etl', 'env:prod'] : ['env:dev'],
      parameters: flow === 'etl-pipeline' ? { source: 's3://orders/raw', batch_size: 250, target: { table: 'orders' } } : {},
      scheduledIn: type === 'SCHEDULED' ? 2 * 3600_000 : undefined,
    });
  }
  // A Late run (Scheduled, its time long past) and more completed runs for the history.
  const late = await mkRun('seed-late', 'report-builder', 'SCHEDULED', { scheduledIn: -3 * 3600_000, tags: ['env:dev'] });
  await setState('flow_runs', late, { type: 'SCHEDULED', name: 'Late', state_details: { scheduled_time: iso(new Date(now.getTime() - 3 * 3600_000)) } });
  for (let i = 1; i <= 4; i++) await mkRun(`seed-report-${i}`, 'report-builder', i === 3 ? 'FAILED' : 'COMPLETED', { tags: ['env:dev'] });
  // A day of hourly runs, expected over the past 20 hours (the run history
  // is drawn by expected start; the server stamps the states themselves).
  for (let h = 20; h >= 1; h--) {
    const type = h === 7 || h === 15 ? 'FAILED' : h === 11 ? 'CRASHED' : 'COMPLETED';
    await mkRun(`hourly-report-${String(h).padStart(2, '0')}`, h % 2 ? 'report-builder' : 'ml-train', type, { scheduledIn: -h * 3600_000, tags: ['env:prod', 'hourly'] });
  }

  // Task runs of the main run: extract -> transform (x2, mapped) -> load,
  // each naming its upstream runs in task_inputs, as the client does.
  const main = s.flowRuns[s.mainRun];
  const mkTask = async (runName: string, flowRunId: string, key: string, dynamicKey: string, inputs: Record<string, Array<{ input_type: string; id?: string; name?: string }>>, final: 'COMPLETED' | 'FAILED' = 'COMPLETED') => {
    const t = await api.post('/task_runs/', {
      name: `${key}-${dynamicKey}`, flow_run_id: flowRunId, task_key: `flows.etl.${key}`, dynamic_key: dynamicKey,
      cache_key: key === 'extract' ? 'extract-orders-2024' : null, tags: ['etl'], task_inputs: inputs,
      state: { type: 'PENDING' },
    });
    await setState('task_runs', t.id, { type: 'RUNNING' });
    await setState('task_runs', t.id, final === 'COMPLETED'
      ? { type: 'COMPLETED', message: null }
      : { type: 'FAILED', message: 'Task run encountered an exception: ValueError: bad row 1041' });
    s.taskRuns[`${runName}/${key}-${dynamicKey}`] = t.id;
    return t.id as string;
  };
  const extract = await mkTask(s.mainRun, main, 'extract', '0', { source: [{ input_type: 'parameter', name: 'source' }] });
  const t0 = await mkTask(s.mainRun, main, 'transform', '0', { rows: [{ input_type: 'task_run', id: extract }] });
  const t1 = await mkTask(s.mainRun, main, 'transform', '1', { rows: [{ input_type: 'task_run', id: extract }] });
  await mkTask(s.mainRun, main, 'load', '0', { frames: [{ input_type: 'task_run', id: t0 }, { input_type: 'task_run', id: t1 }], table: [] });
  // A subflow: the notify task of the main run is the parent of a child run.
  const notifyTask = await mkTask(s.mainRun, main, 'notify', '0', {});
  await mkRun('seed-subflow', 'report-builder', 'COMPLETED', { parentTaskRunId: notifyTask, tags: ['env:prod'] });
  // The running run holds a slot of the 'db' concurrency limit (created
  // below, before this task enters Running).
  const runningTask = async () => {
    const t = await api.post('/task_runs/', {
      name: 'write-orders-0', flow_run_id: s.flowRuns['seed-running'], task_key: 'flows.etl.write_orders', dynamic_key: '0',
      tags: ['db'], task_inputs: {}, state: { type: 'PENDING' },
    });
    await setState('task_runs', t.id, { type: 'RUNNING' }, false);
    s.taskRuns['seed-running/write-orders-0'] = t.id;
  };
  // The failed run has a failed task.
  await mkTask('seed-failed', s.flowRuns['seed-failed'], 'extract', '0', {}, 'FAILED');

  // Logs: flow-run and task-run lines at several levels, one unique line
  // for the search test.
  const logs: Array<Record<string, unknown>> = [];
  // Lines fall inside the run: from its start, 20 ms apart.
  const mainStart = new Date((await api.get(`/flow_runs/${main}`)).start_time).getTime();
  const at = (i: number) => iso(new Date(mainStart + i * 20));
  const lines: Array<[number, string, string | null]> = [
    [20, "Created flow run 'seed-etl-completed' for flow 'etl-pipeline'", null],
    [20, 'Reading orders from s3://orders/raw', extract],
    [10, 'Fetched 12,480 rows in 3 files', extract],
    [30, s.logLine, t0],
    [20, 'Transform 0 wrote 6,240 rows', t0],
    [20, 'Transform 1 wrote 6,240 rows', t1],
    [20, 'Loaded 12,480 rows into warehouse table orders', null],
    [20, "Finished in state Completed('All states completed.')", null],
  ];
  lines.forEach(([level, message, task], i) =>
    logs.push({ name: task ? 'prefect.task_runs' : 'prefect.flow_runs', level, message, timestamp: at(i), flow_run_id: main, task_run_id: task }));
  for (let i = 0; i < 40; i++) {
    logs.push({ name: 'prefect.flow_runs', level: 20, message: `progress: batch ${i + 1}/40 committed`, timestamp: at(20 + i), flow_run_id: main, task_run_id: null });
  }
  logs.push({ name: 'prefect.flow_runs', level: 40, message: 'Encountered exception during execution:\nTraceback (most recent call last):\n  File "flows/etl.py", line 41, in extract\nValueError: bad row 1041', timestamp: at(5), flow_run_id: s.flowRuns['seed-failed'], task_run_id: null });
  await api.post('/logs/', logs);

  // Concurrency limits (one with an active slot held by a running task).
  for (const [tag, limit] of [['db', 5], ['gpu', 1], ['etl', 10]] as const) {
    s.concurrencyLimits[tag] = (await api.post('/concurrency_limits/', { tag, concurrency_limit: limit })).id;
  }
  await runningTask();

  // Saved searches, in the shape the stock 2.7.12 UI saves them
  // (property = its filter's key, value = the selection).
  const ss = await api.put('/saved_searches/', {
    name: 'Failed prod runs',
    filters: [
      { object: 'flowRun', property: 'state', type: '', operation: '', value: ['Failed', 'Crashed'] },
      { object: 'flowRun', property: 'tag', type: '', operation: '', value: ['env:prod'] },
    ],
  });
  s.savedSearches['Failed prod runs'] = ss.id;

  // A notification policy, once the routes exist (issue 13).
  const probe = await fetch(`${base}/api/flow_run_notification_policies/filter`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
  });
  if (probe.ok) {
    const p = await api.post('/flow_run_notification_policies/', {
      is_active: true, state_names: ['Failed', 'Crashed'], tags: ['env:prod'], block_document_id: slack,
    });
    s.notificationPolicies.push(p.id);
  }
  return s;
}
