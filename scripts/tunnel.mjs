// `npm run tunnel`: runs Kiln3D's named Cloudflare Tunnel with the cloudflared found on PATH.
//   TUNNEL_TOKEN set      -> `cloudflared tunnel --no-autoupdate run` (a remotely-managed tunnel; cloudflared
//                            reads the token from the environment, so it never shows in `ps`)
//   otherwise             -> `cloudflared tunnel --no-autoupdate --config <config> run`, the config being
//                            KILN_TUNNEL_CONFIG or deploy/cloudflared/config.yml (a locally-managed tunnel)
// Without cloudflared it says how to install it and exits 1. docs/gpu-host.md has the whole setup.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DEFAULT_CONFIG = join(ROOT, 'deploy', 'cloudflared', 'config.yml');
/** The example hostname of deploy/cloudflared/config.yml, which an operator replaces with theirs. */
const EXAMPLE_HOSTNAME = '3d.example.com';

const INSTALL_HELP = `cloudflared is not installed (no cloudflared on PATH).
Install it, then run \`npm run tunnel\` again:
  Ubuntu/Debian (amd64):
    curl -fsSL -o cloudflared.deb https://github.com/cloudflare/cloudflared/releases/latest/download/cloudflared-linux-amd64.deb
    sudo dpkg -i cloudflared.deb
  Other systems: https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/
The whole setup (tunnel, DNS route, systemd unit): docs/gpu-host.md`;

const say = (msg) => console.error(`[kiln3d] ${msg}`);

/** The first executable file named `name` in the PATH's folders, or null. */
function onPath(name, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there, or not executable: keep looking.
    }
  }
  return null;
}

/** cloudflared's arguments for this environment: the token's tunnel, else the config file's. */
function tunnelArgs(env) {
  if (env.TUNNEL_TOKEN?.trim()) return { args: ['tunnel', '--no-autoupdate', 'run'] };
  const config = resolve(env.KILN_TUNNEL_CONFIG?.trim() || DEFAULT_CONFIG);
  if (!existsSync(config))
    return { error: `no tunnel configuration at ${config} (set KILN_TUNNEL_CONFIG or TUNNEL_TOKEN)` };
  if (readFileSync(config, 'utf8').includes(EXAMPLE_HOSTNAME)) {
    say(
      `${config} still routes the example hostname ${EXAMPLE_HOSTNAME}: put yours there (docs/gpu-host.md)`,
    );
  }
  return { args: ['tunnel', '--no-autoupdate', '--config', config, 'run'] };
}

function main() {
  const cloudflared = onPath('cloudflared');
  if (cloudflared === null) {
    say(INSTALL_HELP);
    process.exit(1);
  }
  const { args, error } = tunnelArgs(process.env);
  if (error) {
    say(error);
    process.exit(1);
  }
  const child = spawn(cloudflared, args, { stdio: 'inherit', env: process.env });
  const forward = (signal) => {
    if (child.exitCode === null) child.kill(signal);
  };
  process.on('SIGINT', () => forward('SIGINT'));
  process.on('SIGTERM', () => forward('SIGTERM'));
  child.on('error', (err) => {
    say(`cannot run ${cloudflared}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1);
  });
}

main();
