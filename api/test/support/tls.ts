import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './env';

/** A self-signed certificate for 127.0.0.1 (and localhost), made by openssl for one test run. */
export interface TestCertificate {
  key: string;
  cert: string;
  /** The certificate's file: a process started with NODE_EXTRA_CA_CERTS=certPath trusts it. */
  certPath: string;
  remove(): void;
}

/**
 * Makes a throwaway key and self-signed certificate (RSA 2048, one day, SAN IP:127.0.0.1 and
 * DNS:localhost, and any `extraDnsNames`) with the openssl command line, so a test can serve real https that one process
 * (NODE_EXTRA_CA_CERTS) or one client (`ca`) trusts and nothing else does.
 */
export function selfSignedCertificate(extraDnsNames: readonly string[] = []): TestCertificate {
  const dir = tempDir('tls');
  const keyPath = join(dir.path, 'key.pem');
  const certPath = join(dir.path, 'cert.pem');
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      `subjectAltName=IP:127.0.0.1,DNS:localhost${extraDnsNames.map((name) => `,DNS:${name}`).join('')}`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (result.status !== 0) throw new Error(`openssl could not make a test certificate: ${result.stderr}`);
  return {
    key: readFileSync(keyPath, 'utf8'),
    cert: readFileSync(certPath, 'utf8'),
    certPath,
    remove: () => dir.remove(),
  };
}
