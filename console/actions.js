/** Retry, force-retry and cancel of a failure: a confirmation dialog with notes, then the API's answer shown as it is. */
import { api, refusalText } from './api.js';
import { h } from './dom.js';

const ACTIONS = {
  retry: {
    label: 'Retry',
    title: 'Retry this payout?',
    text: 'A new attempt cycle is queued. The API refuses when the error is not retryable or the transfer may still be mined.',
    send: (id, notes) =>
      api('POST', `failed-transactions/${encodeURIComponent(id)}/retry`, withNotes({}, 'notes', notes)),
  },
  'force-retry': {
    label: 'Force retry',
    title: 'Force a retry of this payout?',
    text: 'Retries whatever the error code (fix its cause first). The API still refuses when the payout is paid or a stored transaction may still be mined.',
    send: (id, notes) =>
      api(
        'POST',
        `failed-transactions/${encodeURIComponent(id)}/retry`,
        withNotes({ force: true }, 'notes', notes),
      ),
  },
  cancel: {
    label: 'Cancel',
    title: 'Cancel this payout?',
    text: 'Nothing more is signed for it; a transaction in flight is replaced by a 0-value cancel. The upstream is not paid.',
    send: (id, notes) =>
      api(
        'PUT',
        `failed-transactions/${encodeURIComponent(id)}/status`,
        withNotes({ status: 'failed_cancelled' }, 'admin_notes', notes),
      ),
  },
};

const FINAL = new Set(['recovered', 'failed_cancelled']);

function withNotes(body, field, notes) {
  return notes.trim() === '' ? body : { ...body, [field]: notes };
}

/** The three buttons of a failure row; `done` runs after the API answered (to refresh the view). */
export function actionButtons(failure, done) {
  return h(
    'span',
    { class: 'actions' },
    Object.entries(ACTIONS).map(([name, action]) =>
      h(
        'button',
        {
          type: 'button',
          'data-action': name,
          class: name === 'retry' ? '' : 'danger',
          disabled: FINAL.has(failure.status),
          onclick: () => confirmAndRun(name, failure.unique_id, done),
        },
        action.label,
      ),
    ),
  );
}

/** Asks in the dialog; on Confirm sends the request and shows what the API said. */
function confirmAndRun(name, uniqueId, done) {
  const action = ACTIONS[name];
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = action.title;
  document.getElementById('confirm-text').textContent = `${uniqueId}: ${action.text}`;
  document.getElementById('confirm-ok').textContent = action.label;
  const notes = document.getElementById('confirm-notes');
  notes.value = '';
  dialog.returnValue = '';
  dialog.addEventListener(
    'close',
    async () => {
      if (dialog.returnValue !== 'confirm') return;
      try {
        const answer = await action.send(uniqueId, notes.value);
        if (answer.ok) {
          const task = answer.body.task ? ` (task ${answer.body.task})` : '';
          showNotice('ok', `${action.label} of ${uniqueId}: ${answer.body.failure?.status ?? 'done'}${task}`);
        } else {
          showNotice('refused', `${action.label} of ${uniqueId} refused — ${refusalText(answer)}`);
        }
      } catch (error) {
        showNotice('refused', `${action.label} of ${uniqueId}: adminApi did not answer (${error.message})`);
      }
      done();
    },
    { once: true },
  );
  dialog.showModal();
}

/** The banner under the header: the last action's outcome, or why a view could not load. */
export function showNotice(kind, text) {
  const notice = document.getElementById('notice');
  notice.className = kind;
  notice.hidden = false;
  notice.replaceChildren(
    h('span', { class: 'text' }, text),
    h('button', { type: 'button', onclick: () => (notice.hidden = true) }, '×'),
  );
}
