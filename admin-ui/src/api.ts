/**
 * The console's only way to the engine: the admin API under /api, same origin. The session is an
 * httpOnly cookie the browser sends by itself; the CSRF token from sign-in goes in X-CSRF-Token on
 * every change. It is kept in sessionStorage so a reload of the tab stays signed in, and is
 * dropped at sign-out or on any 401, which sends the user back to the sign-in page.
 */
const CSRF_KEY = 'sb.csrf';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The whole problem document (a 422 from the test bench carries `errors`). */
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

let onSignedOut: () => void = () => undefined;

/** Called on any 401: the session ended (idle, expired, signed out elsewhere). */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export const hasCsrfToken = (): boolean => sessionStorage.getItem(CSRF_KEY) !== null;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One request to the admin API. `body` is sent as JSON, or as is when `contentType` is another type
 * (a lookup table as text/csv).
 */
export async function api<T>(method: Method, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = contentType;
  const csrf = sessionStorage.getItem(CSRF_KEY);
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: contentType === 'application/json' ? JSON.stringify(body) : String(body) } : {}),
  });
  const text = await res.text();
  const data = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  if (res.ok) return data as T;
  if (res.status === 401 && path !== '/api/auth/login') {
    sessionStorage.removeItem(CSRF_KEY);
    onSignedOut();
  }
  const message = typeof data.detail === 'string' ? data.detail : typeof data.title === 'string' ? data.title : `HTTP ${res.status}`;
  throw new ApiError(res.status, typeof data.code === 'string' ? data.code : 'UNKNOWN', message, data);
}

export const get = <T>(path: string) => api<T>('GET', path);

/** A query string from the set values of `params`. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface Me {
  username: string;
  role: string;
  channels: '*' | string[];
  phi: boolean;
  permissions: string[];
}

export async function signIn(username: string, password: string): Promise<void> {
  const r = await api<{ csrfToken: string }>('POST', '/api/auth/login', { username, password });
  sessionStorage.setItem(CSRF_KEY, r.csrfToken);
}

export async function signOut(): Promise<void> {
  try {
    await api('POST', '/api/auth/logout');
  } finally {
    sessionStorage.removeItem(CSRF_KEY);
  }
}
