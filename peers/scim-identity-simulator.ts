/**
 * SCIM 2.0 identity simulator (RFC 7643/7644, the User resource only), the first step of the onboarding flow:
 * - `POST /Users` with `schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"]` and `userName` (also kept:
 *   `name`, `emails`, `externalId`, `active`, default true) → 201 with `id` and `meta`, and a Location header;
 *   a `userName` already there (compared ignoring case, as RFC 7643 says) → 409 `scimType: "uniqueness"`;
 * - `GET /Users?filter=userName eq "x"` (or `externalId eq "x"`) → a ListResponse; no filter lists every user;
 *   another filter → 400 `invalidFilter`;
 * - `GET /Users/:id` → 200 or 404; `DELETE /Users/:id` (the compensation) → 204 or 404.
 * Answers are `application/scim+json`; errors are SCIM Error messages (`status` a string). An Idempotency-Key
 * is optional (SCIM clients do not send one) and de-duplicates when present (http-peer.ts).
 */
import { randomUUID } from 'node:crypto';
import { startHttpPeer, type HttpPeer, type PeerAnswer } from './http-peer.ts';
import { isObject } from './record-peer.ts';

export const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SCIM_LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export interface ScimUser {
  schemas: string[];
  id: string;
  userName: string;
  externalId?: string;
  name?: Record<string, unknown>;
  emails?: unknown[];
  active: boolean;
  meta: { resourceType: 'User'; created: string; lastModified: string; location: string; version: string };
}

export interface ScimIdentitySimulator extends HttpPeer {
  /** The users it holds (deleted ones are gone). */
  users(): ScimUser[];
}

/** A SCIM Error message (RFC 7644 §3.12). */
export function scimError(status: number, detail: string, scimType?: string): unknown {
  return { schemas: [SCIM_ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

export async function startScimIdentitySimulator(opts: { port?: number; host?: string } = {}): Promise<ScimIdentitySimulator> {
  const users = new Map<string, ScimUser>();
  let base = '';
  const peer = await startHttpPeer({
    name: 'SCIM identity simulator',
    port: opts.port,
    host: opts.host,
    contentType: 'application/scim+json',
    errorBody: (status, detail) => scimError(status, detail),
    requireKey: false,
    routes: [
      { method: 'POST', path: '/Users', handler: ({ body }) => create(users, base, body) },
      { method: 'GET', path: '/Users', handler: ({ query }) => list(users, query.get('filter')) },
      {
        method: 'GET',
        path: '/Users/:id',
        handler: ({ params }) => {
          const user = users.get(params.id ?? '');
          return user ? { status: 200, body: user, headers: { etag: user.meta.version } } : fail(404, 'no such user');
        },
      },
      {
        method: 'DELETE',
        path: '/Users/:id',
        handler: ({ params }) => (users.delete(params.id ?? '') ? { status: 204 } : fail(404, 'no such user')),
      },
    ],
  });
  base = peer.url;
  return { ...peer, users: () => [...users.values()].map((u) => structuredClone(u)) };
}

function fail(status: number, detail: string, scimType?: string): PeerAnswer {
  return { status, body: scimError(status, detail, scimType) };
}

/** `POST /Users`: the new user (201) or why not. */
function create(users: Map<string, ScimUser>, base: string, body: unknown): PeerAnswer {
  if (!isObject(body) || !Array.isArray(body.schemas) || !body.schemas.includes(SCIM_USER))
    return fail(400, `schemas must include ${SCIM_USER}`, 'invalidSyntax');
  const { userName, externalId, name, emails, active } = body;
  if (typeof userName !== 'string' || userName.trim() === '') return fail(400, 'userName is required', 'invalidValue');
  if ([...users.values()].some((u) => u.userName.toLowerCase() === userName.toLowerCase()))
    return fail(409, 'userName is already taken', 'uniqueness');
  const id = randomUUID();
  const now = new Date().toISOString();
  const user: ScimUser = {
    schemas: [SCIM_USER],
    id,
    userName,
    ...(typeof externalId === 'string' ? { externalId } : {}),
    ...(isObject(name) ? { name } : {}),
    ...(Array.isArray(emails) ? { emails } : {}),
    active: typeof active === 'boolean' ? active : true,
    meta: { resourceType: 'User', created: now, lastModified: now, location: `${base}/Users/${id}`, version: 'W/"1"' },
  };
  users.set(id, user);
  return { status: 201, body: user, headers: { location: user.meta.location, etag: user.meta.version } };
}

/** `GET /Users[?filter=…]`: a ListResponse or 400 invalidFilter. */
function list(users: Map<string, ScimUser>, filter: string | null): PeerAnswer {
  let found = [...users.values()];
  if (filter !== null) {
    const m = /^\s*(userName|externalId)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
    if (!m) return fail(400, 'only userName eq "…" and externalId eq "…" are supported', 'invalidFilter');
    const value = (m[2] ?? '').replace(/\\(.)/g, '$1');
    found =
      m[1]?.toLowerCase() === 'username'
        ? found.filter((u) => u.userName.toLowerCase() === value.toLowerCase())
        : found.filter((u) => u.externalId === value);
  }
  return {
    status: 200,
    body: { schemas: [SCIM_LIST], totalResults: found.length, startIndex: 1, itemsPerPage: found.length, Resources: found },
  };
}
