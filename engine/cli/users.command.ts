import { randomBytes } from 'node:crypto';
import { AuthService } from '../security/auth-service.ts';
import type { UserView } from '../security/auth-records.ts';
import { Role } from '../security/roles.ts';
import {
  cliPrincipal,
  COMMON_OPTIONS,
  parseCommandLine,
  readStdin,
  runCommand,
  UsageError,
  withContext,
  type CliContext,
  type Io,
} from './cli-context.ts';
import { table } from './cli-output.ts';

const USAGE = `usage:
  switchboard users add NAME --role ROLE [--channels '*'|ID,ID…] [--phi] [--password-stdin]
  switchboard users disable NAME          no sign-in; ends the user's sessions and API tokens
  switchboard users enable NAME
  switchboard users reset-password NAME [--password-stdin]   ends the user's sessions and API tokens
      (each also takes --json and --actor NAME). add and reset-password print a generated password once,
      or take one line from standard input with --password-stdin. Roles: ${Object.values(Role).join(', ')}.
      Uses MONGODB_URL and MONGODB_DB; audited as cli:<actor> (default: the operating-system user).`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  role: { type: 'string' },
  channels: { type: 'string', default: '*' },
  phi: { type: 'boolean', default: false },
  'password-stdin': { type: 'boolean', default: false },
} as const;

const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
const CHANNEL = /^[a-z0-9-]{1,64}$/;

/** A password for a user who is told it once: 24 characters of base64url, 144 random bits. */
export const generatePassword = (): string => randomBytes(18).toString('base64url');

/** `--channels`: `*` or a comma-separated list of channel ids. */
function channelsOf(spec: string): '*' | string[] {
  if (spec === '*') return '*';
  const ids = spec.split(',').map((s) => s.trim());
  if (ids.some((id) => !CHANNEL.test(id))) throw new UsageError(`--channels takes * or channel ids separated by commas`);
  return ids;
}

/** Prints a user (and a password shown this once) as lines or, with `json`, one JSON object. */
function printUser(io: Io, json: boolean, what: string, user: UserView, password: string | undefined): void {
  if (json) {
    io.out(JSON.stringify({ user, ...(password ? { password } : {}) }));
    return;
  }
  const channels = user.channels === '*' ? '*' : user.channels.join(',');
  for (const line of table(
    ['USER', 'ROLE', 'CHANNELS', 'PHI', 'DISABLED'],
    [[user.username, user.role, channels, user.phi ? 'yes' : 'no', user.disabled ? 'yes' : 'no']],
  ))
    io.out(line);
  io.out(what);
  if (password) io.out(`password (shown this once): ${password}`);
}

const SUBCOMMANDS = ['add', 'disable', 'enable', 'reset-password'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const isSubcommand = (s: string | undefined): s is Subcommand => SUBCOMMANDS.includes(s as Subcommand);

type Values = ReturnType<typeof parseCommandLine<typeof OPTIONS>>['values'];

/** Does `sub` for user `name` (the command line checked), as `actor`. */
async function act(ctx: CliContext, o: { sub: Subcommand; name: string; actor: string }, v: Values, io: Io): Promise<number> {
  const { sub, name, actor } = o;
  const auth = new AuthService({ store: ctx.store, audit: ctx.audit, config: ctx.security, announce: () => undefined });
  /** The new password, and what to show: a generated one, once; one read from standard input, never. */
  const newPassword = async (): Promise<{ password: string; shown?: string }> => {
    if (v['password-stdin']) return { password: (await readStdin()).replace(/\r?\n$/, '') };
    const password = generatePassword();
    return { password, shown: password };
  };
  switch (sub) {
    case 'add': {
      const { password, shown } = await newPassword();
      const user = await auth.createUser(
        { username: name, password, role: v.role as Role, channels: channelsOf(v.channels), phi: v.phi },
        actor,
      );
      printUser(io, v.json, `user ${name} created`, user, shown);
      return 0;
    }
    case 'reset-password': {
      const { password, shown } = await newPassword();
      printUser(
        io,
        v.json,
        `password of ${name} changed; their sessions and API tokens ended`,
        await auth.updateUser(name, { password }, { username: actor }),
        shown,
      );
      return 0;
    }
    case 'disable':
    case 'enable': {
      const disabled = sub === 'disable';
      printUser(
        io,
        v.json,
        disabled ? `user ${name} disabled; their sessions and API tokens ended` : `user ${name} enabled`,
        await auth.updateUser(name, { disabled }, { username: actor }),
        undefined,
      );
      return 0;
    }
    default:
      return sub satisfies never;
  }
}

/**
 * `switchboard users add|disable|enable|reset-password NAME`: user administration through the
 * API's service (AuthService.createUser and updateUser: the same password policy, session and
 * token revocation, and audit entries, with the actor `cli:<name>`). A password is printed only
 * when generated, once, to standard output; never logged or audited.
 * Exit codes: 0 done, 1 refused (unknown or existing user, password policy) or the store failed, 2 usage.
 */
export function runUsersCommand(args: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand('users', USAGE, io, async () => {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    const [sub, name, ...extra] = positionals;
    if (!isSubcommand(sub)) throw new UsageError(sub ? `unknown: users ${sub}` : 'name a subcommand');
    if (!name || !USERNAME.test(name) || extra.length > 0)
      throw new UsageError('name one user (1 to 64 letters, digits, ".", "_", "@" or "-")');
    if (sub === 'add') {
      if (!values.role || !Object.values(Role).includes(values.role as Role))
        throw new UsageError(`--role takes one of ${Object.values(Role).join(', ')}`);
      channelsOf(values.channels);
    }
    if (sub !== 'add' && (values.role !== undefined || values.phi || values.channels !== '*'))
      throw new UsageError(`users ${sub} takes no --role, --channels or --phi`);
    if ((sub === 'disable' || sub === 'enable') && values['password-stdin']) throw new UsageError(`users ${sub} takes no password`);
    const actor = cliPrincipal(values.actor).username;
    return withContext(env, (ctx) => act(ctx, { sub, name, actor }, values, io));
  });
}
