import { loadSecurityConfig } from '../config/security-config.ts';
import { toSwitchboardError } from '../errors.ts';
import { Keyring, SearchHasher } from '../security/encryption.ts';
import { Store } from '../store/store.ts';
import { RecordSealer } from '../store/record-sealer.ts';

type Io = { out: (s: string) => void; err: (s: string) => void };

/**
 * `switchboard keys reseal`: after a new key is put first in ENCRYPTION_KEYS (the old ones kept
 * after it), re-seals every stored message under the new key and prints how many.
 * Then the old key can be removed. Exit 0 done, 1 failure, 2 usage or encryption not configured.
 */
export async function runKeysCommand(args: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args[0] !== 'reseal' || !env.MONGODB_URL) {
    io.err('usage: switchboard keys reseal   (with MONGODB_URL, MONGODB_DB and ENCRYPTION_KEYS or ENCRYPTION_KEY_FILE set)');
    return 2;
  }
  let store: Store | undefined;
  try {
    const security = loadSecurityConfig(env);
    const keyring = Keyring.fromConfig(security);
    if (!keyring) {
      io.err('encryption is not configured (ENCRYPTION_KEYS or ENCRYPTION_KEY_FILE)');
      return 2;
    }
    const hasher = security.SEARCH_HASH_KEY ? new SearchHasher(Buffer.from(security.SEARCH_HASH_KEY, 'base64')) : undefined;
    store = new Store({
      url: env.MONGODB_URL,
      dbName: env.MONGODB_DB || 'switchboard',
      sealer: new RecordSealer({ keyring, ...(hasher ? { hasher } : {}) }),
    });
    await store.start();
    const total = await store.maintenance.resealAll();
    io.out(`re-sealed ${total} messages under key ${keyring.activeKeyId}`);
    return 0;
  } catch (err) {
    const e = toSwitchboardError(err);
    io.err(`keys reseal failed: ${e.code}: ${e.code === 'CONFIG_INVALID' ? e.message : e.publicText}`);
    return 1;
  } finally {
    await store?.close();
  }
}
