// A block (/blocks/block/<id>): its fields as the schema names them, with
// secrets shown obfuscated as the server sends them (no include_secrets);
// edit, delete, and how to load it in code.
import { Fragment } from 'preact';
import { api } from '../api/client';
import type { BlockDocument } from '../api/types';
import { useApi } from '../lib/hooks';
import { href, navigate } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { Loader } from '../components/Status';
import { Time } from '../components/Time';
import { JsonView } from '../components/JsonView';
import { confirm } from '../components/Dialog';
import { toast, toastError } from '../components/Toast';
import { orderedProps, type JSONSchema } from './deployments-schema-form';
import { BlockIcon, referenceFields, secretFields } from './blocks-common';
import { CopyBox } from './settings';

/** "image_pull_policy" -> "Image Pull Policy" (for fields without a title). */
function humanize(k: string): string {
  return k.replace(/_/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}

function Value(props: { v: unknown; secret: boolean }) {
  const v = props.v;
  if (v === undefined || v === null) return <span class="muted">not set</span>;
  if (props.secret) return <span class="mono" data-testid="secret-value">{typeof v === 'string' ? v : '********'}</span>;
  if (typeof v === 'string') return <span class="mono">{v}</span>;
  if (typeof v === 'number' || typeof v === 'boolean') return <span class="mono">{String(v)}</span>;
  const text = JSON.stringify(v);
  if (text.length <= 80) return <span class="mono">{text}</span>;
  return <JsonView value={v} />;
}

export function BlockPage(props: { id: string }) {
  const doc = useApi((signal) => api.get<BlockDocument>(`/block_documents/${props.id}`, { signal }), [props.id]);
  const remove = async (d: BlockDocument) => {
    const ok = await confirm({
      title: 'Delete block',
      message: (
        <p>
          Delete <strong>{d.name}</strong>? Flows and deployments that load it will fail to.
        </p>
      ),
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/block_documents/${d.id}`);
      toast(`Deleted block ${d.name}`);
      navigate('/blocks');
    } catch (e) {
      toastError(e, 'Could not delete');
    }
  };
  return (
    <div data-testid="page-block">
      <Loader state={doc}>
        {(d) => {
          const fields = (d.block_schema?.fields ?? {}) as JSONSchema;
          const secrets = new Set(secretFields(fields));
          const refs = referenceFields(fields);
          const data = (d.data ?? {}) as Record<string, unknown>;
          const docRefs = (d.block_document_references ?? {}) as Record<string, { block_document?: { id?: string; name?: string } }>;
          const known = orderedProps(fields).map(([k, s]) => [k, s] as [string, JSONSchema]);
          const extra = Object.keys(data).filter((k) => !known.some(([n]) => n === k));
          const cls = d.block_type?.name?.replace(/[^A-Za-z0-9]/g, '') ?? 'Block';
          return (
            <>
              <PageHeader
                title={
                  <span class="name-cell">
                    <BlockIcon type={d.block_type} /> {d.name}
                  </span>
                }
                crumbs={[{ label: 'Blocks', href: '/blocks' }]}
                subtitle={
                  <span>
                    <a href={href(`/blocks/catalog/${d.block_type?.slug}`)}>{d.block_type?.name}</a> block
                  </span>
                }
                actions={
                  <>
                    <a class="btn" href={href(`/blocks/block/${d.id}/edit`)} data-testid="action-edit">
                      Edit
                    </a>
                    <button class="btn danger" onClick={() => remove(d)} data-testid="action-delete">
                      Delete
                    </button>
                  </>
                }
              />
              <div class="grid cols-2">
                <div class="card" data-testid="block-data">
                  <h2>Fields</h2>
                  {known.length + extra.length === 0 ? (
                    <p class="muted">No fields.</p>
                  ) : (
                    <dl class="kv">
                      {known.map(([k, s]) => (
                        <Fragment key={k}>
                          <dt title={s.description}>
                            {s.title ?? humanize(k)}
                          </dt>
                          <dd data-field={k}>
                            {refs.has(k) ? (
                              docRefs[k]?.block_document?.id ? (
                                <a href={href(`/blocks/block/${docRefs[k].block_document!.id}`)}>{docRefs[k].block_document!.name ?? 'referenced block'}</a>
                              ) : (
                                <span class="muted">not set</span>
                              )
                            ) : (
                              <Value v={data[k]} secret={secrets.has(k)} />
                            )}
                          </dd>
                        </Fragment>
                      ))}
                      {extra.map((k) => (
                        <Fragment key={k}>
                          <dt>{k}</dt>
                          <dd data-field={k}>
                            <Value v={data[k]} secret={secrets.has(k)} />
                          </dd>
                        </Fragment>
                      ))}
                    </dl>
                  )}
                </div>
                <div class="card">
                  <h2>Details</h2>
                  <dl class="kv">
                    <dt>Type</dt>
                    <dd>
                      <a href={href(`/blocks/catalog/${d.block_type?.slug}`)}>{d.block_type?.name}</a>
                    </dd>
                    <dt>Capabilities</dt>
                    <dd>{((d.block_schema?.capabilities ?? []) as string[]).length ? (d.block_schema!.capabilities as string[]).map((c) => <span class="tag" key={c}>{c}</span>) : <span class="muted">none</span>}</dd>
                    <dt>Schema version</dt>
                    <dd>{d.block_schema?.version ?? '—'}</dd>
                    <dt>Created</dt>
                    <dd>
                      <Time value={d.created} />
                    </dd>
                    <dt>Updated</dt>
                    <dd>
                      <Time value={d.updated} />
                    </dd>
                    <dt>ID</dt>
                    <dd class="mono">{d.id}</dd>
                  </dl>
                  <h3 style={{ marginTop: '14px' }}>Load it in code</h3>
                  <CopyBox text={`${cls}.load("${d.name}")`} testid="block-load-code" />
                </div>
              </div>
            </>
          );
        }}
      </Loader>
    </div>
  );
}
