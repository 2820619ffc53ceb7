import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { AuditLog } from '../audit/audit-log.ts';
import { ChannelService } from '../channels/channel-service.ts';
import { readChannelFile, writeChannelFile } from '../channels/channel-files.ts';
import { ChannelState, ChannelStore } from '../channels/channel-store.ts';
import { restoreMasked, SECRET_MASK } from '../channels/channel-masking.ts';
import type { ConnectorRegistry } from '../connector.ts';
import { validateChannel } from '../channels/channel-schema.ts';
import { loadSecurityConfig } from '../config/security-config.ts';
import { toSwitchboardError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { openMappings } from '../mappings/open-mappings.ts';
import { Keyring } from '../security/encryption.ts';
import { parseAllowList } from '../security/host-allowlist.ts';
import { Store } from '../store/store.ts';
import { transforms } from '../../transforms/index.ts';

type Io = { out: (s: string) => void; err: (s: string) => void };

const USAGE = `usage:
  switchboard channels validate FILE...          check channel files (exit 1 naming each problem)
  switchboard channels export DIR                 write each channel's deployed (else latest) version as DIR/<id>.channel.json
  switchboard channels import [--deploy] FILE...  save each file as the channel's next version (and deploy it)
(export and import use MONGODB_URL and MONGODB_DB; running engines follow a deploy within seconds)`;

/**
 * `switchboard channels validate|export|import`: files and the console are one model. A file is a
 * channel as data (`*.channel.json`, or a `*.channel.ts` module); import saves it as a new version
 * exactly as a console save does (validated, audited as `cli:<user>`), and export writes what runs.
 * Secrets: `${VAR}` references travel as written; a literal secret is exported as `********`, and
 * such a file imports only over a channel that already holds that secret.
 * Exit codes: 0 done, 1 a file or the store failed, 2 usage.
 */
export async function runChannelsCommand(
  args: readonly string[],
  io: Io,
  connectors: ConnectorRegistry,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [sub, ...rest] = args;
  const deploy = rest.includes('--deploy');
  const files = rest.filter((a) => a !== '--deploy');
  if (!['validate', 'export', 'import'].includes(sub ?? '') || files.length === 0 || (sub !== 'validate' && !env.MONGODB_URL)) {
    io.err(USAGE);
    return 2;
  }
  const security = loadSecurityConfig(env);
  const allowedHosts = parseAllowList(security.ALLOWED_DESTINATION_HOSTS);
  if (sub === 'validate') return validateFiles(files, io, { connectors, env, allowedHosts });
  const keyring = Keyring.fromConfig(security);
  const store = new Store({ url: env.MONGODB_URL!, dbName: env.MONGODB_DB || 'switchboard' });
  try {
    await store.start();
    const channelStore = new ChannelStore(store, connectors, keyring);
    await channelStore.start();
    if (sub === 'export') return await exportChannels(channelStore, files[0]!, io);
    return await importFiles({ store, channelStore, connectors, files, deploy, io, env, allowedHosts });
  } catch (err) {
    const e = toSwitchboardError(err);
    io.err(`channels ${sub} failed: ${e.code}: ${e.message}`);
    return 1;
  } finally {
    await store.close();
  }
}

/** `channels validate`: reads and validates each file, naming each problem; 1 when any file is bad, else 0. */
async function validateFiles(
  files: readonly string[],
  io: Io,
  o: { connectors: ConnectorRegistry; env: NodeJS.ProcessEnv; allowedHosts: readonly string[] },
): Promise<number> {
  let bad = 0;
  for (const file of files) {
    const problems = await readChannelFile(file).then(
      (channel) => validateChannel({ channel, transforms, ...o }),
      (err: unknown) => [{ path: '/', message: `cannot read: ${(err as Error).message}` }],
    );
    for (const p of problems) io.err(`${file}${p.path}: ${p.message}`);
    if (problems.length > 0) bad++;
    else io.out(`${file}: valid`);
  }
  return bad > 0 ? 1 : 0;
}

/** `channels export`: writes each channel's deployed (else latest) version into `dir`, literal secrets masked. Returns 0. */
async function exportChannels(channelStore: ChannelStore, dir: string, io: Io): Promise<number> {
  await mkdir(dir, { recursive: true });
  for (const id of await channelStore.channelIds()) {
    const state = await channelStore.state(id);
    const deployed = state && state.state !== ChannelState.undeployed ? await channelStore.version(id, state.version) : undefined;
    const version = deployed ?? (await channelStore.latest(id))!;
    const shown = channelStore.shown(version.definition);
    const masked = JSON.stringify(shown).includes(SECRET_MASK) ? ': holds masked literal secrets' : '';
    io.out(`${await writeChannelFile(dir, shown)} (version ${version.version})${masked}`);
  }
  return 0;
}

type ImportRun = {
  store: Store;
  channelStore: ChannelStore;
  connectors: ConnectorRegistry;
  files: readonly string[];
  deploy: boolean;
  io: Io;
  env: NodeJS.ProcessEnv;
  allowedHosts: readonly string[];
};

/**
 * `channels import [--deploy]`: saves each file as its channel's next version through the ChannelService (validated,
 * audited as `cli:<user>`), masked secrets restored from the latest version, and deploys it when asked.
 * 1 when any file was refused, else 0; a file that cannot be read throws.
 */
async function importFiles({ store, channelStore, connectors, files, deploy, io, env, allowedHosts }: ImportRun): Promise<number> {
  const audit = new AuditLog(store);
  await audit.start();
  const runner = {
    deploy: async () => undefined,
    undeploy: async () => undefined,
    pause: async () => true,
    resume: async () => true,
    running: () => new Map(),
  };
  const mappings = await openMappings({ store, audit, registry: new Map(transforms), channels: channelStore });
  const service = new ChannelService({
    store: channelStore,
    audit,
    runner,
    connectors,
    transforms,
    mappings: mappings.forChannels,
    env,
    allowedHosts,
    log: silentLogger(),
  });
  const actor = { username: `cli:${userInfo().username}` };
  let bad = 0;
  for (const file of files) {
    const channel = await readChannelFile(file);
    const latest = await channelStore.latest(channel.id);
    const restored = restoreMasked(channel, latest && channelStore.open(latest.definition));
    const saved = await service.save({ channel: restored, actor, origin: 'import', comment: file });
    if (!saved.ok) {
      bad++;
      for (const p of saved.problems) io.err(`${file}${p.path}: ${p.message}`);
      continue;
    }
    if (deploy) await service.setState({ channelId: channel.id, state: ChannelState.deployed, version: saved.version.version, actor });
    io.out(
      `${file}: channel ${channel.id} version ${saved.version.version}${saved.created ? '' : ' (unchanged)'}${deploy ? ', deployed' : ''}`,
    );
  }
  return bad > 0 ? 1 : 0;
}
