import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './careful-sender.ts';

/** One e-mail as the SMTP server received it. */
export interface ReceivedMail {
  /** Header names in lower case; folded lines joined. */
  headers: Record<string, string>;
  /** The body, quoted-printable decoded when so encoded. */
  text: string;
  /** The message as it arrived, headers and body. */
  raw: string;
}

export interface SmtpTestServer {
  host: string;
  port: number;
  /** Every message received so far, in arrival order (oldest file first). */
  messages(): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/**
 * Debian's python3-aiosmtpd (`python3 -m aiosmtpd`, installed by `scripts/services.sh --for-tests`)
 * is in the system Python: /usr/bin/python3 when present, else whatever `python3` is on PATH.
 */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/**
 * A real SMTP server on loopback for tests: aiosmtpd with its Mailbox handler, storing each message
 * received as a file of a Maildir in a temporary directory (removed by close()). Ready once it
 * accepts a connection; fails (with aiosmtpd's own words) when it cannot start, so a missing
 * prerequisite fails the test.
 */
export async function startSmtpServer(): Promise<SmtpTestServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-smtp-'));
  const maildir = path.join(dir, 'mail');
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const child = spawn(PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.once('error', (err) => (stderr += String(err)));
    if (await listening(port, exited)) return server(child, port, maildir, dir);
    if (tries >= 2 || !/address already in use/i.test(stderr)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`aiosmtpd did not start (${PYTHON} -m aiosmtpd; Debian's python3-aiosmtpd): ${stderr.trim() || 'no output'}`);
    }
  }
}

/** Whether the server accepts connections on `port` before it exits (polled for up to 15 s). */
async function listening(port: number, exited: Promise<number | null>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 15_000;
  while (!gone && Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function server(child: ChildProcess, port: number, maildir: string, dir: string): SmtpTestServer {
  const stop = () => child.kill('SIGKILL');
  process.once('exit', stop);
  return {
    host: '127.0.0.1',
    port,
    async messages() {
      const folder = path.join(maildir, 'new');
      const names = existsSync(folder) ? (await readdir(folder)).sort() : [];
      return Promise.all(names.map(async (n) => parseMail(await readFile(path.join(folder, n), 'latin1'))));
    },
    async close() {
      process.off('exit', stop);
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Headers (unfolded, names lower-cased) and the body of one stored message. */
export function parseMail(raw: string): ReceivedMail {
  const text = raw.replace(/\r\n/g, '\n');
  const cut = text.indexOf('\n\n');
  const head = cut < 0 ? text : text.slice(0, cut);
  const body = cut < 0 ? '' : text.slice(cut + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const qp = /quoted-printable/i.test(headers['content-transfer-encoding'] ?? '');
  const decoded = qp
    ? Buffer.from(
        body.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('utf8')
    : body;
  return { headers, text: decoded, raw };
}
