import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT, tempDir } from '../support/env';

/**
 * The api image (root Dockerfile) and its build context (.dockerignore), read statically: no image
 * can be built here. Docker's ignore rules (moby/patternmatcher): each line a pattern relative to
 * the context root (a leading `/` dropped), `*` any run of characters but `/`, `?` one of them, `**`
 * any number of folders; a pattern excludes what it matches and everything below; `!` re-includes;
 * the last matching line wins. Unlike .gitignore, a pattern that does not start with `**` matches at the root only.
 */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
      let source = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (pattern.startsWith('**/', i)) {
          source += '(?:.*/)?';
          i += 2;
        } else if (pattern.startsWith('**', i)) {
          source += '.*';
          i += 1;
        } else if (c === '*') source += '[^/]*';
        else if (c === '?') source += '[^/]';
        else source += c.replace(/[.+^$(){}|[\]\\]/g, '\\$&');
      }
      return { negated, regex: new RegExp(`^${source}$`) };
    });
  return (path: string): boolean => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (candidates.some((candidate) => rule.regex.test(candidate))) excluded = !rule.negated;
    }
    return excluded;
  };
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

const START = readFileSync(join(REPO_ROOT, 'scripts', 'start.mjs'), 'utf8');
const DOCKERFILE = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const excluded = dockerignore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));

/** The install and build steps `npm start` takes before it looks for Redis, in its order. */
const startSteps = (): string[] => {
  const main = START.slice(START.indexOf('async function main()'));
  const steps = [...main.matchAll(/^\s+(?:await )?(check\w+|ensure\w+)\(\);$/gm)].map((match) => match[1]);
  assert.ok(steps.length >= 4, `scripts/start.mjs main(): ${steps.join(', ')}`);
  return steps;
};

void describe('.dockerignore (the api image build context)', () => {
  void it('keeps secrets, served and written data, weights, dependencies, venvs, builds and .git out', () => {
    for (const path of [
      '.env',
      '.env.production',
      'api/.env',
      'static/3f0c2a4e.glb',
      'static/3f0c2a4e.source.glb',
      'logs/app.log',
      'models/TRELLIS.2-4B/pipeline.json',
      'models/dinov3-vitl16-pretrain-lvd1689m/config.json',
      'cache/trellis2/pipeline.json',
      'node_modules/express/package.json',
      'node_modules/.package-lock.json',
      'web/node_modules/x/index.js',
      'inference/.venv/bin/python',
      'inference/.venv/.kiln3d-installed',
      'tools/.venv/bin/python',
      '.run/moto-venv/bin/python',
      'dist/api/main.js',
      'dist/api/main.bundle.js',
      'dist/.stamps/api',
      'dist/web/browser/index.html',
      '.angular/cache/21.0.0/x',
      'inference/kiln3d_inference/__pycache__/server.cpython-311.pyc',
      'inference/kiln3d_inference.egg-info/PKG-INFO',
      '.ruff_cache/x',
      '.git/HEAD',
      '.git/config',
    ]) {
      assert.equal(excluded(path), true, `${path} would be in the image`);
    }
  });

  void it("keeps every input of the image's install and build steps in (tracked files)", () => {
    const listed = spawnSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    const inputs = listed.stdout
      .split('\n')
      .filter((path) =>
        /^(api\/src\/|api\/tsconfig|web\/|proto\/|scripts\/|inference\/pyproject\.toml|inference\/kiln3d_inference\/|package(-lock)?\.json$|angular\.json$|tsconfig\.base\.json$)/.test(
          path,
        ),
      );
    assert.ok(inputs.length > 100, String(inputs.length));
    for (const path of [...inputs, 'Dockerfile']) assert.equal(excluded(path), false, `${path} is left out`);
  });
});

void describe('Dockerfile (the api image): a container starts without installing or building', () => {
  const steps = instructions(DOCKERFILE);
  const index = (op: string, match: RegExp): number =>
    steps.findIndex((s) => s.op === op && match.test(s.args));
  const prepare = index('RUN', /scripts\/lib\/ensure\.mjs/);

  void it("runs `npm start`'s own install and build steps (scripts/lib/ensure.mjs), in its order, after copying the checkout", () => {
    assert.ok(prepare >= 0, 'no RUN of scripts/lib/ensure.mjs');
    const called = [...steps[prepare].args.matchAll(/\be\.(\w+)\(\)/g)].map((match) => match[1]);
    assert.deepEqual(called, startSteps());
    assert.ok(prepare > index('COPY', /^\. \.$/), 'the steps must see the whole checkout');
    assert.equal(steps.filter((s) => s.op === 'WORKDIR').at(-1)?.args, '/app');
    // Nothing after it changes the files those steps stamped.
    for (const later of steps.slice(prepare + 1))
      assert.ok(['EXPOSE', 'CMD', 'ENV', 'USER'].includes(later.op), later.op);
    assert.equal(steps.at(-1)?.op, 'CMD');
    assert.deepEqual(JSON.parse(steps.at(-1)?.args ?? '[]'), ['node', 'scripts/start.mjs']);
  });

  void it('its steps leave their stamps in the image: node_modules, dist and the venv come from no host', () => {
    for (const stamp of [
      'node_modules/.package-lock.json',
      'inference/.venv/.kiln3d-installed',
      'dist/.stamps/api',
      'dist/.stamps/web',
    ])
      assert.equal(excluded(stamp), true, stamp);
    // The stamps ensure.mjs checks are the ones named in the Dockerfile's comment, so a renamed one is noticed.
    const ensure = readFileSync(join(REPO_ROOT, 'scripts', 'lib', 'ensure.mjs'), 'utf8');
    assert.match(ensure, /join\(ROOT, 'node_modules', '\.package-lock\.json'\)/);
    assert.match(ensure, /join\(venv, '\.kiln3d-installed'\)/);
    assert.match(ensure, /join\(ROOT, 'dist', '\.stamps'\)/);
    for (const stamp of [
      'node_modules/.package-lock.json',
      'inference/.venv/.kiln3d-installed',
      'dist/.stamps/api',
    ])
      assert.ok(DOCKERFILE.includes(stamp), stamp);
  });

  void describe('the RUN line itself, run by node against a stand-in ensure.mjs', () => {
    const dir = tempDir('api-image');
    after(() => dir.remove());

    void it('calls every step once, awaiting each before the next', () => {
      mkdirSync(join(dir.path, 'scripts', 'lib'), { recursive: true });
      const names = startSteps();
      // Each stand-in resolves a little later, so an un-awaited call would be out of order.
      const standIn = names
        .map(
          (name, i) =>
            `export const ${name} = ${name.startsWith('check') ? '' : 'async '}() => { ${
              name.startsWith('check')
                ? ''
                : `await new Promise((r) => setTimeout(r, ${(names.length - i) * 5}));`
            } process.stdout.write('${name}\\n'); };`,
        )
        .join('\n');
      writeFileSync(join(dir.path, 'scripts', 'lib', 'ensure.mjs'), standIn);
      const result = spawnSync('sh', ['-c', steps[prepare].args], {
        cwd: dir.path,
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(result.stdout.trim().split('\n'), names);
    });
  });
});
