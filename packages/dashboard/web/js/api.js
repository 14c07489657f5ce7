/** Talks to the dashboard's JSON API; every POST carries the page's CSRF token. */

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
export const readOnly = document.querySelector('meta[name="dashboard-read-only"]').content === 'true';

async function answer(response) {
  if (response.status === 401) {
    location.href = 'login';
    throw new Error('session ended');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  return body;
}

export async function getJson(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== '' && value !== undefined));
  return answer(await fetch(`api/${path}${query.size ? `?${query}` : ''}`, { headers: { accept: 'application/json' } }));
}

export async function postAction(action, body) {
  return answer(
    await fetch(`api/actions/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
      body: JSON.stringify(body),
    }),
  );
}

/** The server pushes a snapshot every couple of seconds; the browser never polls. */
export function openLive(onSnapshot, onStatus) {
  const source = new EventSource('api/live');
  source.addEventListener('open', () => onStatus(true));
  source.addEventListener('error', () => onStatus(false));
  source.addEventListener('stale', () => onStatus(false));
  source.addEventListener('snapshot', (event) => {
    onStatus(true);
    onSnapshot(JSON.parse(event.data));
  });
  return source;
}
