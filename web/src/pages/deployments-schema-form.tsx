// A form generated from a JSON schema: a deployment's parameter_openapi_schema
// (the custom-run form) and a block schema's fields (block create/edit).
//
// It handles what flow signatures and blocks produce in Prefect 2.7:
// strings (with date/date-time/password formats), numbers, integers,
// booleans, enums, lists (of anything, added and removed one by one),
// unions (anyOf/oneOf, type lists: a switch chooses the type), nested
// objects, $ref into definitions/$defs (also pydantic's single-item allOf),
// defaults, and free-form values (objects without properties, untyped
// fields) edited as JSON. The value is plain JSON; an unset field is
// undefined and is left out. A JSON box that does not parse holds a BadJSON,
// which findBadJSON reports before anything is sent.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ValidationDetail } from '../api/client';
import './deployments-schema-form.css';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JSONSchema = { [key: string]: any };
export type Path = (string | number)[];

/** A JSON text box's content that does not parse. */
export class BadJSON {
  constructor(
    readonly text: string,
    readonly error: string,
  ) {}
}

export function pathKey(p: Path): string {
  return p.map(String).join('.');
}

/** Follows $ref (#/definitions/X, #/$defs/X) and merges a single-item allOf; the outer title/description/default win. */
export function resolve(s: JSONSchema | undefined, root: JSONSchema, depth = 0): JSONSchema {
  if (!s || typeof s !== 'object') return {};
  if (depth > 20) return s;
  if (typeof s.$ref === 'string') {
    const m = /^#\/(definitions|\$defs)\/(.+)$/.exec(s.$ref);
    const target = m ? root[m[1]]?.[decodeURIComponent(m[2])] : undefined;
    const { $ref: _, ...rest } = s;
    return { ...resolve(target, root, depth + 1), ...rest };
  }
  if (Array.isArray(s.allOf) && s.allOf.length === 1 && !s.type && !s.properties) {
    const { allOf, ...rest } = s;
    return { ...resolve(allOf[0], root, depth + 1), ...rest };
  }
  return s;
}

/** The alternatives of a union schema (anyOf/oneOf/type list), or null. */
export function unionOptions(s: JSONSchema): JSONSchema[] | null {
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts) && alts.length > 1) {
    const { anyOf: _a, oneOf: _o, ...base } = s;
    return alts.map((a: JSONSchema) => ({ ...base, title: undefined, default: undefined, ...a }));
  }
  if (Array.isArray(alts) && alts.length === 1) return null;
  if (Array.isArray(s.type) && s.type.length > 1) {
    return s.type.map((t: string) => ({ ...s, type: t }));
  }
  return null;
}

type Kind = 'enum' | 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'json' | 'null' | 'union';

export function kindOf(s: JSONSchema): Kind {
  if (unionOptions(s)) return 'union';
  const single = (Array.isArray(s.anyOf ?? s.oneOf) && (s.anyOf ?? s.oneOf).length === 1 ? (s.anyOf ?? s.oneOf)[0] : null) as JSONSchema | null;
  if (single) return kindOf({ ...s, anyOf: undefined, oneOf: undefined, ...single });
  if (Array.isArray(s.enum) && s.enum.length) return 'enum';
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (t) {
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean':
    case 'null':
      return t;
    case 'array':
      return s.items && !Array.isArray(s.items) ? 'array' : 'json';
    case 'object':
      return s.properties && Object.keys(s.properties).length ? 'object' : 'json';
    default:
      if (s.properties && Object.keys(s.properties).length) return 'object';
      return 'json';
  }
}

/** The properties of an object schema in display order (pydantic's "position" first, then as written). */
export function orderedProps(s: JSONSchema): [string, JSONSchema][] {
  const entries = Object.entries((s.properties ?? {}) as Record<string, JSONSchema>);
  return entries
    .map((e, i) => [e, typeof e[1]?.position === 'number' ? e[1].position : 1e6 + i] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([e]) => e);
}

/** Initial values from the schema's defaults (nested objects included); undefined when none. */
export function defaultsFor(schema: JSONSchema, root: JSONSchema, depth = 0): unknown {
  const s = resolve(schema, root);
  if (s.default !== undefined) return structuredClone(s.default);
  if (depth > 8) return undefined;
  if (kindOf(s) === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, p] of orderedProps(s)) {
      const v = defaultsFor(p, root, depth + 1);
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return undefined;
}

/** Deep merge of plain objects (b wins); arrays and scalars are replaced. */
export function mergeValues(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = mergeValues(out[k], v);
    return out;
  }
  return b;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof BadJSON);
}

/** Paths of JSON boxes that do not parse. */
export function findBadJSON(v: unknown, path: Path = []): Path[] {
  if (v instanceof BadJSON) return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => findBadJSON(x, [...path, i]));
  if (isPlainObject(v)) return Object.entries(v).flatMap(([k, x]) => findBadJSON(x, [...path, k]));
  return [];
}

/** The value without unset (undefined) members, ready to send. */
export function cleanValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : cleanValue(x)));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = cleanValue(x);
    return out;
  }
  return v;
}

/**
 * Field errors from a 422's details: loc after `prefix` (e.g. ["body",
 * "parameters"]) is the field path. "missing property 'x'" at an object is
 * put on the field x. Details outside the prefix are returned as `other`.
 */
export function errorsByField(details: ValidationDetail[], prefix: string[]): { fields: Record<string, string>; other: string[] } {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const d of details) {
    const loc = (d.loc ?? []).map(String);
    if (!prefix.every((p, i) => loc[i] === p)) {
      other.push(`${loc.filter((p) => p !== 'body').join('.')}: ${d.msg}`);
      continue;
    }
    let path = loc.slice(prefix.length);
    let msg = String(d.msg ?? '').replace(/^at '[^']*': /, '');
    const missing = /^missing propert(?:y|ies) (.+)$/.exec(msg);
    if (missing) {
      for (const name of missing[1].split(',').map((x) => x.trim().replace(/^'|'$/g, ''))) {
        const k = pathKey([...path, name]);
        fields[k] = fields[k] ? `${fields[k]}; required` : 'This field is required.';
      }
      continue;
    }
    if (!path.length) {
      other.push(msg);
      continue;
    }
    const k = pathKey(path);
    fields[k] = fields[k] ? `${fields[k]}; ${msg}` : msg;
    path = [];
  }
  return { fields, other };
}

interface Ctx {
  root: JSONSchema;
  errors: Record<string, string>;
  /** Secret field paths ("url", "image_registry.password"; "*" matches any key). */
  secret: string[];
  /** Field paths that are references to other block documents, with their choices. */
  renderOverride?: (path: Path, schema: JSONSchema, value: unknown, onChange: (v: unknown) => void) => ComponentChildren | undefined;
  /** Top-level names whose test ids get a "data." prefix (see fieldTestId). */
  reserved?: string[];
}

/**
 * The data-testid of a field: field-<path> (field-error-<path> for its
 * error). A top-level name in ctx.reserved (a name the surrounding form
 * uses itself, like a block's "name") is prefixed with "data.", as the
 * API's loc names it.
 */
export function fieldTestId(ctx: { reserved?: string[] }, path: Path, kind = 'field-'): string {
  const reserved = ctx.reserved?.includes(String(path[0]));
  return kind + (reserved ? 'data.' : '') + pathKey(path);
}

function isSecret(ctx: Ctx, path: Path): boolean {
  const p = path.map(String);
  return ctx.secret.some((s) => {
    const parts = s.split('.');
    return parts.length === p.length && parts.every((x, i) => x === '*' || x === p[i]);
  });
}

/** The form: one field per property of the root object schema. */
export function SchemaForm(props: {
  schema: JSONSchema;
  value: Record<string, unknown>;
  onChange: (v: Record<string, unknown>) => void;
  errors?: Record<string, string>;
  secretFields?: string[];
  renderOverride?: Ctx['renderOverride'];
  empty?: ComponentChildren;
  reserved?: string[];
}) {
  const ctx: Ctx = { root: props.schema, errors: props.errors ?? {}, secret: props.secretFields ?? [], renderOverride: props.renderOverride, reserved: props.reserved };
  const root = resolve(props.schema, props.schema);
  const entries = orderedProps(root);
  if (!entries.length) return <div class="sf-empty muted">{props.empty ?? 'No fields.'}</div>;
  const required: string[] = Array.isArray(root.required) ? root.required : [];
  return (
    <div class="sf" data-testid="schema-form">
      {entries.map(([k, s]) => (
        <Field
          key={k}
          name={k}
          path={[k]}
          schema={s}
          required={required.includes(k)}
          value={props.value?.[k]}
          onChange={(v) => props.onChange({ ...(props.value ?? {}), [k]: v })}
          ctx={ctx}
        />
      ))}
    </div>
  );
}

interface FieldProps {
  name: string;
  path: Path;
  schema: JSONSchema;
  value: unknown;
  onChange: (v: unknown) => void;
  required?: boolean;
  ctx: Ctx;
  /** Inside a list: no label row. */
  bare?: boolean;
}

function Field(props: FieldProps) {
  const { ctx, path } = props;
  const s = resolve(props.schema, ctx.root);
  const key = pathKey(path);
  const err = ctx.errors[key];
  // A $ref'd model's own title ("DockerRegistry") names the type, not this field.
  const viaRef = !props.schema.title && (props.schema.$ref || props.schema.allOf);
  const title = !viaRef && s.title && s.title !== props.name ? s.title : props.name;
  const kind = kindOf(s);
  const override = ctx.renderOverride?.(path, s, props.value, props.onChange);
  const control = override ?? <Control {...props} schema={s} kind={kind} />;
  const nested = !override && (kind === 'object' || kind === 'array' || kind === 'union');
  const childErrors = Object.keys(ctx.errors).some((k) => k.startsWith(key + '.'));
  if (props.bare) {
    return (
      <div class={'sf-bare' + (err ? ' has-error' : '')}>
        {control}
        {err && (
          <div class="field-error" data-testid={fieldTestId(ctx, path, 'field-error-')}>
            {err}
          </div>
        )}
      </div>
    );
  }
  const label = (
    <span class="sf-label">
      {title}
      {props.required && (
        <span class="sf-req" title="Required">
          {' '}
          *
        </span>
      )}
      {title !== props.name && <span class="sf-name mono muted"> {props.name}</span>}
      <span class="sf-type muted">{typeLabel(s, kind)}</span>
    </span>
  );
  // pydantic gives every Enum the description "An enumeration.": not help.
  const help = s.description && s.description !== 'An enumeration.' ? <span class="help">{s.description}</span> : null;
  const errorEl = err ? (
    <span class="field-error" data-testid={fieldTestId(ctx, path, 'field-error-')} role="alert">
      {err}
    </span>
  ) : null;
  if (nested) {
    return (
      <fieldset class={'sf-group' + (err || childErrors ? ' has-error' : '')} data-field={key}>
        <legend>{label}</legend>
        {help}
        {errorEl}
        {control}
      </fieldset>
    );
  }
  return (
    <label class={'field sf-field' + (err ? ' has-error' : '')} data-field={key}>
      {label}
      {control}
      {help}
      {errorEl}
    </label>
  );
}

function typeLabel(s: JSONSchema, kind: Kind): string {
  switch (kind) {
    case 'enum':
      return 'choice';
    case 'union':
      return (unionOptions(s) ?? []).map((o) => optionLabel(o)).join(' | ');
    case 'array':
      return 'list';
    case 'json':
      return s.type === 'object' ? 'object (JSON)' : s.type === 'array' ? 'list (JSON)' : 'JSON';
    case 'string':
      return s.format ? `string (${s.format})` : 'string';
    default:
      return kind;
  }
}

function optionLabel(o: JSONSchema): string {
  if (o.$ref) return String(o.$ref).split('/').pop() ?? 'object';
  if (o.title) return String(o.title);
  if (Array.isArray(o.enum)) return 'choice';
  if (o.type === 'null') return 'None';
  if (o.type === 'array') return o.items?.type ? `list of ${o.items.type}` : 'list';
  return String(o.type ?? 'JSON');
}

function Control(props: FieldProps & { kind: Kind }) {
  const { schema: s, value, onChange, path, ctx } = props;
  const tid = fieldTestId(ctx, path);
  switch (props.kind) {
    case 'enum': {
      const opts = s.enum as unknown[];
      const idx = opts.findIndex((o) => JSON.stringify(o) === JSON.stringify(value));
      return (
        <select
          value={idx < 0 ? '' : String(idx)}
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            onChange(v === '' ? undefined : opts[Number(v)]);
          }}
          data-testid={tid}
        >
          <option value="">{props.required ? 'Choose…' : '(not set)'}</option>
          {opts.map((o, i) => (
            <option key={i} value={String(i)}>
              {typeof o === 'string' ? o : JSON.stringify(o)}
            </option>
          ))}
        </select>
      );
    }
    case 'string': {
      const secret = s.format === 'password' || s.writeOnly === true || isSecret(ctx, path);
      const type = secret ? 'password' : s.format === 'date-time' ? 'datetime-local' : s.format === 'date' ? 'date' : 'text';
      const str = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
      if (type === 'datetime-local') return <DateTimeInput value={str} onChange={onChange} testid={tid} />;
      const long = !secret && (s.format === 'multiline' || (s.maxLength ?? 0) > 1000 || str.includes('\n'));
      if (long)
        return <textarea rows={4} value={str} onInput={(e) => onChange(emptyToUndef((e.target as HTMLTextAreaElement).value))} data-testid={tid} />;
      return (
        <input
          type={type as 'text'}
          value={str}
          autocomplete={secret ? 'new-password' : 'off'}
          placeholder={s.example !== undefined ? `e.g. ${s.example}` : undefined}
          onInput={(e) => onChange(emptyToUndef((e.target as HTMLInputElement).value))}
          data-testid={tid}
          data-secret={secret ? '' : undefined}
        />
      );
    }
    case 'integer':
    case 'number':
      return <NumberInput integer={props.kind === 'integer'} value={value} onChange={onChange} testid={tid} schema={s} />;
    case 'boolean': {
      // A checkbox; a field without a default can also be left unset.
      const hasDefault = s.default !== undefined;
      return (
        <span class="sf-bool">
          <input
            type="checkbox"
            checked={value === true}
            onChange={(e) => onChange((e.target as HTMLInputElement).checked)}
            data-testid={tid}
          />
          <span class={value === undefined ? 'muted' : ''}>{value === undefined ? 'not set' : String(value)}</span>
          {!hasDefault && value !== undefined && (
            <button type="button" class="btn ghost small" onClick={() => onChange(undefined)}>
              Unset
            </button>
          )}
        </span>
      );
    }
    case 'null':
      return <span class="muted mono">None</span>;
    case 'object': {
      const obj = isPlainObject(value) ? value : {};
      const required: string[] = Array.isArray(s.required) ? s.required : [];
      return (
        <div class="sf-object" data-testid={tid}>
          {orderedProps(s).map(([k, sub]) => (
            <Field
              key={k}
              name={k}
              path={[...path, k]}
              schema={sub}
              required={required.includes(k)}
              value={obj[k]}
              onChange={(v) => {
                const next = { ...obj, [k]: v };
                onChange(Object.values(next).every((x) => x === undefined) ? undefined : next);
              }}
              ctx={ctx}
            />
          ))}
        </div>
      );
    }
    case 'array':
      return <ListControl {...props} />;
    case 'union':
      return <UnionControl {...props} />;
    default:
      return <JsonInput value={value} onChange={onChange} testid={tid} placeholder={s.example !== undefined ? String(s.example) : jsonHint(s)} />;
  }
}

function jsonHint(s: JSONSchema): string {
  if (s.type === 'object') return '{"key": "value"}';
  if (s.type === 'array') return '["a", "b"]';
  return 'any JSON value, e.g. "text", 42, [1, 2] or {"a": 1}';
}

function emptyToUndef(v: string): string | undefined {
  return v === '' ? undefined : v;
}

function NumberInput(props: { integer: boolean; value: unknown; onChange: (v: unknown) => void; testid: string; schema: JSONSchema }) {
  const ext = typeof props.value === 'number' ? String(props.value) : props.value === undefined || props.value === null ? '' : String(props.value);
  const [text, setText] = useState(ext);
  const last = useRef(props.value);
  useEffect(() => {
    if (props.value !== last.current) {
      last.current = props.value;
      setText(ext);
    }
  }, [props.value]);
  return (
    <input
      type="text"
      inputMode={props.integer ? 'numeric' : 'decimal'}
      value={text}
      placeholder={props.integer ? 'integer' : 'number'}
      onInput={(e) => {
        const t = (e.target as HTMLInputElement).value;
        setText(t);
        // A text that is not a number is sent as written: the server's
        // message ("got string, want integer") then says what is wrong.
        const v = t.trim() === '' ? undefined : isFinite(Number(t)) ? Number(t) : t;
        last.current = v;
        props.onChange(v);
      }}
      data-testid={props.testid}
    />
  );
}

function DateTimeInput(props: { value: string; onChange: (v: unknown) => void; testid: string }) {
  // Parameters carry ISO instants; the box shows and takes UTC so what is
  // typed is exactly what is sent.
  const shown = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(props.value) ? props.value.slice(0, 16) : '';
  return (
    <span class="sf-datetime">
      <input
        type="datetime-local"
        value={shown}
        onInput={(e) => {
          const v = (e.target as HTMLInputElement).value;
          props.onChange(v ? `${v}:00+00:00` : undefined);
        }}
        data-testid={props.testid}
      />
      <span class="muted">UTC</span>
    </span>
  );
}

/** A JSON text box: parses as you type; holds a BadJSON while the text does not parse. */
export function JsonInput(props: { value: unknown; onChange: (v: unknown) => void; testid: string; placeholder?: string; rows?: number }) {
  const show = (v: unknown) => (v === undefined ? '' : v instanceof BadJSON ? v.text : JSON.stringify(v, null, 2));
  const [text, setText] = useState(show(props.value));
  const last = useRef<unknown>(props.value);
  useEffect(() => {
    if (props.value !== last.current) {
      last.current = props.value;
      setText(show(props.value));
    }
  }, [props.value]);
  const bad = props.value instanceof BadJSON ? props.value.error : null;
  return (
    <>
      <textarea
        rows={props.rows ?? Math.min(12, Math.max(2, text.split('\n').length))}
        value={text}
        placeholder={props.placeholder}
        spellcheck={false}
        onInput={(e) => {
          const t = (e.target as HTMLTextAreaElement).value;
          setText(t);
          let v: unknown;
          if (t.trim() === '') v = undefined;
          else {
            try {
              v = JSON.parse(t);
            } catch (err) {
              v = new BadJSON(t, (err as Error).message);
            }
          }
          last.current = v;
          props.onChange(v);
        }}
        data-testid={props.testid}
        class={'sf-json' + (bad ? ' invalid' : '')}
      />
      {bad && <span class="field-error">Not valid JSON: {bad}</span>}
    </>
  );
}

function ListControl(props: FieldProps & { kind: Kind }) {
  const { schema: s, path, ctx, onChange } = props;
  const items: unknown[] = Array.isArray(props.value) ? props.value : [];
  const itemSchema = resolve(s.items as JSONSchema, ctx.root);
  const set = (i: number, v: unknown) => {
    const next = items.slice();
    next[i] = v;
    onChange(next);
  };
  const tid = fieldTestId(ctx, path);
  return (
    <div class="sf-list" data-testid={tid}>
      {items.length === 0 && <div class="muted sf-list-empty">{props.value === undefined ? 'Not set (empty list when an item is added).' : 'Empty list.'}</div>}
      {items.map((v, i) => (
        <div class="sf-item" key={i}>
          <span class="sf-index muted">{i + 1}</span>
          <div class="sf-item-body">
            <Field name={String(i)} path={[...path, i]} schema={itemSchema} value={v} onChange={(x) => set(i, x)} ctx={ctx} bare={kindOf(itemSchema) !== 'object'} />
          </div>
          <button
            type="button"
            class="btn ghost small"
            title="Remove this item"
            aria-label={`Remove item ${i + 1}`}
            onClick={() => onChange(items.filter((_, j) => j !== i))}
            data-testid={`${tid}-remove`}
          >
            ✕
          </button>
        </div>
      ))}
      <div class="sf-list-actions">
        <button type="button" class="btn small" onClick={() => onChange([...items, defaultsFor(itemSchema, ctx.root)])} data-testid={`${tid}-add`}>
          + Add item
        </button>
        {props.value !== undefined && (
          <button type="button" class="btn ghost small" onClick={() => onChange(undefined)}>
            Unset
          </button>
        )}
      </div>
    </div>
  );
}

/** Which alternative a value fits first (for showing a stored value). */
function guessOption(opts: JSONSchema[], value: unknown, root: JSONSchema): number {
  if (value === undefined) return -1;
  const fits = (o: JSONSchema): boolean => {
    const r = resolve(o, root);
    const k = kindOf(r);
    switch (k) {
      case 'null':
        return value === null;
      case 'enum':
        return (r.enum as unknown[]).some((x) => JSON.stringify(x) === JSON.stringify(value));
      case 'string':
        return typeof value === 'string';
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'number':
        return typeof value === 'number';
      case 'boolean':
        return typeof value === 'boolean';
      case 'array':
        return Array.isArray(value);
      case 'object':
        return isPlainObject(value);
      default:
        return true;
    }
  };
  return opts.findIndex(fits);
}

function UnionControl(props: FieldProps & { kind: Kind }) {
  const { schema: s, path, ctx, onChange, value } = props;
  const opts = unionOptions(s) ?? [];
  const [chosen, setChosen] = useState(() => {
    const g = guessOption(opts, value, ctx.root);
    return g >= 0 ? g : opts.findIndex((o) => resolve(o, ctx.root).type !== 'null');
  });
  // A value set from outside (raw JSON, a stored document) that the chosen
  // type does not fit switches the type to one it fits.
  const fitting = guessOption(opts, value, ctx.root);
  if (value !== undefined && fitting >= 0 && guessOption([opts[chosen]], value, ctx.root) !== 0) setChosen(fitting);
  const tid = fieldTestId(ctx, path);
  const opt = opts[chosen] ? resolve(opts[chosen], ctx.root) : undefined;
  return (
    <div class="sf-union" data-testid={tid}>
      <label class="sf-union-switch">
        <span class="muted">Type</span>
        <select
          value={String(chosen)}
          onChange={(e) => {
            const i = Number((e.target as HTMLSelectElement).value);
            setChosen(i);
            const o = resolve(opts[i], ctx.root);
            onChange(kindOf(o) === 'null' ? null : defaultsFor(o, ctx.root));
          }}
          data-testid={`${tid}-type`}
        >
          {opts.map((o, i) => (
            <option key={i} value={String(i)}>
              {optionLabel(o)}
            </option>
          ))}
        </select>
      </label>
      {opt && kindOf(opt) !== 'null' && (
        <div class="sf-union-body">
          <Field name={props.name} path={path} schema={{ ...opt, description: undefined, title: props.name }} value={value} onChange={onChange} ctx={{ ...ctx, errors: Object.fromEntries(Object.entries(ctx.errors).filter(([k]) => k !== pathKey(path))) }} bare />
        </div>
      )}
    </div>
  );
}
