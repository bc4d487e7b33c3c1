// Modal dialogs: a generic Dialog and a promise-based confirm().
import type { ComponentChildren } from 'preact';
import { signal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';

export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  footer?: ComponentChildren;
  testid?: string;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose();
    document.addEventListener('keydown', onKey);
    ref.current?.querySelector<HTMLElement>('input,select,textarea,button.primary')?.focus();
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div class="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class={'dialog' + (props.wide ? ' wide' : '')} role="dialog" aria-modal="true" aria-label={props.title} data-testid={props.testid ?? 'dialog'} ref={ref}>
        <div class="dialog-head">
          <h2>{props.title}</h2>
          <button class="btn ghost small" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </div>
        <div class="dialog-body">{props.children}</div>
        {props.footer && <div class="dialog-foot">{props.footer}</div>}
      </div>
    </div>
  );
}

interface ConfirmRequest {
  title: string;
  message: ComponentChildren;
  confirmLabel: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}

const pending = signal<ConfirmRequest | null>(null);

/** Asks the user; resolves true when confirmed. */
export function confirm(opts: { title: string; message: ComponentChildren; confirmLabel?: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    pending.value = { confirmLabel: 'Confirm', danger: false, ...opts, resolve } as ConfirmRequest;
  });
}

/** Mounted once by the app. */
export function ConfirmHost() {
  const req = pending.value;
  if (!req) return null;
  const done = (ok: boolean) => {
    pending.value = null;
    req.resolve(ok);
  };
  return (
    <Dialog
      title={req.title}
      onClose={() => done(false)}
      testid="confirm-dialog"
      footer={
        <>
          <button class="btn" onClick={() => done(false)} data-testid="confirm-cancel">
            Cancel
          </button>
          <button class={'btn primary' + (req.danger ? ' danger' : '')} onClick={() => done(true)} data-testid="confirm-ok">
            {req.confirmLabel}
          </button>
        </>
      }
    >
      {req.message}
    </Dialog>
  );
}
