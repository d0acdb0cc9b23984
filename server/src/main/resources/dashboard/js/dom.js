// Small DOM helpers. The page builds everything through DOM APIs: no innerHTML with data (no
// injection), no style attributes (the Content-Security-Policy allows none).

/**
 * Makes an element. attrs: properties such as className, textContent, href, type, disabled; keys
 * starting with "on" add listeners; "aria-*", "data-*", "role", "for" and "scope" become attributes.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else if (key.startsWith('aria-') || key.startsWith('data-') || key === 'role' || key === 'for'
        || key === 'scope' || key === 'colspan') {
      node.setAttribute(key, value === true ? '' : String(value));
    } else {
      node[key] = value;
    }
  }
  append(node, children);
  return node;
}

/** Appends children: nodes, strings (as text), arrays of them; null and false are skipped. */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces every child of node. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** The element with this id (the page's fixed skeleton is in index.html). */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) {
    throw new Error('index.html has no #' + id);
  }
  return node;
}

/**
 * Copies text to the clipboard. navigator.clipboard needs a secure context (https or loopback);
 * elsewhere a hidden textarea and execCommand do it.
 */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = el('textarea', { value: text, readOnly: true, className: 'offscreen' });
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}
