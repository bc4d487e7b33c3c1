import { render } from 'preact';
import { App } from './app';
import './styles.css';

// internal/ui serves index.html with a relative <base href> ("../../" at
// /flow-runs/flow-run/<id>) so the app works under any prefix. A relative
// base is resolved against the current URL, which client-side navigation
// changes: pin it to the absolute root it names now, before the first
// navigation, so API calls and links keep resolving against the app's root.
const baseEl = document.querySelector('base');
if (baseEl) baseEl.setAttribute('href', new URL('./', document.baseURI).href);

render(<App />, document.getElementById('app')!);
