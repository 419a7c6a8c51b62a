/**
 * Decode bursts, measured (issue 19): the api's peak resident memory (VmHWM of its process, from
 * /proc) while N big pictures are uploaded at once, with the decode budget off (DECODE_BUDGET_MP
 * so large that every picture decodes at once: the "before") and at its default (100 megapixels:
 * one 8192² picture at a time); and the same burst sent to a full queue (MAX_QUEUE=0 with its one
 * slot taken), which the intake now refuses before decoding. Each case runs in a fresh api process
 * (no sidecar: the uploads are admitted and wait), so each high-water mark is that case's own.
 *
 *   npx tsc -p api && KILN_TEST_REDIS_URL=redis://127.0.0.1:6379/<db> node dist/api-test/bench/decode-burst.bench.js
 *
 * BENCH_UPLOADS (default 6), BENCH_BIT_DEPTH (8 or 16, default 16: the issue's "16-bit 8192²").
 * Uses the tests' Redis database (its kiln:* keys are cleared). Prints; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { startApi } from '../test/support/api-process';
import { clearKilnKeys, tempDir } from '../test/support/env';
import { sample } from '../test/support/http-client';
import { imageForm, sendRaw } from '../test/support/raw-http';

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 6);
const BIT_DEPTH = Number(process.env.BENCH_BIT_DEPTH ?? 16);

/** An 8192² PNG that compresses to little (a gradient with a square), at BIT_DEPTH bits per sample. */
async function bigPicture(): Promise<Buffer> {
  const base = sharp({ create: { width: 8192, height: 8192, channels: 3, background: 'white' } }).composite([
    {
      input: { create: { width: 3000, height: 3000, channels: 3, background: 'red' } },
      top: 2000,
      left: 2000,
    },
  ]);
  const flat = await base.png().toBuffer();
  return BIT_DEPTH === 16
    ? sharp(flat).toColourspace('rgb16').png({ compressionLevel: 9 }).toBuffer()
    : sharp(flat).png({ compressionLevel: 9 }).toBuffer();
}

/** Peak and current resident memory of a process, MiB (/proc/<pid>/status VmHWM and VmRSS). */
function memoryMiB(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { peak: kib('VmHWM') / 1024, now: kib('VmRSS') / 1024 };
}

interface BurstResult {
  label: string;
  idleMiB: number;
  peakMiB: number;
  statuses: string;
  seconds: number;
}

async function burst(
  label: string,
  env: Record<string, string>,
  picture: Buffer,
  fillFirst: boolean,
): Promise<BurstResult> {
  await clearKilnKeys();
  const dir = tempDir('bench-decode');
  const api = await startApi({
    staticDir: join(dir.path, 'static'),
    logDir: join(dir.path, 'logs'),
    env: { INFERENCE_URL: 'unix:///nonexistent/kiln3d-bench.sock', MAX_QUEUE: '50', ...env },
    waitReady: false,
  });
  try {
    const pid = api.child.pid as number;
    if (fillFirst) {
      const small = await imageForm(sample('typical_misc_lantern.png'), 'a.png');
      await sendRaw(`${api.url}/api/generate`, {
        method: 'POST',
        headers: { 'Content-Type': small.contentType },
        body: small.body,
      });
    }
    const idleMiB = memoryMiB(pid).now;
    const form = await imageForm(picture, 'big.png');
    const started = Date.now();
    const replies = await Promise.all(
      Array.from({ length: UPLOADS }, (_, i) =>
        sendRaw(`${api.url}/api/generate`, {
          method: 'POST',
          headers: { 'Content-Type': form.contentType },
          body: form.body,
          localAddress: `127.0.0.${10 + i}`,
        }),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    const counts = new Map<number, number>();
    for (const reply of replies) counts.set(reply.status, (counts.get(reply.status) ?? 0) + 1);
    const statuses = [...counts].map(([status, n]) => `${n}×${status}`).join(' ');
    return { label, idleMiB, peakMiB: memoryMiB(pid).peak, statuses, seconds };
  } finally {
    await api.kill();
    await clearKilnKeys();
    dir.remove();
  }
}

async function main(): Promise<void> {
  const picture = await bigPicture();
  const cases: [string, Record<string, string>, boolean][] = [
    [
      'budget off (every picture at once: before)',
      { DECODE_BUDGET_MP: '100000', DECODE_WAIT_S: '600' },
      false,
    ],
    ['DECODE_BUDGET_MP=100 (the default: after)', { DECODE_WAIT_S: '600' }, false],
    ['full queue (MAX_QUEUE=0, its slot taken): refused before decoding', { MAX_QUEUE: '0' }, true],
  ];
  console.log(
    `decode burst: ${UPLOADS} uploads at once of one 8192x8192 ${BIT_DEPTH}-bit PNG (${(picture.length / 1e6).toFixed(2)} MB)`,
  );
  console.log('| case | api RSS before the burst (MiB) | api peak RSS (MiB) | answers | burst s |');
  console.log('|---|---|---|---|---|');
  for (const [label, env, fillFirst] of cases) {
    const r = await burst(label, env, picture, fillFirst);
    console.log(
      `| ${r.label} | ${r.idleMiB.toFixed(0)} | ${r.peakMiB.toFixed(0)} | ${r.statuses} | ${r.seconds.toFixed(1)} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
