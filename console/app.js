/** The console's shell: routes by the URL's hash, polls the current view, shows when it last answered. */
import { showNotice } from './actions.js';
import { operatorName, setOperatorName } from './api.js';
import { mountCharts } from './charts.js';
import { mountFailures } from './failures.js';
import { mountPayout, mountPayouts } from './payouts.js';

/** Seconds between refreshes of each view: tables live, charts slower. */
const POLL = { payouts: 3, payout: 3, failures: 3, charts: 10 };

const view = document.getElementById('view');
const updated = document.getElementById('updated');
let timer;
let generation = 0;

function route() {
  const [, name = 'payouts', key] = /^#\/([a-z]+)(?:\/(.+))?$/.exec(location.hash) ?? [];
  clearTimeout(timer);
  const current = ++generation;
  for (const link of document.querySelectorAll('nav a'))
    link.classList.toggle('active', link.dataset.view === name);
  document.body.dataset.view = name;
  const refresh =
    name === 'payout' && key
      ? mountPayout(view, decodeURIComponent(key))
      : name === 'failures'
        ? mountFailures(view)
        : name === 'charts'
          ? mountCharts(view)
          : mountPayouts(view);
  const tick = async () => {
    try {
      await refresh();
      if (current !== generation) return;
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
      updated.className = 'fresh';
      document.body.dataset.loaded = name;
    } catch (error) {
      if (current !== generation) return;
      updated.textContent = 'not updated';
      updated.className = 'stale';
      showNotice('refused', error.message);
    }
    if (current === generation) timer = setTimeout(tick, (POLL[name] ?? 3) * 1000);
  };
  tick();
}

const operator = document.getElementById('operator');
operator.value = operatorName();
operator.addEventListener('change', () => setOperatorName(operator.value));
window.addEventListener('hashchange', route);
route();
