/** DOM building without HTML parsing: every piece of data goes in as a text node or an attribute value. */

/** An element with attributes (`on…` are listeners, `class` the class name) and children (nodes or text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false)
      el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A table with a header row and one row per item; `row` answers the cells (text or nodes). */
export function table(headers, items, row, rowAttrs = () => ({})) {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((header) => h('th', {}, header)),
      ),
    ),
    h(
      'tbody',
      {},
      items.length === 0
        ? h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, 'nothing to show'))
        : items.map((item) =>
            h(
              'tr',
              rowAttrs(item),
              row(item).map((cell) => h('td', {}, cell)),
            ),
          ),
    ),
  );
}

/** A time as the operator's local date and time; empty for null. */
export const time = (iso) => (iso ? new Date(iso).toLocaleString() : '');

/** A hash or address shortened for a table cell, whole in its title. */
export const short = (text) =>
  text ? h('span', { title: text, class: 'mono' }, `${text.slice(0, 10)}…${text.slice(-6)}`) : '';

/** A status as a badge whose class colours it. */
export const badge = (status) => h('span', { class: `badge ${status}` }, status);

/** Replaces the content of `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return el;
}
