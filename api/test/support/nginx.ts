import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports';
import { sleep } from './env';

/** Debian's nginx binary (scripts/lib/ensure.mjs installs it); KILN_NGINX overrides. */
export const NGINX_BIN = process.env.KILN_NGINX ?? '/usr/sbin/nginx';

export interface NginxProcess {
  url: string;
  /** nginx's error log so far (for assertion messages). */
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * The nginx.conf of the test: a plain reverse proxy to the api, as an operator would write it,
 * with proxy buffering left at nginx's default (on): the api's X-Accel-Buffering: no must turn
 * it off for the event stream. gzip is on for text, JavaScript and JSON (min length 1; nginx
 * leaves an answer the api already compressed as it is) but text/event-stream
 * is not listed: nginx's gzip ignores Cache-Control: no-transform, so an operator who lists the
 * event stream there gets it compressed whatever the api sends (api/README.md says so).
 */
export function nginxConf(prefix: string, port: number, upstreamPort: number): string {
  const temp = (name: string): string => join(prefix, 'temp', name);
  return `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
error_log ${join(prefix, 'error.log')} info;
pid ${join(prefix, 'nginx.pid')};
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  gzip on;
  gzip_min_length 1;
  gzip_proxied any;
  gzip_types text/plain text/css application/json application/javascript text/javascript;
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 20m;
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`;
}

/**
 * Starts nginx in the foreground (`-g 'daemon off;'`) as a child process, with its config and
 * prefix in dir, on a free port, proxying to 127.0.0.1:upstreamPort. Resolves once it answers.
 * Throws when NGINX_BIN is missing or nginx exits before answering.
 */
export async function startNginx(dir: string, upstreamPort: number): Promise<NginxProcess> {
  if (!existsSync(NGINX_BIN)) throw new Error(`${NGINX_BIN} missing: apt-get install -y nginx`);
  for (const name of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(dir, 'temp', name), { recursive: true });
  }
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, port, upstreamPort));
  const child: ChildProcess = spawn(NGINX_BIN, ['-c', conf, '-p', dir, '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const nginx: NginxProcess = {
    url,
    errorLog: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) {
      await nginx.stop();
      throw new Error(`nginx did not answer: ${output}`);
    }
    try {
      await fetch(`${url}/api/health`);
      return nginx;
    } catch {
      await sleep(100);
    }
  }
}
