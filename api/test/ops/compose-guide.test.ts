import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/env';

/**
 * docs/gpu-host.md's compose path (step 8) and models/README.md's container recipe, read as an
 * owner types them: the commands of their ```sh blocks in order, checked against what
 * docker-compose.yml and inference/Dockerfile make of them. No daemon: compose.test.ts checks the
 * file itself.
 */
const GUIDE = readFileSync(join(REPO_ROOT, 'docs', 'gpu-host.md'), 'utf8');
const MODELS_README = readFileSync(join(REPO_ROOT, 'models', 'README.md'), 'utf8');
const INFERENCE_DOCKERFILE = readFileSync(join(REPO_ROOT, 'inference', 'Dockerfile'), 'utf8');
/** The service user of docs/gpu-host.md step 3, who owns the checkout. */
const SERVICE_USER = 'kiln3d';

/** The text from the `## ` heading that starts with `from` up to the next `## ` heading (a shell
 * comment in a code block is `# `, never `## `). */
function section(markdown: string, from: string): string {
  const start = markdown.indexOf(`\n${from}`);
  assert.ok(start >= 0, `no heading ${from}`);
  const rest = markdown.slice(start + 1);
  const next = rest.indexOf('\n## ', 1);
  return next < 0 ? rest : rest.slice(0, next + 1);
}

/**
 * The commands of the ```sh blocks in `markdown`, in order: continuation lines joined, comments and
 * here-document bodies left out (a here-document's lines come back as `heredoc`).
 */
function commands(markdown: string): { command: string; heredoc: string[] }[] {
  const found: { command: string; heredoc: string[] }[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block[1].split('\n');
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i];
      while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i].trim()}`;
      line = line.replace(/\s+#.*$/, '').trim();
      if (line === '' || line.startsWith('#')) continue;
      const heredoc: string[] = [];
      const marker = /<<'?(\w+)'?/.exec(line)?.[1];
      if (marker) while (i + 1 < lines.length && lines[++i] !== marker) heredoc.push(lines[i]);
      found.push({ command: line, heredoc });
    }
  }
  return found;
}

/** The USER the image's last stage runs as (root when none). */
function imageUser(dockerfile: string): string {
  return [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1] ?? 'root';
}

void describe("docs/gpu-host.md's compose path and models/README.md's container, as typed", () => {
  const step8 = commands(section(GUIDE, '## 8.').split('\n### A sidecar on another machine')[0]);

  void it('.env exists before the first docker compose command that reads it (build and run read it too)', () => {
    const created = step8.findIndex(({ command }) => /install -m 600 \/dev\/null \.env$/.test(command));
    assert.ok(created >= 0, 'step 8 does not create .env mode 600');
    const first = step8.findIndex(
      ({ command }) => /\bdocker compose\b/.test(command) && !/\bdocker compose version\b/.test(command),
    );
    assert.ok(first >= 0);
    assert.ok(created < first, `"${step8[first].command}" runs before .env is made`);
  });

  void it(`.env is written as ${SERVICE_USER}, who owns the checkout, and holds plain VAR=value lines`, () => {
    const writes = step8.filter(({ command }) => /\b(install|tee)\b.*\s\.env\b|>>?\s*\.env\b/.test(command));
    assert.ok(writes.length >= 2, JSON.stringify(writes));
    for (const { command } of writes) {
      assert.match(command, new RegExp(`^sudo -u ${SERVICE_USER}\\b`), command);
      assert.doesNotMatch(command, />>?\s*\.env/, `${command}: the redirection runs as the caller`);
    }
    const lines = writes.flatMap(({ heredoc }) => heredoc);
    assert.ok(lines.some((line) => line.startsWith('INFERENCE_TOKEN=')));
    assert.ok(lines.some((line) => line.startsWith('PUBLIC_BASE_URL=')));
    // No trailing comments: Compose v1's env_file parser would keep them in the value.
    for (const line of lines) assert.match(line, /^[A-Z][A-Z0-9_]*=(\$\([^)]*\)|[^\s#])+$/, line);
  });

  void it('the hf downloads through the sidecar image run as root when the image runs as another user', () => {
    assert.notEqual(imageUser(INFERENCE_DOCKERFILE), 'root', 'inference/Dockerfile has a USER');
    const downloads = [...step8, ...commands(MODELS_README)].filter(({ command }) =>
      /\bdocker (compose )?run\b.*--entrypoint hf\b/.test(command),
    );
    assert.equal(downloads.length, 2, JSON.stringify(downloads));
    for (const { command } of downloads) {
      assert.match(command, /--user root\b/, command);
      // Hugging Face's cache stays in the container, not in the sidecar's cache volume as root's.
      assert.match(command, /-e HF_HOME=\/tmp\//, command);
      assert.match(command, /-v "\$PWD\/models:\/download"/, command);
    }
  });
});
