import assert from 'node:assert/strict';
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Controller, Get, Module } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { NestFactory } from '@nestjs/core';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/app-config';
import { MetricsController } from '../../src/metrics/metrics.controller';
import { REPO_ROOT, tempDir } from '../support/env';

const CONFIG_PATH = join(REPO_ROOT, 'deploy', 'cloudflared', 'config.yml');
const TUNNEL_SCRIPT = join(REPO_ROOT, 'scripts', 'tunnel.mjs');

/** One ingress rule of cloudflared's configuration file (the keys this project uses). */
interface IngressRule {
  hostname?: string;
  path?: string;
  service: string;
}

interface TunnelConfig {
  tunnel: string;
  'credentials-file': string;
  originRequest: Record<string, unknown>;
  ingress: IngressRule[];
}

const readConfig = (): TunnelConfig => parse(readFileSync(CONFIG_PATH, 'utf8')) as TunnelConfig;

/**
 * The rule cloudflared picks: the first whose hostname (exact, or `*.` wildcard) and path
 * (a regular expression) both match; a rule without one matches any (cloudflared's ingress docs).
 */
function matchRule(rules: IngressRule[], hostname: string, path: string): IngressRule | undefined {
  return rules.find((rule) => {
    const hostOk =
      rule.hostname === undefined ||
      rule.hostname === hostname ||
      (rule.hostname.startsWith('*.') && hostname.endsWith(rule.hostname.slice(1)));
    return hostOk && (rule.path === undefined || goRegExp(rule.path).test(path));
  });
}

/**
 * A rule's path as JavaScript runs it: cloudflared compiles it with Go's regexp (RE2), whose
 * leading `(?i)` flag JavaScript spells as the `i` flag; the rest of this file's syntax is common.
 */
function goRegExp(source: string): RegExp {
  return source.startsWith('(?i)') ? new RegExp(source.slice(4), 'i') : new RegExp(source);
}

/**
 * The path cloudflared matches for a request target: Go's http server parses it with
 * url.ParseRequestURI (an absolute URL's path, the query cut at the first `?`, no fragment
 * handling) and URL.Path is percent-decoded (cloudflared proxy.go: FindMatchingRule(req.Host, req.URL.Path)).
 */
function cloudflaredPath(target: string): string {
  const path = target.replace(/^https?:\/\/[^/]*/, '').split('?')[0];
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The status line and body of one raw HTTP/1.1 GET of `target`, sent as given (no client normalisation). */
function rawGet(port: number, target: string): Promise<string> {
  return new Promise((resolveGet, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 3d.example.com\r\nConnection: close\r\n\r\n`),
    );
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolveGet(data));
    socket.on('error', reject);
  });
}

/** A stand-in for MetricsController on the same route (its @Controller path), routed by Nest on Express as in the api. */
@Controller(Reflect.getMetadata(PATH_METADATA, MetricsController) as string)
class MetricsRouteProbe {
  @Get()
  scrape(): string {
    return 'the-metrics-route';
  }
}

@Module({ controllers: [MetricsRouteProbe] })
class MetricsRouteModule {}

void describe('deploy/cloudflared/config.yml (parsed, checked against the api config)', () => {
  const config = readConfig();
  const rules = config.ingress;

  void it('names a tunnel and its credentials file', () => {
    assert.equal(typeof config.tunnel, 'string');
    assert.ok(config.tunnel.length > 0);
    assert.match(config['credentials-file'], /^\/.+\.json$/);
  });

  void it('ends with the catch-all http_status:404, and only the last rule matches every hostname', () => {
    assert.ok(rules.length >= 2);
    assert.deepEqual(rules.at(-1), { service: 'http_status:404' });
    for (const rule of rules.slice(0, -1))
      assert.ok(rule.hostname, `rule without hostname before the catch-all: ${JSON.stringify(rule)}`);
  });

  void it("sends the public hostname to the api's port on this machine", () => {
    const api = loadConfig({});
    const origins = rules.filter((rule) => /^https?:\/\//.test(rule.service));
    assert.equal(origins.length, 1);
    const origin = new URL(origins[0].service);
    assert.equal(origin.protocol, 'http:');
    assert.ok(['localhost', '127.0.0.1', '[::1]'].includes(origin.hostname), origin.hostname);
    assert.equal(Number(origin.port), api.port);
    const host = origins[0].hostname ?? '';
    for (const path of [
      '/',
      '/api/generate',
      '/api/status/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90',
      '/static/x.glb',
      '/m/abc',
    ]) {
      assert.equal(matchRule(rules, host, path)?.service, origins[0].service, path);
    }
    assert.equal(matchRule(rules, 'other.example.net', '/')?.service, 'http_status:404');
  });

  void it('keeps /metrics off the Internet (404 at cloudflared), in every spelling', () => {
    const host = rules.find((rule) => /^https?:/.test(rule.service))?.hostname ?? '';
    for (const path of ['/metrics', '/metrics/', '/METRICS', '/Metrics/', '/metrics#x'])
      assert.equal(matchRule(rules, host, path)?.service, 'http_status:404', path);
    for (const path of ['/metricsx', '/api/metrics', '/static/metrics.glb'])
      assert.notEqual(matchRule(rules, host, path)?.service, 'http_status:404', path);
  });

  void it("every request target the api's router sends to the metrics route is caught by that rule", async () => {
    const host = rules.find((rule) => /^https?:/.test(rule.service))?.hostname ?? '';
    const app = await NestFactory.create(MetricsRouteModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
      const names = ['metrics', 'METRICS', 'Metrics', 'mEtRiCs'];
      const tails = ['', '/', '//', '?a=1', '/?a', '#', '/#a?b', '\\#', '\\', '%2F', '/.', ';x', '.', '%20'];
      let routed = 0;
      for (const name of names) {
        for (const target of [...tails.map((tail) => `/${name}${tail}`), `//${name}`, `http://x/${name}`]) {
          const response = await rawGet(port, target);
          if (!response.includes('the-metrics-route')) continue;
          routed++;
          assert.equal(matchRule(rules, host, cloudflaredPath(target))?.service, 'http_status:404', target);
        }
      }
      // Case-insensitive, a trailing slash, a query, a fragment: the router does route several.
      assert.ok(routed >= names.length * 6, String(routed));
    } finally {
      await app.close();
    }
  });

  void it('keeps the origin settings that let Server-Sent Events through', () => {
    assert.equal(config.originRequest.disableChunkedEncoding, false);
    assert.equal(config.originRequest.http2Origin, false);
    // cloudflared closes an idle connection before Node's http.Server does (keepAliveTimeout 5 s).
    assert.equal(config.originRequest.keepAliveTimeout, '4s');
  });
});

void describe('npm run tunnel (scripts/tunnel.mjs)', () => {
  const dir = tempDir('tunnel');
  after(() => dir.remove());
  const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };

  const run = (path: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [TUNNEL_SCRIPT], {
      cwd: REPO_ROOT,
      env: { PATH: path, HOME: dir.path, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  /** A fake cloudflared (tests only): records its arguments, one a line, and TUNNEL_TOKEN, then exits 7. */
  const fakeBin = join(dir.path, 'bin');
  const argsFile = join(dir.path, 'args.txt');
  const tokenFile = join(dir.path, 'token.txt');
  mkdirSync(fakeBin, { recursive: true });
  writeFileSync(
    join(fakeBin, 'cloudflared'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nprintf '%s' "\${TUNNEL_TOKEN-unset}" > '${tokenFile}'\nexit 7\n`,
  );
  chmodSync(join(fakeBin, 'cloudflared'), 0o755);
  const lines = (file: string): string[] => readFileSync(file, 'utf8').trimEnd().split('\n');

  void it('is the package script', () => {
    assert.equal(packageJson.scripts.tunnel, 'node scripts/tunnel.mjs');
  });

  void it('without cloudflared on PATH: says how to install it and exits 1', () => {
    const result = run(join(dir.path, 'empty-bin'));
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /cloudflared is not installed \(no cloudflared on PATH\)/);
    assert.match(result.stderr, /sudo dpkg -i cloudflared\.deb/);
    assert.match(
      result.stderr,
      /https:\/\/developers\.cloudflare\.com\/cloudflare-one\/connections\/connect-networks\/downloads\//,
    );
    assert.match(result.stderr, /docs\/gpu-host\.md/);
  });

  void it('runs the named tunnel of deploy/cloudflared/config.yml, and exits with its code', () => {
    const result = run(`${fakeBin}:/usr/bin:/bin`);
    assert.equal(result.status, 7, result.stderr);
    assert.deepEqual(lines(argsFile), ['tunnel', '--no-autoupdate', '--config', CONFIG_PATH, 'run']);
    assert.equal(readFileSync(tokenFile, 'utf8'), 'unset');
    // The committed file still routes the example hostname: the operator is told to replace it.
    assert.match(result.stderr, /still routes the example hostname 3d\.example\.com/);
  });

  void it('runs another configuration named by KILN_TUNNEL_CONFIG', () => {
    const own = join(dir.path, 'own.yml');
    writeFileSync(
      own,
      'tunnel: mine\ningress:\n  - hostname: 3d.mine.test\n    service: http://localhost:8000\n  - service: http_status:404\n',
    );
    const result = run(`${fakeBin}:/usr/bin:/bin`, { KILN_TUNNEL_CONFIG: own });
    assert.equal(result.status, 7, result.stderr);
    assert.deepEqual(lines(argsFile), ['tunnel', '--no-autoupdate', '--config', own, 'run']);
    assert.doesNotMatch(result.stderr, /example hostname/);
  });

  void it("with TUNNEL_TOKEN: runs the token's tunnel, the token in the environment, never in the arguments", () => {
    const token = 'eyJhIjoidGVzdCJ9';
    const result = run(`${fakeBin}:/usr/bin:/bin`, { TUNNEL_TOKEN: token });
    assert.equal(result.status, 7, result.stderr);
    assert.deepEqual(lines(argsFile), ['tunnel', '--no-autoupdate', 'run']);
    assert.equal(readFileSync(tokenFile, 'utf8'), token);
  });

  void it('with a missing KILN_TUNNEL_CONFIG: names it and exits 1 without running cloudflared', () => {
    rmSync(argsFile, { force: true });
    const result = run(`${fakeBin}:/usr/bin:/bin`, { KILN_TUNNEL_CONFIG: join(dir.path, 'nope.yml') });
    assert.equal(result.status, 1);
    assert.equal(existsSync(argsFile), false);
    assert.match(result.stderr, /no tunnel configuration at .*nope\.yml/);
  });
});
