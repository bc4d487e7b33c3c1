// Settings (/settings): server version and API URL with the PREFECT_API_URL
// line to copy, the display settings (timezone, clock), and the server's
// settings read-only.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api, apiURL } from '../api/client';
import { useApi } from '../lib/hooks';
import { timeZonePref, hourCyclePref } from '../lib/prefs';
import { formatDateTime, zoneName } from '../lib/time';
import { PageHeader } from '../components/Layout';
import { Loader } from '../components/Status';

/** A command or line with a copy button. */
export function CopyBox(props: { text: string; testid?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
    } catch {
      // Clipboard API refused (plain HTTP off localhost): select the text instead.
      const el = document.querySelector(`[data-testid="${props.testid}"] code`);
      if (el) window.getSelection()?.selectAllChildren(el);
      return;
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div class="copy-box" data-testid={props.testid}>
      <code>{props.text}</code>
      <button class="btn small" type="button" onClick={copy} data-testid={props.testid ? `${props.testid}-copy` : 'action-copy'}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

export function SettingsPage() {
  const version = useApi((signal) => api.get<string>('/admin/version', { signal }), []);
  const settings = useApi((signal) => api.get<Record<string, unknown>>('/admin/settings', { signal }), []);
  const url = apiURL('').replace(/\/$/, '');
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  void timeZonePref.value, hourCyclePref.value;
  return (
    <div data-testid="page-settings">
      <PageHeader title="Settings" />
      <div class="grid cols-2">
        <div class="card" data-testid="settings-server">
          <h2>Server</h2>
          <dl class="kv">
            <dt>Prefect API</dt>
            <dd data-testid="server-version">
              {version.data ?? (version.error ? <span class="muted">{version.error.message}</span> : '…')}
              {typeof settings.data?.prefect_api_version === 'string' && <span class="muted"> (API {settings.data.prefect_api_version})</span>}
            </dd>
            <dt>Orrery version</dt>
            <dd>{typeof settings.data?.version === 'string' ? settings.data.version : '…'}</dd>
            <dt>API URL</dt>
            <dd class="mono" data-testid="api-url">
              {url}
            </dd>
          </dl>
          <h3 style={{ marginTop: '14px' }}>Point Prefect at this server</h3>
          <CopyBox text={`prefect config set PREFECT_API_URL=${url}`} testid="prefect-api-url" />
          <CopyBox text={`export PREFECT_API_URL=${url}`} testid="prefect-api-url-env" />
        </div>
        <div class="card" data-testid="settings-display">
          <h2>Display</h2>
          <p class="muted">Kept in this browser.</p>
          <div class="field">
            <span>Timezone</span>
            <label class="toggle-line">
              <input type="radio" name="tz" checked={timeZonePref.value === 'local'} onChange={() => (timeZonePref.value = 'local')} data-testid="setting-tz-local" />
              This browser's ({browserZone})
            </label>
            <label class="toggle-line">
              <input type="radio" name="tz" checked={timeZonePref.value === 'utc'} onChange={() => (timeZonePref.value = 'utc')} data-testid="setting-tz-utc" />
              UTC
            </label>
          </div>
          <div class="field">
            <span>Clock</span>
            <label class="toggle-line">
              <input type="radio" name="hc" checked={hourCyclePref.value === '24'} onChange={() => (hourCyclePref.value = '24')} data-testid="setting-24h" />
              24-hour
            </label>
            <label class="toggle-line">
              <input type="radio" name="hc" checked={hourCyclePref.value === '12'} onChange={() => (hourCyclePref.value = '12')} data-testid="setting-12h" />
              12-hour (AM/PM)
            </label>
          </div>
          <p>
            Now: <strong data-testid="settings-now">{formatDateTime(new Date())}</strong> <span class="muted">({zoneName()})</span>
          </p>
        </div>
      </div>
      <div class="card" data-testid="settings-server-settings">
        <h2>Server settings</h2>
        <p class="muted">Read-only: set them with environment variables or flags when starting the server (<code>orrery --help</code> lists them).</p>
        <Loader state={settings}>
          {(s) => (
            <dl class="kv" data-testid="server-settings">
              {Object.entries(s).map(([k, v]) => (
                <Fragment key={k}>
                  <dt class="mono">
                    {k}
                  </dt>
                  <dd class="mono">{typeof v === 'string' ? v || <span class="muted">(empty)</span> : Array.isArray(v) && v.length === 0 ? <span class="muted">none</span> : JSON.stringify(v)}</dd>
                </Fragment>
              ))}
            </dl>
          )}
        </Loader>
      </div>
    </div>
  );
}
