import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const WEB_DIR = join(__dirname, '..', 'web');

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** Templates are read once: they ship with the package and never change while it runs. */
const templates = new Map<string, string>();
function template(name: string): string {
  let text = templates.get(name);
  if (text === undefined) {
    text = readFileSync(join(WEB_DIR, name), 'utf8');
    templates.set(name, text);
  }
  return text;
}

function fill(name: string, values: Record<string, string>): string {
  return template(name).replace(/\{\{(\w+)\}\}/g, (_, key: string) => escapeHtml(values[key] ?? ''));
}

/** `base` is the mount path with a trailing slash; every link on the pages is relative to it. */
export function loginPage(base: string, message = ''): string {
  return fill('login.html', { base, message, messageHidden: message ? '' : 'hidden' });
}

export function dashboardPage(base: string, csrfToken: string, readOnly: boolean): string {
  return fill('index.html', { base, csrf: csrfToken, readOnly: String(readOnly) });
}
