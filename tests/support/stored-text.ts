import { Binary, MongoClient, type Document } from 'mongodb';
import type { Keyring } from '../../engine/security/encryption.ts';
import { withoutGeneratedIds } from './generated-text.ts';
import { sharedMongoUrl } from './services.ts';

/**
 * What a test database holds in clear, for the checks that no patient value is stored unsealed
 * (tests/e2e/phi-at-rest.test.ts): every document of every collection, its strings (generated ids
 * blanked), field names and binary values, and where each is.
 */

export interface StoredDoc {
  collection: string;
  doc: Document;
}

/** Every document of every collection of `dbName`, as the driver reads it (binary fields as they are stored). */
export async function storedDocs(dbName: string): Promise<StoredDoc[]> {
  const client = new MongoClient(sharedMongoUrl(), { serverApi: { version: '1' } });
  await client.connect();
  try {
    const db = client.db(dbName);
    const out: StoredDoc[] = [];
    for (const c of await db.listCollections().toArray())
      for (const doc of await db.collection(c.name).find().toArray()) out.push({ collection: c.name, doc });
    return out;
  } finally {
    await client.close();
  }
}

/** One value a document holds in clear (latin1), with where it is: `<collection>.<path>`. */
interface ClearText {
  at: string;
  text: string;
}

/**
 * What a document holds in clear, one latin1 string per value: field names, strings (generated ids blanked) and binary
 * values byte for byte. Sealed values, binary or `sealed:<base64>` text, are left out once they open under `keyring`:
 * GCM authenticates, so what opens is ciphertext under the test's key, not clear text. Their random bytes would
 * otherwise match a three-letter name by chance now and then (CI once found 'DOE' so). What does not open is scanned.
 */
function clearTexts(value: unknown, keyring: Keyring | undefined, at: string, out: ClearText[] = []): ClearText[] {
  const opens = (bytes: Uint8Array) => {
    try {
      return keyring?.open(bytes) !== undefined;
    } catch {
      return false;
    }
  };
  const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  if (typeof value === 'string') {
    if (!(value.startsWith('sealed:') && opens(Buffer.from(value.slice('sealed:'.length), 'base64'))))
      out.push({ at, text: latin1(withoutGeneratedIds(value)) });
  } else if (value instanceof Binary) {
    if (!opens(value.buffer)) out.push({ at, text: Buffer.from(value.buffer).toString('latin1') });
  } else if (Array.isArray(value)) {
    for (const v of value) clearTexts(v, keyring, `${at}[]`, out);
  } else if (value !== null && typeof value === 'object' && value.constructor === Object) {
    for (const [k, v] of Object.entries(value)) {
      out.push({ at: `${at}{key}`, text: latin1(withoutGeneratedIds(k)) });
      clearTexts(v, keyring, `${at}.${k}`, out);
    }
  }
  return out;
}

/** Each value of `values` some document holds in clear, with where: `DOE at messages.raw`. */
export const found = (docs: StoredDoc[], values: string[], keyring?: Keyring) => {
  const texts = docs.flatMap(({ collection, doc }) => clearTexts(doc, keyring, collection));
  return values.flatMap((v) => {
    const at = [...new Set(texts.filter((d) => d.text.includes(Buffer.from(v, 'utf8').toString('latin1'))).map((d) => d.at))];
    return at.length ? [`${v} at ${at.join(', ')}`] : [];
  });
};
