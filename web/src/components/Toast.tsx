// Toasts: short success / error messages in the corner. Errors from the
// API show the server's own message (422 details with their field).
import { signal } from '@preact/signals';
import { ApiError } from '../api/client';

interface ToastItem {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

const toasts = signal<ToastItem[]>([]);
let nextId = 1;

export function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
  const id = nextId++;
  toasts.value = [...toasts.value, { id, kind, text }];
  setTimeout(() => dismiss(id), kind === 'error' ? 10000 : 4000);
}

/** Shows an error toast with the server's message. */
export function toastError(e: unknown, prefix?: string): void {
  const msg = e instanceof ApiError || e instanceof Error ? e.message : String(e);
  toast(prefix ? `${prefix}: ${msg}` : msg, 'error');
}

function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

export function Toasts() {
  return (
    <div class="toasts" aria-live="polite">
      {toasts.value.map((t) => (
        <div key={t.id} class={'toast ' + t.kind} data-testid={t.kind === 'error' ? 'toast-error' : 'toast'} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span>{t.text}</span>
          <button class="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
