// The block catalog (/blocks/catalog) and one block type
// (/blocks/catalog/<slug>): what each type stores, how to load it in code,
// and the way to create a document of it. Icons are local (BlockIcon).
import { Fragment } from 'preact';
import { api } from '../api/client';
import type { BlockDocument, BlockSchema, BlockType } from '../api/types';
import { useApi } from '../lib/hooks';
import { query, href } from '../lib/router';
import { PageHeader } from '../components/Layout';
import { Loader } from '../components/Status';
import { FilterBar, TextFilter } from '../components/FilterBar';
import { DataTable } from '../components/DataTable';
import { Time } from '../components/Time';
import { BlockIcon, plainText } from './blocks-common';

export function BlocksCatalogPage() {
  const name = (query.value.get('name') ?? '').toLowerCase();
  const types = useApi((signal) => api.post<BlockType[]>('/block_types/filter', { limit: 200 }, { signal }), []);
  return (
    <div data-testid="page-blocks-catalog">
      <PageHeader title="Block catalog" crumbs={[{ label: 'Blocks', href: '/blocks' }]} subtitle={<span>Choose a block type to create a block of it.</span>} />
      <FilterBar>
        <TextFilter param="name" label="Search" placeholder="e.g. slack, s3" />
      </FilterBar>
      <Loader state={types}>
        {(ts) => {
          const shown = ts.filter((t) => !name || `${t.name} ${t.slug} ${t.description ?? ''}`.toLowerCase().includes(name));
          if (!shown.length) return <p class="muted">No block type matches “{name}”.</p>;
          return (
            <div class="catalog" data-testid="block-types">
              {shown.map((t) => (
                <div class="catalog-card" key={t.id} data-testid="block-type-card" data-slug={t.slug}>
                  <div class="head">
                    <BlockIcon type={t} />
                    <div>
                      <h3>
                        <a href={href(`/blocks/catalog/${t.slug}`)}>{t.name}</a>
                      </h3>
                      <span class="muted mono">{t.slug}</span>
                    </div>
                  </div>
                  <p title={plainText(t.description)}>{plainText(t.description) || 'No description.'}</p>
                  <div class="foot">
                    <a class="btn small primary" href={href(`/blocks/catalog/${t.slug}/create`)} data-testid="action-create">
                      Create
                    </a>
                    <a class="btn small ghost" href={href(`/blocks/catalog/${t.slug}`)}>
                      Details
                    </a>
                  </div>
                </div>
              ))}
            </div>
          );
        }}
      </Loader>
    </div>
  );
}

export function BlockTypePage(props: { slug: string }) {
  const type = useApi((signal) => api.get<BlockType>(`/block_types/slug/${encodeURIComponent(props.slug)}`, { signal }), [props.slug]);
  const schemas = useApi(
    (signal) =>
      type.data ? api.post<BlockSchema[]>('/block_schemas/filter', { block_schemas: { block_type_id: { any_: [type.data.id] } }, limit: 1 }, { signal }) : Promise.resolve([]),
    [type.data?.id],
  );
  const docs = useApi(
    (signal) => (type.data ? api.post<BlockDocument[]>('/block_documents/filter', { block_documents: { is_anonymous: { eq_: false }, block_type_id: { any_: [type.data.id] } }, limit: 200 }, { signal }) : Promise.resolve([])),
    [type.data?.id],
  );
  return (
    <div data-testid="page-block-type">
      <Loader state={type}>
        {(t) => {
          const fields = schemas.data?.[0]?.fields as Record<string, unknown> | undefined;
          const props = Object.entries((fields?.properties ?? {}) as Record<string, { title?: string; description?: string; type?: string }>);
          return (
            <>
              <PageHeader
                title={
                  <span class="name-cell">
                    <BlockIcon type={t} /> {t.name}
                  </span>
                }
                crumbs={[
                  { label: 'Blocks', href: '/blocks' },
                  { label: 'Catalog', href: '/blocks/catalog' },
                ]}
                actions={
                  <a class="btn primary" href={href(`/blocks/catalog/${t.slug}/create`)} data-testid="action-create">
                    Create {t.name} block
                  </a>
                }
              />
              <div class="grid cols-2">
                <div class="card">
                  <h2>About</h2>
                  <p>{plainText(t.description)}</p>
                  {t.documentation_url && (
                    <p>
                      <a href={t.documentation_url} target="_blank" rel="noopener noreferrer" data-external="">
                        Documentation ↗
                      </a>
                    </p>
                  )}
                  {((schemas.data?.[0]?.capabilities ?? []) as string[]).length > 0 && (
                    <p>
                      Capabilities: {(schemas.data![0].capabilities as string[]).map((c) => <span class="tag" key={c}>{c}</span>)}
                    </p>
                  )}
                  {t.code_example && (
                    <>
                      <h3>Use it in code</h3>
                      <pre class="code-example">{t.code_example.replace(/```\w*\n?/g, '').trim()}</pre>
                    </>
                  )}
                </div>
                <div class="card">
                  <h2>Fields</h2>
                  {props.length === 0 ? (
                    <p class="muted">None.</p>
                  ) : (
                    <dl class="kv">
                      {props.map(([k, p]) => (
                        <Fragment key={k}>
                          <dt>{p.title ?? k}</dt>
                          <dd class="muted">{plainText(p.description ?? p.type ?? '')}</dd>
                        </Fragment>
                      ))}
                    </dl>
                  )}
                </div>
              </div>
              <h2>{t.name} blocks</h2>
              <DataTable
                testid="blocks-table"
                rows={docs.data ?? []}
                rowKey={(d) => d.id!}
                loading={docs.loading}
                empty="None yet."
                columns={[
                  { key: 'name', header: 'Name', render: (d) => <a href={href(`/blocks/block/${d.id}`)}>{d.name}</a> },
                  { key: 'updated', header: 'Updated', render: (d) => <Time value={d.updated} seconds={false} /> },
                ]}
              />
            </>
          );
        }}
      </Loader>
    </div>
  );
}
