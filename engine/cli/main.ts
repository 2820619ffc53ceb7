/**
 * `switchboard <command>`: `start` runs the engine (see engine/main.ts); `hl7 get|json|validate`
 * reads HL7v2 files for analysts; `audit verify|export` checks and exports the audit log; support
 * work (`deliveries dead`, `replay`, `alerts`, `users`, `tokens create`) goes through the API's services and
 * audit. Exit codes: 0 ok, 1 the command's own failure, 2 usage.
 */
import { runAlertsCommand } from './alerts.command.ts';
import { runArchiveCommand } from './archive.command.ts';
import { runAuditCommand } from './audit.command.ts';
import { runChannelsCommand } from './channels.command.ts';
import { connectors } from '../../wiring.ts';
import type { Io } from './cli-context.ts';
import { runDeliveriesCommand } from './deliveries.command.ts';
import { runHl7Command } from './hl7.command.ts';
import { runKeysCommand } from './keys.command.ts';
import { runMappingsCommand } from './mappings.command.ts';
import { runReplayCommand } from './replay.command.ts';
import { runRetentionCommand } from './retention.command.ts';
import { runTablesCommand } from './tables.command.ts';
import { runTokensCommand } from './tokens.command.ts';
import { runUsersCommand } from './users.command.ts';

const USAGE = `usage:
  switchboard start [--role all|ingest|worker]   run the engine (settings from the environment)
  switchboard hl7 get FILE PATH...       print the decoded value at each path (e.g. PID-5.1)
  switchboard hl7 json FILE              print the message tree as JSON
  switchboard hl7 validate FILE          exit 0 when FILE is valid HL7v2, else 1 with the reason
  switchboard audit verify               check the audit log's hash chain (MONGODB_URL, MONGODB_DB)
  switchboard audit export [--format json|fhir]   print the audit log
  switchboard audit keygen               print a new key pair for the audit log's signed checkpoints
  switchboard retention run | runs       prune now as the engine's pruner does; list the pruning runs
  switchboard archive restore FILE [--message ID]…   put archived messages back for search and replay
  switchboard channels validate|export|import …   channel files and the store are one model (see 'switchboard channels')
  switchboard mappings export DIR | import FILE...   shipped transforms in the data form; data mappings into the store
  switchboard tables list|import|export …   lookup tables as CSV files (see 'switchboard tables')
  switchboard keys reseal                re-encrypt stored messages under the first key of ENCRYPTION_KEYS
  switchboard deliveries dead [--channel --destination --error --limit --json]   list dead deliveries
  switchboard alerts list|history|silence|silences|unsilence …   alerts now and before; silence a rule (see 'switchboard alerts')
  switchboard replay [--message ID]… [--channel --destination --error --status --from --to] --dry-run|--reason "why"
  switchboard users add|disable|enable|reset-password NAME …   user administration (see 'switchboard users')
  switchboard tokens create --role ROLE [--user NAME] [--name LABEL]   an API token, printed once
(support commands take --json for scripts and --actor NAME for the audit log, which names them cli:<actor>)`;

const [command, ...rest] = process.argv.slice(2);
const io: Io = {
  out: (s: string) => process.stdout.write(`${s}\n`),
  err: (s: string) => process.stderr.write(`${s}\n`),
  ...(process.stderr.isTTY ? { redraw: (s: string) => process.stderr.write(s) } : {}),
};
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
    process.exitCode = await runChannelsCommand(rest, io, connectors);
    break;
  case 'retention':
    process.exitCode = await runRetentionCommand(rest, io, connectors);
    break;
  case 'alerts':
    process.exitCode = await runAlertsCommand(rest, io);
    break;
  case 'archive':
    process.exitCode = await runArchiveCommand(rest, io);
    break;
  case 'mappings':
    process.exitCode = await runMappingsCommand(rest, io, connectors);
    break;
  case 'tables':
    process.exitCode = await runTablesCommand(rest, io);
    break;
  case 'keys':
    process.exitCode = await runKeysCommand(rest, io);
    break;
  case 'deliveries':
    process.exitCode = await runDeliveriesCommand(rest, io);
    break;
  case 'replay':
    process.exitCode = await runReplayCommand(rest, io, connectors);
    break;
  case 'users':
    process.exitCode = await runUsersCommand(rest, io);
    break;
  case 'tokens':
    process.exitCode = await runTokensCommand(rest, io);
    break;
  case 'hl7':
    process.exitCode = await runHl7Command(rest, io);
    break;
  default:
    io.err(USAGE);
    process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}
