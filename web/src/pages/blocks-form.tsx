// Create a block from its type's schema (/blocks/catalog/<slug>/create, as
// in 2.7's UI) and edit one (/blocks/block/<id>/edit). Secret fields are
// password inputs; editing starts from the obfuscated document (never
// include_secrets), and an untouched secret goes back as "********", which
// the server reads as "keep the stored value". Fields that reference other
// blocks (block_schema_references) choose one of that type's documents.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { BlockDocument, BlockSchema, BlockType } from '../api/types';
import { useApi } from '../lib/hooks';
import { navigate, href } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { Loader } from '../components/Status';
import { toast } from '../components/Toast';
import { SchemaForm, fieldTestId, cleanValue, defaultsFor, errorsByField, findBadJSON, pathKey, type JSONSchema, type Path } from './deployments-schema-form';
import { BlockIcon, plainText, referenceFields, secretFields } from './blocks-common';

const NAME_RULE = /^[a-z0-9-]+$/;
/** The form's own field names: schema fields of the same name get test ids field-data.<name>. */
const RESERVED = ['name'];

function RefSelect(props: { slug: string; value: unknown; onChange: (v: unknown) => void; testid: string }) {
  const docs = useApi((signal) => api.get<BlockDocument[]>(`/block_types/slug/${encodeURIComponent(props.slug)}/block_documents`, { signal }), [props.slug]);
  const cur = (props.value as { $ref?: { block_document_id?: string } } | undefined)?.$ref?.block_document_id ?? '';
  const named = (docs.data ?? []).filter((d) => !d.is_anonymous);
  return (
    <span class="ref-select">
      <select
        value={cur}
        onChange={(e) => {
          const id = (e.target as HTMLSelectElement).value;
          props.onChange(id ? { $ref: { block_document_id: id } } : undefined);
        }}
        data-testid={props.testid}
      >
        <option value="">(none)</option>
        {named.map((d) => (
          <option key={d.id} value={d.id ?? ""}>
            {d.name}
          </option>
        ))}
        {cur && !named.some((d) => d.id === cur) && <option value={cur}>{cur}</option>}
      </select>
      <a class="muted" href={href(`/blocks/catalog/${props.slug}/create`)} target="_blank" rel="noopener">
        new {props.slug} block ↗
      </a>
    </span>
  );
}

function BlockForm(props: {
  type: BlockType;
  schema: BlockSchema;
  doc?: BlockDocument;
}) {
  const fields = (props.schema.fields ?? {}) as JSONSchema;
  const refs = referenceFields(fields);
  const secrets = secretFields(fields);
  const [name, setName] = useState(props.doc?.name ?? '');
  const [data, setData] = useState<Record<string, unknown>>(() => {
    if (!props.doc) return (defaultsFor(fields, fields) as Record<string, unknown>) ?? {};
    const d: Record<string, unknown> = { ...((props.doc.data ?? {}) as Record<string, unknown>) };
    // Referenced documents arrive expanded inline: edit them as references.
    const docRefs = (props.doc.block_document_references ?? {}) as Record<string, { block_document?: { id?: string } }>;
    for (const k of refs.keys()) {
      const id = docRefs[k]?.block_document?.id;
      d[k] = id ? { $ref: { block_document_id: id } } : undefined;
    }
    return d;
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  // The block's own name is not a schema field (a schema may have a "name" of its own).
  const [nameError, setNameError] = useState<string | null>(null);
  const [other, setOther] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  const override = (path: Path, _s: JSONSchema, value: unknown, onChange: (v: unknown) => void) => {
    if (path.length !== 1 || !refs.has(String(path[0]))) return undefined;
    return <RefSelect slug={refs.get(String(path[0]))!} value={value} onChange={onChange} testid={fieldTestId({ reserved: RESERVED }, path)} />;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    let nameErr: string | null = null;
    if (!props.doc) {
      if (!name.trim()) nameErr = 'A name is required.';
      else if (!NAME_RULE.test(name.trim())) nameErr = 'Use lowercase letters, numbers and dashes only.';
    }
    setNameError(nameErr);
    for (const p of findBadJSON(data)) local[pathKey(p)] = 'Fix this JSON before saving.';
    const required: string[] = Array.isArray(fields.required) ? fields.required : [];
    for (const k of required) if (data[k] === undefined && !refs.has(k)) local[k] = 'This field is required.';
    setErrors(local);
    setOther([]);
    if (Object.keys(local).length || nameErr) return;
    const clean = cleanValue(data) as Record<string, unknown>;
    setBusy(true);
    try {
      if (props.doc) {
        // Unset fields must go away, so the whole data is sent (no merge);
        // "********" secrets are kept by the server.
        await api.patch(`/block_documents/${props.doc.id}`, { data: clean, merge_existing_data: false });
        toast(`Saved block ${props.doc.name}`);
        navigate(`/blocks/block/${props.doc.id}`);
      } else {
        const doc = await api.post<BlockDocument>('/block_documents/', {
          name: name.trim(),
          block_type_id: props.type.id,
          block_schema_id: props.schema.id,
          data: clean,
        });
        toast(`Created block ${doc.name}`);
        navigate(`/blocks/block/${doc.id}`);
      }
    } catch (err) {
      if (err instanceof ApiError && err.details.length) {
        const r = errorsByField(err.details, ['body']);
        const f: Record<string, string> = {};
        for (const [k, m] of Object.entries(r.fields)) {
          if (k.startsWith('data.')) f[k.slice(5)] = m;
          else if (k === 'name') setNameError(m);
          else r.other.push(`${k}: ${m}`);
        }
        setErrors(f);
        setOther(r.other);
      } else setOther([err instanceof Error ? err.message : String(err)]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} data-testid="form-block" noValidate>
      <div class="card">
        {other.length > 0 && (
          <div class="banner bad" role="alert" data-testid="form-error">
            {other.join('; ')}
          </div>
        )}
        <label class={'field sf-field' + (nameError ? ' has-error' : '')}>
          <span class="sf-label">
            Block name<span class="sf-req"> *</span>
          </span>
          <input value={name} disabled={!!props.doc} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="field-name" placeholder="my-block" />
          <span class="help">{props.doc ? 'A block keeps its name.' : `Lowercase letters, numbers and dashes; load it in code with ${props.type.name?.replace(/\s/g, '')}.load("name").`}</span>
          {nameError && (
            <span class="field-error" data-testid="field-error-name">
              {nameError}
            </span>
          )}
        </label>
        <SchemaForm schema={fields} value={data} onChange={setData} errors={errors} secretFields={secrets} renderOverride={override} reserved={RESERVED} empty="This block type has no fields." />
        {props.doc && secrets.length > 0 && <p class="muted help">Secret fields show ******** : leave them as they are to keep the stored value.</p>}
      </div>
      <div class="form-actions">
        <button type="submit" class="btn primary" disabled={busy} data-testid="action-save">
          {props.doc ? 'Save' : 'Create'}
        </button>
        <a class="btn ghost" href={href(props.doc ? `/blocks/block/${props.doc.id}` : `/blocks/catalog/${props.type.slug}`)}>
          Cancel
        </a>
      </div>
    </form>
  );
}

export function BlockCreatePage(props: { slug: string }) {
  const type = useApi((signal) => api.get<BlockType>(`/block_types/slug/${encodeURIComponent(props.slug)}`, { signal }), [props.slug]);
  const schema = useApi(
    async (signal) => {
      if (!type.data) return undefined;
      const s = await api.post<BlockSchema[]>('/block_schemas/filter', { block_schemas: { block_type_id: { any_: [type.data.id] } }, limit: 1 }, { signal });
      return s[0] ?? null;
    },
    [type.data?.id],
  );
  return (
    <div data-testid="page-block-create">
      <Loader state={type}>
        {(t) => (
          <>
            <PageHeader
              title={
                <span class="name-cell">
                  <BlockIcon type={t} /> New {t.name} block
                </span>
              }
              crumbs={[
                { label: 'Blocks', href: '/blocks' },
                { label: 'Catalog', href: '/blocks/catalog' },
                { label: t.name!, href: `/blocks/catalog/${t.slug}` },
              ]}
              subtitle={t.description ? <span>{plainText(t.description)}</span> : undefined}
            />
            {schema.data === null ? (
              <p class="banner warn">This block type has no schema on the server, so no block of it can be created.</p>
            ) : schema.data ? (
              <BlockForm type={t} schema={schema.data} />
            ) : (
              <p class="muted">Loading the schema…</p>
            )}
          </>
        )}
      </Loader>
    </div>
  );
}

export function BlockEditPage(props: { id: string }) {
  const doc = useApi((signal) => api.get<BlockDocument>(`/block_documents/${props.id}`, { signal }), [props.id]);
  return (
    <div data-testid="page-block-edit">
      <Loader state={doc}>
        {(d) => (
          <>
            <PageHeader
              title={
                <span class="name-cell">
                  <BlockIcon type={d.block_type} /> Edit {d.name}
                </span>
              }
              crumbs={[
                { label: 'Blocks', href: '/blocks' },
                { label: d.name!, href: `/blocks/block/${d.id}` },
              ]}
            />
            {d.block_schema && d.block_type ? <BlockForm type={d.block_type} schema={d.block_schema} doc={d} /> : <p class="banner warn">The block's schema is missing on the server.</p>}
          </>
        )}
      </Loader>
    </div>
  );
}
