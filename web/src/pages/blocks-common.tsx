// Pieces shared by the block pages: the local block-type icon (2.7's data
// names remote logo URLs; the UI loads nothing from other origins) and the
// block-schema helpers.
import type { BlockDocument, BlockSchema, BlockType } from '../api/types';
import type { JSONSchema } from './deployments-schema-form';

const PALETTE = ['#2b6cb0', '#2f855a', '#6b46c1', '#b7791f', '#c05621', '#2c7a7b', '#9b2c2c', '#4a5568', '#1f5fbf', '#97266d'];

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}

/** Two letters from the block type's name on a colour chosen by its slug. */
export function BlockIcon(props: { type?: Pick<BlockType, 'name' | 'slug'> | null; small?: boolean }) {
  const name = props.type?.name ?? '?';
  const words = name.replace(/[^A-Za-z0-9 ]/g, ' ').split(/\s+/).filter(Boolean);
  const letters = (words.length > 1 ? words[0][0] + words[1][0] : name.slice(0, 2)).toUpperCase();
  const color = PALETTE[hash(props.type?.slug ?? name) % PALETTE.length];
  return (
    // The letters are drawn by CSS (::before) so they are not part of the
    // text of the heading or link the icon sits in.
    <span class={'block-icon' + (props.small ? ' small' : '')} style={{ background: color }} aria-hidden="true" data-testid="block-icon" data-letters={letters} />
  );
}

/** The secret field paths of a block schema (its secret_fields, plus format: password properties). */
export function secretFields(fields: JSONSchema | undefined): string[] {
  const out = new Set<string>(Array.isArray(fields?.secret_fields) ? fields!.secret_fields : []);
  for (const [k, p] of Object.entries((fields?.properties ?? {}) as Record<string, JSONSchema>)) {
    if (p?.format === 'password' || p?.writeOnly === true) out.add(k);
  }
  return [...out];
}

/** Field name -> block type slug of the fields that reference other block documents. */
export function referenceFields(fields: JSONSchema | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries((fields?.block_schema_references ?? {}) as Record<string, unknown>)) {
    const ref = (Array.isArray(v) ? v[0] : v) as { block_type_slug?: string } | undefined;
    if (ref?.block_type_slug) m.set(k, ref.block_type_slug);
  }
  return m;
}

export type { BlockDocument, BlockSchema, BlockType };

/** A block type's Markdown description as plain text: link text only, no code ticks or emphasis marks. */
export function plainText(s: string | null | undefined): string {
  return (s ?? '')
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2');
}
