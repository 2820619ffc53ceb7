/**
 * Runs one comparison server in its own process, as the engine runs in its own:
 * `node --import tsx bench/servers/serve.ts <precomputed-ack|real-ack|group-commit|node-hl7-server> [logFile]`.
 * Prints one JSON line `{ "port": n }` when listening; on SIGTERM prints `{ "flushes", "frames" }`
 * (group commit only) and exits.
 */
import { listenMllp, precomputedAck, realAck } from './echo-servers.ts';
import { durableAck, GroupCommitLog } from './group-commit.ts';
import { startPeerServer } from './peer-server.ts';

const kind = process.argv[2];
let stats = () => ({});
let server: { port: number; close(): Promise<void> };
switch (kind) {
  case 'precomputed-ack':
    server = await listenMllp(precomputedAck);
    break;
  case 'real-ack':
    server = await listenMllp(realAck);
    break;
  case 'group-commit': {
    const log = await GroupCommitLog.open(process.argv[3] ?? 'bench/results/group-commit.log');
    server = await listenMllp(durableAck(log));
    stats = () => ({ flushes: log.flushes, frames: log.frames });
    break;
  }
  case 'node-hl7-server':
    server = await startPeerServer();
    break;
  default:
    throw new Error(`unknown server kind '${kind}'`);
}
console.log(JSON.stringify({ port: server.port }));
process.once('SIGTERM', () => {
  console.log(JSON.stringify(stats()));
  process.exit(0);
});
