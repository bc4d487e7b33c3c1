// Blocks (/blocks): the named block documents, by name and type; secrets
// are never fetched here (no include_secrets).
import { useMemo } from 'preact/hooks';
import { api } from '../api/client';
import type { BlockDocument, BlockType } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, setQuery, href } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { DataTable, type Column } from '../components/DataTable';
import { FilterBar, TextFilter, SelectFilter } from '../components/FilterBar';
import { ErrorView } from '../components/Status';
import { Time } from '../components/Time';
import { BlockIcon } from './blocks-common';

export function BlocksPage() {
  const q = query.value;
  const name = (q.get('name') ?? '').toLowerCase();
  const type = q.get('type') ?? '';
  const types = useApi((signal) => api.post<BlockType[]>('/block_types/filter', { limit: 200 }, { signal }), []);
  const typeId = types.data?.find((t) => t.slug === type)?.id;
  const docs = useApi(
    (signal) =>
      api.post<BlockDocument[]>(
        '/block_documents/filter',
        { block_documents: { is_anonymous: { eq_: false }, ...(typeId ? { block_type_id: { any_: [typeId] } } : {}) }, limit: 200 },
        { signal },
      ),
    [typeId ?? ''],
    15000,
  );
  const rows = useMemo(
    () => (docs.data ?? []).filter((d) => !name || (d.name ?? '').toLowerCase().includes(name)).sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
    [docs.data, name],
  );
  const columns: Column<BlockDocument>[] = [
    {
      key: 'name',
      header: 'Name',
      render: (d) => (
        <span class="name-cell">
          <BlockIcon type={d.block_type} small />
          <a href={href(`/blocks/block/${d.id}`)} data-testid="block-link">
            <strong>{d.name}</strong>
          </a>
        </span>
      ),
    },
    { key: 'type', header: 'Type', render: (d) => <a href={href(`/blocks/catalog/${d.block_type?.slug}`)}>{d.block_type?.name}</a> },
    { key: 'caps', header: 'Capabilities', render: (d) => (((d.block_schema?.capabilities ?? []) as string[]).length ? (d.block_schema!.capabilities as string[]).map((c) => <span class="tag" key={c}>{c}</span>) : <span class="muted">none</span>) },
    { key: 'updated', header: 'Updated', render: (d) => <Time value={d.updated} seconds={false} /> },
  ];
  const usedTypes = (types.data ?? []).map((t) => ({ value: t.slug!, label: t.name! }));
  return (
    <div data-testid="page-blocks">
      <PageHeader
        title="Blocks"
        subtitle={<span>Stored configuration: credentials, storage, infrastructure and notification targets.</span>}
        actions={
          <a class="btn primary" href={href('/blocks/catalog')} data-testid="action-create">
            + Block
          </a>
        }
      />
      <FilterBar onClear={name || type ? () => setQuery({ name: undefined, type: undefined }) : undefined}>
        <TextFilter param="name" label="Name" placeholder="Search blocks" />
        <SelectFilter param="type" label="Type" anyLabel="Any type" options={usedTypes} />
      </FilterBar>
      {docs.error && !docs.data ? (
        <ErrorView error={docs.error} onRetry={docs.reload} />
      ) : (
        <DataTable
          testid="blocks-table"
          columns={columns}
          rows={rows}
          rowKey={(d) => d.id!}
          loading={docs.loading}
          empty={
            docs.loading ? (
              'Loading…'
            ) : name || type ? (
              'No block matches these filters.'
            ) : (
              <span>
                No blocks yet. <a href={href('/blocks/catalog')}>Add one from the catalog</a>.
              </span>
            )
          }
        />
      )}
    </div>
  );
}
