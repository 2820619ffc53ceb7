/**
 * `switchboard <command>`: `start` runs the engine (see engine/main.ts); `hl7 get|json|validate`
 * reads HL7v2 files for analysts; `audit verify|export` checks and exports the audit log. Exit codes: 0 ok, 1 the command's own failure, 2 usage.
 */
import { runAuditCommand } from './audit.command.ts';
import { runChannelsCommand } from './channels.command.ts';
import { runHl7Command } from './hl7.command.ts';
import { runKeysCommand } from './keys.command.ts';

const USAGE = `usage:
  switchboard start [--role all|ingest|worker]   run the engine (settings from the environment)
  switchboard hl7 get FILE PATH...       print the decoded value at each path (e.g. PID-5.1)
  switchboard hl7 json FILE              print the message tree as JSON
  switchboard hl7 validate FILE          exit 0 when FILE is valid HL7v2, else 1 with the reason
  switchboard audit verify               check the audit log's hash chain (MONGODB_URL, MONGODB_DB)
  switchboard audit export [--format json|fhir]   print the audit log
  switchboard channels validate|export|import …   channel files and the store are one model (see 'switchboard channels')
  switchboard keys reseal                re-encrypt stored messages under the first key of ENCRYPTION_KEYS`;

const [command, ...rest] = process.argv.slice(2);
const io = { out: (s: string) => process.stdout.write(`${s}\n`), err: (s: string) => process.stderr.write(`${s}\n`) };
switch (command) {
  case 'start': {
    const role = rest[rest.indexOf('--role') + 1];
    if (rest.includes('--role')) {
      if (!['all', 'ingest', 'worker'].includes(role ?? '')) {
        io.err('--role takes all, ingest or worker');
        process.exit(2);
      }
      process.env.SWITCHBOARD_ROLE = role;
    }
    const { main } = await import('../main.ts');
    await main();
    break;
  }
  case 'audit':
    process.exitCode = await runAuditCommand(rest, io);
    break;
  case 'channels':
    process.exitCode = await runChannelsCommand(rest, io);
    break;
  case 'keys':
    process.exitCode = await runKeysCommand(rest, io);
    break;
  case 'hl7':
    process.exitCode = await runHl7Command(rest, io);
    break;
  default:
    io.err(USAGE);
    process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}
