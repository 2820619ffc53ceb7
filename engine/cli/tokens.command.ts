import { SwitchboardError } from '../errors.ts';
import { AuthService } from '../security/auth-service.ts';
import { Role } from '../security/roles.ts';
import { storeCall } from '../store/store-call.ts';
import {
  cliPrincipal,
  COMMON_OPTIONS,
  parseCommandLine,
  runCommand,
  UsageError,
  withContext,
  type CliContext,
  type Io,
} from './cli-context.ts';
import { generatePassword } from './users.command.ts';

const USAGE = `usage:
  switchboard tokens create --role ROLE [--user NAME] [--name LABEL] [--json] [--actor NAME]
  switchboard tokens create --user NAME [--name LABEL] …
      prints a new API token once (send it as Authorization: Bearer …; stored only as its hash).
      A token acts as its user with the user's role and channels: --user names an existing user (default:
      a service user named after --role, created with that role, every channel, no PHI and no password
      anyone knows). Roles: ${Object.values(Role).join(', ')}. Uses MONGODB_URL and MONGODB_DB; audited as cli:<actor>.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  role: { type: 'string' },
  user: { type: 'string' },
  name: { type: 'string', default: 'created with the command line' },
} as const;

const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * The user a token is for: `username` as it is (its role must be `role` when one is named), or,
 * when no such user exists and a role is named, a service user with that role (audited as
 * `user.create`), whose random password is never shown. CONFLICT for another role or a disabled user.
 */
async function tokenUser(auth: AuthService, o: { username: string; role: Role | undefined; actor: string; io: Io }): Promise<void> {
  const user = await storeCall(() => auth.users.findOne({ _id: o.username }, { projection: { role: 1, disabled: 1 } }), 'users.get');
  if (user) {
    if (o.role && user.role !== o.role)
      throw new SwitchboardError('CONFLICT', `user ${o.username} has role ${user.role}, not ${o.role}; a token acts with its user's role`);
    if (user.disabled) throw new SwitchboardError('CONFLICT', `user ${o.username} is disabled`);
    return;
  }
  if (!o.role) throw new SwitchboardError('NOT_FOUND', `no user ${o.username}; name --role to create a service user`);
  await auth.createUser({ username: o.username, password: generatePassword(), role: o.role, channels: '*', phi: false }, o.actor);
  o.io.err(
    `service user ${o.username} created with role ${o.role} (no password anyone knows; set one with users reset-password to sign in)`,
  );
}

async function create(
  ctx: CliContext,
  v: ReturnType<typeof parseCommandLine<typeof OPTIONS>>['values'],
  actor: string,
  io: Io,
): Promise<number> {
  const role = v.role as Role | undefined;
  const username = v.user ?? role!;
  const auth = new AuthService({ store: ctx.store, audit: ctx.audit, config: ctx.security, announce: () => undefined });
  await tokenUser(auth, { username, role, actor, io });
  const created = await auth.issueApiToken({ username, name: v.name, actor });
  if (v.json) io.out(JSON.stringify({ ...created, user: username }));
  else io.out(`token ${created.id} (${created.name}) for user ${username}, shown this once:\n${created.token}`);
  return 0;
}

/**
 * `switchboard tokens create`: an API token through the API's service (AuthService.issueApiToken:
 * stored as its SHA-256, audited as `token.create` with the actor `cli:<name>` and the user), for
 * an existing user or a service user of a role (a Prometheus scraper's `--role monitor`).
 * Exit codes: 0 printed, 1 refused (role mismatch, disabled or unknown user) or the store failed, 2 usage.
 */
export function runTokensCommand(args: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand('tokens create', USAGE, io, async () => {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (positionals.join(' ') !== 'create')
      throw new UsageError(positionals.length ? `unknown: tokens ${positionals.join(' ')}` : 'name a subcommand');
    if (values.role !== undefined && !Object.values(Role).includes(values.role as Role))
      throw new UsageError(`--role takes one of ${Object.values(Role).join(', ')}`);
    if (values.role === undefined && values.user === undefined) throw new UsageError('name --role, --user or both');
    if (values.user !== undefined && !USERNAME.test(values.user))
      throw new UsageError('--user takes 1 to 64 letters, digits, ".", "_", "@" or "-"');
    if (values.name.length < 1 || values.name.length > 100) throw new UsageError('--name takes 1 to 100 characters');
    const actor = cliPrincipal(values.actor).username;
    return withContext(env, (ctx) => create(ctx, values, actor, io));
  });
}
