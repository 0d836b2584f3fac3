/**
 * adminApi from the page: same origin, relative paths. In production the operator opens the console through
 * `gcloud run services proxy`, which adds their ID token; locally adminApi takes `X-Operator` as the
 * operator's name (docs/architecture.md, "Operators"), which the page sends from the header's field.
 */
const OPERATOR_KEY = 'hostpay.operator';

export const operatorName = () => localStorage.getItem(OPERATOR_KEY) || 'console';
export const setOperatorName = (name) => localStorage.setItem(OPERATOR_KEY, name.trim());

/** One call; resolves to `{status, ok, body}` whatever the status, rejects only when nothing answered. */
export async function api(method, path, body) {
  const response = await fetch(new URL(path, document.baseURI), {
    method,
    headers: {
      'x-operator': operatorName(),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  let parsed;
  try {
    parsed = await response.json();
  } catch {
    parsed = { error: `http_${response.status}`, message: response.statusText };
  }
  return { status: response.status, ok: response.ok, body: parsed };
}

/** The body of a successful GET; a refusal becomes an Error carrying the API's own words. */
export async function get(path) {
  const answer = await api('GET', path);
  if (!answer.ok) throw new Error(refusalText(answer));
  return answer.body;
}

/** A refusal exactly as the API put it: status, reason code, message. */
export const refusalText = (answer) =>
  `${answer.status} ${answer.body.error ?? ''}${answer.body.message ? `: ${answer.body.message}` : ''}`;
