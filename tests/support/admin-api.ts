import type { TestEngine } from './harness.ts';

/**
 * One admin API call through inject(): as the harness's administrator unless `headers` say who
 * (a session from users.ts). A string payload goes as text/csv (the lookup table routes), anything
 * else as JSON. Returns the status and the parsed body.
 */
export async function apiCall(
  sb: TestEngine,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = sb.adminHeaders,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const csv = typeof payload === 'string';
  const res = await sb.engine.http!.inject({
    method,
    url,
    headers: { ...headers, ...(csv ? { 'content-type': 'text/csv' } : {}) },
    ...(payload === undefined ? {} : { payload: payload as string }),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

/** The MLLP port a channel listens on in this engine (each deploy moves a port-0 listener). */
export async function channelPort(sb: TestEngine, channelId: string): Promise<number | undefined> {
  const { items } = (await apiCall(sb, 'GET', '/api/channels')).body as { items: { id: string; port: number | null }[] };
  return items.find((c) => c.id === channelId)?.port ?? undefined;
}
