import { request, type Dispatcher } from 'undici';
import { SwitchboardError } from '../../engine/errors.ts';
import { classifyNetworkError, isSuccess } from '../http/http-failures.ts';

export interface OAuth2Options {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  timeoutMs: number;
  /** The destination's connection pool, so the token endpoint sees the same TLS client identity. */
  dispatcher: () => Promise<Dispatcher>;
}

/**
 * OAuth2 client credentials (RFC 6749 §4.4) for the ERP destination: one token at a time, fetched
 * on first use, reused until 30 s before it expires, and fetched again after `forget()`.
 * A token endpoint that refuses the client is a permanent failure (PEER_REJECTED); one that cannot
 * be reached is not connected; a 5xx is transient.
 */
export class OAuth2Client {
  private current: { token: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(private readonly o: OAuth2Options) {}

  token(): Promise<string> {
    if (this.current && Date.now() < this.current.expiresAt) return Promise.resolve(this.current.token);
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  forget(): void {
    this.current = undefined;
  }

  private async fetchToken(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(this.o.scope ? { scope: this.o.scope } : {}) });
    const basic = Buffer.from(`${encodeURIComponent(this.o.clientId)}:${encodeURIComponent(this.o.clientSecret)}`).toString('base64');
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      const headers = { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' };
      // undici's request, like the deliveries: a redirect is not followed (the credentials stay where they were sent).
      res = await request(this.o.tokenUrl, {
        dispatcher: await this.o.dispatcher(),
        method: 'POST',
        headers,
        body: body.toString(),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      text = await res.body.text().catch(() => '');
    } catch (err) {
      if (err instanceof SwitchboardError) throw err;
      // No token was issued whatever happened, so a lost connection is as good as none.
      const e = classifyNetworkError(err, false);
      throw new SwitchboardError(e.code === 'PEER_TLS_FAILED' ? e.code : 'PEER_NOT_CONNECTED', `OAuth2 token endpoint: ${e.message}`, {
        cause: err,
      });
    }
    const status = res.statusCode;
    if (status >= 500)
      throw new SwitchboardError('PEER_UNAVAILABLE', `token endpoint answered ${status}`, {
        peerResponse: `${status} ${text.slice(0, 300)}`,
      });
    if (!isSuccess(status))
      throw new SwitchboardError('PEER_REJECTED', `token endpoint refused the client (${status})`, {
        peerResponse: `${status} ${text.slice(0, 300)}`,
      });
    const json = JSON.parse(text) as { access_token?: string; expires_in?: number };
    if (!json.access_token) throw new SwitchboardError('PEER_REJECTED', 'token endpoint gave no access_token');
    this.current = { token: json.access_token, expiresAt: Date.now() + Math.max(0, (json.expires_in ?? 300) - 30) * 1000 };
    return json.access_token;
  }
}
