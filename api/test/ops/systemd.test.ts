import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/app-config';
import { REPO_ROOT } from '../support/env';

const UNITS_DIR = join(REPO_ROOT, 'deploy', 'systemd');
/** Where docs/gpu-host.md puts the checkout; the units' paths under it are the repository's. */
const INSTALL_DIR = '/opt/kiln3d';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const GUIDE = readFileSync(join(REPO_ROOT, 'docs', 'gpu-host.md'), 'utf8');

/** The remote sidecar's unit (docs/gpu-host.md, "A sidecar on another machine"): no npm script. */
const SIDECAR_UNIT = 'kiln3d-sidecar.service';
const ALL_UNITS = ['kiln3d.service', 'kiln3d-tunnel.service', SIDECAR_UNIT];

type Unit = Record<string, Record<string, string[]>>;

/**
 * The units as `systemd-analyze verify` should read them, copied into `dir`: verify refuses an
 * ExecStart whose file is missing, and the sidecar's venv Python is under /opt/kiln3d only on a GPU
 * box, so that unit's copy points into this checkout (its venv exists wherever the tests run). All
 * are copies: verify looks units up by name in the folders of the files it is given.
 */
function verifiableUnits(dir: string): string[] {
  return ALL_UNITS.map((name) => {
    const copy = join(dir, name);
    const text = readFileSync(join(UNITS_DIR, name), 'utf8');
    writeFileSync(copy, text.replace(`ExecStart=${INSTALL_DIR}/`, `ExecStart=${REPO_ROOT}/`));
    return copy;
  });
}

/** A unit file's sections and their settings (a setting may repeat), per systemd.syntax(7). */
function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section: Record<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      section = unit[header[1]] ??= {};
      continue;
    }
    const setting = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(setting && section, `not a unit file line: ${raw}`);
    (section[setting[1]] ??= []).push(setting[2]);
  }
  return unit;
}

const one = (unit: Unit, section: string, key: string): string => {
  const values = unit[section]?.[key] ?? [];
  assert.equal(values.length, 1, `${section}.${key}: ${JSON.stringify(values)}`);
  return values[0];
};

const packageScripts = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

void describe('deploy/systemd units', () => {
  const units: [string, string][] = [
    ['kiln3d.service', 'start'],
    ['kiln3d-tunnel.service', 'tunnel'],
  ];

  for (const [name, script] of units) {
    const unit = parseUnit(readFileSync(join(UNITS_DIR, name), 'utf8'));

    void it(`${name}: runs the npm script "${script}" from the checkout, and comes back after a reboot`, () => {
      const workdir = one(unit, 'Service', 'WorkingDirectory');
      assert.equal(workdir, INSTALL_DIR);
      const [executable, ...args] = one(unit, 'Service', 'ExecStart').split(/\s+/);
      assert.equal(executable, '/usr/bin/node');
      // The same command as `npm run <script>`, and the file it runs is in the repository.
      assert.equal(`node ${args.join(' ')}`, packageScripts[script]);
      assert.ok(existsSync(join(REPO_ROOT, args[0])), args[0]);
      assert.equal(one(unit, 'Install', 'WantedBy'), 'multi-user.target');
      assert.ok(['on-failure', 'always'].includes(one(unit, 'Service', 'Restart')));
      assert.match(one(unit, 'Service', 'EnvironmentFile'), /^-\/etc\/kiln3d\/[a-z0-9]+\.env$/);
      assert.equal(one(unit, 'Service', 'User'), 'kiln3d');
      assert.match(one(unit, 'Unit', 'After'), /network-online\.target/);
      const docs = one(unit, 'Unit', 'Documentation');
      assert.ok(docs.startsWith(`file:${INSTALL_DIR}/`));
      assert.ok(existsSync(join(REPO_ROOT, docs.slice(`file:${INSTALL_DIR}/`.length))), docs);
    });
  }

  for (const name of ALL_UNITS) {
    const unit = parseUnit(readFileSync(join(UNITS_DIR, name), 'utf8'));

    void it(`${name}: hardened (no new privileges, private /tmp, a read-only system, no capabilities), the GPU reachable`, () => {
      assert.equal(one(unit, 'Service', 'NoNewPrivileges'), 'yes');
      assert.equal(one(unit, 'Service', 'PrivateTmp'), 'yes');
      assert.equal(one(unit, 'Service', 'ProtectSystem'), 'strict');
      assert.equal(one(unit, 'Service', 'ProtectHome'), 'yes');
      assert.equal(one(unit, 'Service', 'CapabilityBoundingSet'), '');
      // PrivateDevices or a device allow-list would hide /dev/nvidia* from the sidecar.
      for (const key of ['PrivateDevices', 'DeviceAllow', 'DevicePolicy', 'ProtectClock'])
        assert.equal(unit.Service[key], undefined, key);
    });

    void it(`${name}: no start timeout that does nothing (Type=simple is started once the process runs)`, () => {
      assert.ok(['simple', 'exec'].includes(one(unit, 'Service', 'Type')));
      assert.equal(unit.Service.TimeoutStartSec, undefined);
      assert.equal(unit.Service.ExecStartPre, undefined);
    });

    void it(`${name}: its environment file (tokens) is made mode 600 by the guide before anything is written to it`, () => {
      const file = one(unit, 'Service', 'EnvironmentFile').replace(/^-/, '');
      assert.ok(
        GUIDE.includes(`sudo install -m 600 /dev/null ${file}`),
        `docs/gpu-host.md does not create ${file} mode 600`,
      );
    });
  }

  void it('kiln3d.service may write where npm start installs, builds and runs, and in the home of kiln3d, nowhere else', () => {
    const unit = parseUnit(readFileSync(join(UNITS_DIR, 'kiln3d.service'), 'utf8'));
    const writable = (unit.Service.ReadWritePaths ?? []).flatMap((value) => value.split(/\s+/));
    const home = /useradd .*--home-dir (\S+)/.exec(GUIDE)?.[1];
    assert.ok(home, 'docs/gpu-host.md: no useradd --home-dir');
    const paths = [
      'static',
      'logs',
      'cache',
      '.run',
      'inference/.venv',
      'node_modules',
      'dist',
      '.angular',
    ].map((path) => `${INSTALL_DIR}/${path}`);
    for (const path of [...paths, `${home}/.cache/huggingface`]) {
      assert.ok(
        writable.some((dir) => path === dir || path.startsWith(`${dir}/`)),
        `${path} is not in ReadWritePaths ${writable.join(' ')}`,
      );
    }
    assert.deepEqual(writable.sort(), [INSTALL_DIR, home].sort());
    const tunnel = parseUnit(readFileSync(join(UNITS_DIR, 'kiln3d-tunnel.service'), 'utf8'));
    assert.equal(tunnel.Service.ReadWritePaths, undefined);
  });

  void it('kiln3d.service: the api listens on loopback (HOST=127.0.0.1), where the tunnel reaches it; kiln3d.env may widen it', () => {
    const unit = parseUnit(readFileSync(join(UNITS_DIR, 'kiln3d.service'), 'utf8'));
    const environment = (unit.Service.Environment ?? []).flatMap((value) => value.split(/\s+/));
    assert.ok(environment.includes('HOST=127.0.0.1'), environment.join(' '));
    assert.equal(loadConfig({ HOST: '127.0.0.1' }).host, '127.0.0.1');
    // EnvironmentFile= wins over Environment= (systemd.exec), so an owner may set HOST there.
    assert.ok((unit.Service.EnvironmentFile ?? []).some((file) => file.endsWith('/etc/kiln3d/kiln3d.env')));
  });

  void it('kiln3d.service: SIGTERM reaches the api only, which stops within its 30 s before systemd kills', () => {
    const unit = parseUnit(readFileSync(join(UNITS_DIR, 'kiln3d.service'), 'utf8'));
    assert.equal(one(unit, 'Service', 'KillMode'), 'mixed');
    assert.ok(Number(one(unit, 'Service', 'TimeoutStopSec')) > 30);
    assert.match(one(unit, 'Unit', 'After'), /redis-server\.service/);
  });

  void it("kiln3d-sidecar.service: the venv's sidecar as kiln3d, restarted after every exit (75: recycle), its secret from a root-only file", () => {
    const unit = parseUnit(readFileSync(join(UNITS_DIR, SIDECAR_UNIT), 'utf8'));
    assert.equal(one(unit, 'Service', 'User'), 'kiln3d');
    assert.equal(one(unit, 'Service', 'WorkingDirectory'), INSTALL_DIR);
    const [executable, ...args] = one(unit, 'Service', 'ExecStart').split(/\s+/);
    assert.equal(executable, `${INSTALL_DIR}/inference/.venv/bin/python`);
    assert.deepEqual(args, ['-m', 'kiln3d_inference']);
    assert.ok(existsSync(join(REPO_ROOT, 'inference', 'kiln3d_inference', '__main__.py')));
    // Restart=on-failure would restart exit 75 too, but not a clean exit 0 after a recycle request.
    assert.equal(one(unit, 'Service', 'Restart'), 'always');
    assert.equal(one(unit, 'Install', 'WantedBy'), 'multi-user.target');
    assert.match(one(unit, 'Unit', 'After'), /network-online\.target/);
    // Required, not `-`: without the secret a sidecar on a private address refuses to start anyway.
    assert.equal(one(unit, 'Service', 'EnvironmentFile'), '/etc/kiln3d/sidecar.env');
    const writable = (unit.Service.ReadWritePaths ?? []).flatMap((value) => value.split(/\s+/));
    const home = /useradd .*--home-dir (\S+)/.exec(GUIDE)?.[1];
    assert.deepEqual(writable.sort(), [`${INSTALL_DIR}/cache`, home].sort());
    assert.ok(Number(one(unit, 'Service', 'TimeoutStopSec')) > 5, 'past KILN_SHUTDOWN_GRACE_S');
  });

  void it("docs/gpu-host.md puts the remote sidecar's secret in its root-only file, never on a command line, and makes the cache folder the unit writes", () => {
    const section = GUIDE.slice(GUIDE.indexOf('### A sidecar on another machine'), GUIDE.indexOf('\n## 9.'));
    const env =
      /sudo tee \/etc\/kiln3d\/sidecar\.env >\/dev\/null <<EOF\n([\s\S]*?)\nEOF/.exec(section)?.[1] ?? '';
    for (const name of ['KILN_LISTEN', 'KILN_INFERENCE_TOKEN', 'KILN_ENGINE'])
      assert.match(env, new RegExp(`^${name}=\\S+$`, 'm'), name);
    assert.ok(section.includes(`cp deploy/systemd/${SIDECAR_UNIT} /etc/systemd/system/`));
    assert.ok(section.includes('sudo -u kiln3d mkdir -p cache'));
    // Outside the file, the secret may only be generated or named, never handed to a process.
    const lines = section.split('\n').filter((line) => /KILN_INFERENCE_TOKEN=/.test(line));
    assert.deepEqual(lines, ['KILN_INFERENCE_TOKEN=$SECRET']);
  });

  void it('kiln3d-tunnel.service starts after the service', () => {
    const unit = parseUnit(readFileSync(join(UNITS_DIR, 'kiln3d-tunnel.service'), 'utf8'));
    assert.match(one(unit, 'Unit', 'After'), /\bkiln3d\.service\b/);
  });

  void it(
    'systemd-analyze verify accepts every unit',
    { skip: existsSync(SYSTEMD_ANALYZE) ? false : `${SYSTEMD_ANALYZE} is not installed` },
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'kiln3d-units-'));
      const result = spawnSync(SYSTEMD_ANALYZE, ['verify', ...verifiableUnits(dir)], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      rmSync(dir, { recursive: true, force: true });
      assert.equal(result.status, 0, result.stderr);
      // An unknown or misspelt key is only a warning ("Unknown key ..., ignoring"): none may be left.
      assert.doesNotMatch(result.stderr, /Unknown|ignoring/, result.stderr);
    },
  );

  void it(
    "systemd-analyze security --offline rates every unit's exposure below 6 (MEDIUM or better; 9.2 before hardening)",
    { skip: existsSync(SYSTEMD_ANALYZE) ? false : `${SYSTEMD_ANALYZE} is not installed` },
    (t) => {
      for (const name of ALL_UNITS) {
        const result = spawnSync(SYSTEMD_ANALYZE, ['security', '--offline=yes', join(UNITS_DIR, name)], {
          encoding: 'utf8',
          timeout: 30_000,
        });
        if (/unrecognized option|unknown option/i.test(result.stderr)) {
          t.skip('this systemd-analyze has no --offline (systemd 250+)');
          return;
        }
        const level = /Overall exposure level for \S+: ([\d.]+)/.exec(result.stdout)?.[1];
        assert.ok(level, result.stdout + result.stderr);
        assert.ok(Number(level) < 6, `${name}: ${level}`);
      }
    },
  );
});
