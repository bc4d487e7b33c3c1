// A windowed list of fixed-height rows: only the visible rows (plus a
// margin) are in the DOM, so 5,000+ rows scroll smoothly.
import type { ComponentChildren } from 'preact';
import { useState, useRef, useEffect } from 'preact/hooks';

export function VirtualList<T>(props: {
  items: T[];
  rowHeight: number;
  /** Height of the scroll area in px. */
  height: number;
  render: (item: T, index: number) => ComponentChildren;
  header?: ComponentChildren;
  testid?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let raf = 0;
    const on = () => {
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(() => setTop(el.scrollTop));
    };
    el.addEventListener('scroll', on, { passive: true });
    return () => {
      el.removeEventListener('scroll', on);
      cancelAnimationFrame(raf);
    };
  }, []);
  const { items, rowHeight } = props;
  const height = Math.min(props.height, Math.max(items.length * rowHeight, rowHeight));
  const first = Math.max(0, Math.floor(top / rowHeight) - 10);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + 10);
  const visible = items.slice(first, last);
  return (
    <div class="vlist" data-testid={props.testid}>
      {props.header}
      <div class="vlist-scroll" ref={ref} style={{ height: `${height}px` }}>
        <div style={{ height: `${items.length * rowHeight}px`, position: 'relative' }}>
          <div style={{ position: 'absolute', top: `${first * rowHeight}px`, left: 0, right: 0 }}>
            {visible.map((it, i) => props.render(it, first + i))}
          </div>
        </div>
      </div>
    </div>
  );
}
