/**
 * Certificates made inside the tests with the openssl command line: a test CA, a server
 * certificate for 127.0.0.1/localhost, a client certificate it signed, and a client certificate
 * from another CA (one a mutual-TLS peer must refuse). Nothing is checked in; each call makes a
 * fresh set in a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface CertFiles {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
  /** Subject as Node prints it (`CN=…`). */
  subject: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex, as `X509Certificate.fingerprint256`. */
  fingerprint256: string;
}

export interface TestPki {
  dir: string;
  caFile: string;
  ca: string;
  server: CertFiles;
  client: CertFiles;
  /** Signed by another CA: a peer trusting only `ca` refuses it. */
  stranger: CertFiles;
  /** The other CA, for a client that should not trust `server`. */
  otherCaFile: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ],
    dir,
  );
  return { cert, key };
}

function issue(o: { dir: string; name: string; cn: string; ca: { cert: string; key: string }; ext: string }): CertFiles {
  const keyFile = path.join(o.dir, `${o.name}.key`);
  const csr = path.join(o.dir, `${o.name}.csr`);
  const certFile = path.join(o.dir, `${o.name}.crt`);
  const extFile = path.join(o.dir, `${o.name}.ext`);
  writeFileSync(extFile, o.ext);
  openssl(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${o.cn}`],
    o.dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      o.ca.cert,
      '-CAkey',
      o.ca.key,
      '-CAcreateserial',
      '-out',
      certFile,
      '-days',
      '2',
      '-extfile',
      extFile,
    ],
    o.dir,
  );
  const cert = readFileSync(certFile, 'utf8');
  const x509 = new X509Certificate(cert);
  return { certFile, keyFile, cert, key: readFileSync(keyFile, 'utf8'), subject: x509.subject, fingerprint256: x509.fingerprint256 };
}

/** Makes a fresh PKI (about 100 ms of openssl calls). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-pki-'));
  const ca = makeCa(dir, 'switchboard-test-ca');
  const other = makeCa(dir, 'other-ca');
  const server = issue({
    dir,
    name: 'server',
    cn: 'localhost',
    ca,
    ext: 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  });
  const client = issue({ dir, name: 'client', cn: 'switchboard-client', ca, ext: 'extendedKeyUsage=clientAuth\n' });
  const stranger = issue({ dir, name: 'stranger', cn: 'stranger', ca: other, ext: 'extendedKeyUsage=clientAuth\n' });
  return { dir, caFile: ca.cert, ca: readFileSync(ca.cert, 'utf8'), server, client, stranger, otherCaFile: other.cert };
}
