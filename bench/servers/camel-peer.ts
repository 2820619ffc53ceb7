/**
 * The durable peer: Apache Camel 4 (peers/camel, built by scripts/lib.sh's ensure_camel_peer) in its
 * own JVM, an MLLP route that inserts each message into PostgreSQL and then ACKs. Started as a Camel
 * user runs camel-main: `java -cp 'camel-peer.jar:lib/*' switchboard.bench.CamelPeer`, default JVM
 * settings, its configuration from the environment (peers/camel/src/main/resources/application.properties).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { ROOT } from '../lib/processes.ts';
import type { PgServer } from '../lib/pg-admin.ts';
import { freePort } from './peer-server.ts';

const TARGET = path.join(ROOT, 'peers/camel/target');
const JAR = path.join(TARGET, 'camel-peer.jar');
/** camel-main's line once every route has started (the MLLP consumer listens by then). */
const STARTED = /Apache Camel \S+ \(camel-peer\) started in/;

export interface CamelPeer {
  port: number;
  pid: number;
  /** SIGTERM (camel-main's graceful shutdown, 5 s), SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/** Starts the peer on a free port against database `db` and waits until its route has started (60 s at most). */
export async function startCamelPeer(o: { pg: PgServer; db: string; logFile: string }): Promise<CamelPeer> {
  if (!existsSync(JAR)) throw new Error(`${JAR} is missing: npm run bench builds it (or: mvn -q -f peers/camel/pom.xml package)`);
  const port = await freePort();
  const child = spawn('java', ['-cp', `${JAR}:${path.join(TARGET, 'lib')}/*`, 'switchboard.bench.CamelPeer'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      CAMEL_PEER_MLLP_PORT: String(port),
      CAMEL_PEER_JDBC_URL: `jdbc:postgresql://${o.pg.host}:${o.pg.port}/${o.db}`,
      CAMEL_PEER_DB_USER: o.pg.user,
      CAMEL_PEER_DB_PASSWORD: o.pg.password,
    },
  });
  const log = createWriteStream(o.logFile, { flags: 'a' });
  child.stderr!.pipe(log, { end: false });
  const lines = readline.createInterface({ input: child.stdout! });
  lines.on('line', (line) => log.write(`${line}\n`));
  // 'close', not 'exit': a spawn that fails (no java) emits 'error' and 'close' only; and the last lines are read by then.
  const exited = Promise.all([once(child, 'close'), once(lines, 'close')]);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
    log.end();
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Camel did not start in 60 s; see ${o.logFile}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`Camel exited with ${code}; see ${o.logFile}`)));
    child.once('error', reject);
    lines.on('line', (line) => {
      if (STARTED.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { port, pid: child.pid!, stop };
}
