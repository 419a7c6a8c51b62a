/**
 * The CLI's HTTP client (cli/lib/api.mjs) without a server: where it fetches a URL the server
 * handed out (onServer), what it says when the server's "not now" outlasts --max-wait
 * (ApiClient.patiently), and which host it names when no answer came (ApiUnreachable).
 */
import assert from 'node:assert/strict';
import { type RequestListener, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { freePort } from '../support/ports';
import { REPO_ROOT } from '../support/env';

interface ApiError extends Error {
  status?: number;
  code?: string;
}

interface Client {
  patiently(request: () => Promise<Response>, pending?: boolean, subject?: string): Promise<Response>;
  task(taskId: string): Promise<unknown>;
  download(url: string, subject?: string): Promise<{ bytes: Buffer; fileName: string | undefined }>;
  follow(
    taskId: string,
    subject: string | undefined,
    onSnapshot: (s: { status: string }) => void,
  ): Promise<{ status: string }>;
}

interface Api {
  onServer(server: string, url: string): string;
  ApiClient: new (
    server: string,
    apiKey: string | undefined,
    waits: { maxWaitS: number; onWait?: (seconds: number, why: string, subject: string | undefined) => void },
  ) => Client;
  ApiBusy: new (...args: never[]) => ApiError;
  ApiRefusal: new (...args: never[]) => ApiError;
  ApiFailure: new (...args: never[]) => ApiError;
  ApiUnreachable: new (...args: never[]) => ApiError;
}

/** cli/lib/api.mjs, the CLI's own module (an ES module: imported at run time). */
async function cliApi(): Promise<Api> {
  return (await import(pathToFileURL(join(REPO_ROOT, 'cli', 'lib', 'api.mjs')).href)) as Api;
}

/** Runs `use` against a local HTTP server answering with `handler`, closed afterwards. */
async function withServer(handler: RequestListener, use: (port: number) => Promise<void>): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await use((server.address() as AddressInfo).port);
  } finally {
    server.close();
  }
}

/** A "not now" answer as the api gives it: the error body and Retry-After. */
function busy(status: number, code: string, error: string, retryAfterS: number): Response {
  return new Response(JSON.stringify({ success: false, error, code }), {
    status,
    headers: { 'Content-Type': 'application/json', 'Retry-After': String(retryAfterS) },
  });
}

void describe("the CLI's HTTP client (cli/lib/api.mjs)", () => {
  void it('fetches a URL the server handed out on --server, whatever host the URL names', async () => {
    const { onServer } = await cliApi();
    const offered = 'https://3d.example.com/api/tasks/7c1f/download?format=stl&size_mm=50';
    assert.equal(
      onServer('http://127.0.0.1:8124', offered),
      'http://127.0.0.1:8124/api/tasks/7c1f/download?format=stl&size_mm=50',
    );
    // Another party's host gets nothing: only the path and query are kept.
    assert.equal(
      onServer('http://192.168.1.20:8000', 'https://user:pw@elsewhere.example:8443/api/x?a=1#f'),
      'http://192.168.1.20:8000/api/x?a=1',
    );
    // A --server with a path of its own (a proxy serving Kiln3D under /kiln).
    assert.equal(
      onServer('https://proxy.lan/kiln', 'https://3d.example.com/api/tasks/7c1f/download?format=glb'),
      'https://proxy.lan/kiln/api/tasks/7c1f/download?format=glb',
    );
    assert.equal(
      onServer('https://proxy.lan/kiln', 'https://3d.example.com/kiln/api/tasks/7c1f/download?format=glb'),
      'https://proxy.lan/kiln/api/tasks/7c1f/download?format=glb',
    );
  });

  void it('a Retry-After over --max-wait is not waited: a refusal that says what the server does and asks', async () => {
    const { ApiClient, ApiBusy, ApiRefusal } = await cliApi();
    const waits: number[] = [];
    const client = new ApiClient('http://127.0.0.1:8124', undefined, {
      maxWaitS: 5,
      onWait: (seconds) => waits.push(seconds),
    });
    const paused = () =>
      Promise.resolve(busy(503, 'admissions_paused', 'Not taking new tasks right now, retry later', 60));
    const started = Date.now();
    const error = (await client.patiently(paused).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    )) as ApiError;
    assert.ok(Date.now() - started < 1000, 'not waited');
    assert.deepEqual(waits, []);
    assert.ok(error instanceof ApiBusy && error instanceof ApiRefusal, String(error));
    assert.deepEqual(
      [error.status, error.code, error.message],
      [
        503,
        'admissions_paused',
        'the server is not taking new tasks (it asks to retry in 60 s, over --max-wait 5 s)',
      ],
    );
  });

  void it('busy answers waited out until --max-wait would be passed: the message says how long it waited', async () => {
    const { ApiClient, ApiBusy, ApiFailure } = await cliApi();
    const client = new ApiClient('http://127.0.0.1:8124', undefined, { maxWaitS: 1.5 });
    let asked = 0;
    const full = () => {
      asked++;
      return Promise.resolve(busy(503, 'server_busy', 'Server busy, retry later', 1));
    };
    const error = (await client.patiently(full).catch((e: unknown) => e)) as ApiError;
    assert.equal(asked, 2, 'asked, waited 1 s, asked again');
    assert.ok(error instanceof ApiBusy, String(error));
    assert.equal(
      error.message,
      "the server's queue is full after waiting 1 s (it asks to retry in 1 s more, past --max-wait 1.5 s)",
    );
    // Each wait is told with what it is for (with --parallel several pictures may wait at once).
    const heard: unknown[][] = [];
    const told = new ApiClient('http://127.0.0.1:8124', undefined, {
      maxWaitS: 1.5,
      onWait: (...args: unknown[]) => heard.push(args),
    });
    await told.patiently(full, false, 'photo.jpg').catch(() => undefined);
    assert.deepEqual(heard, [[1, 'Server busy, retry later', 'photo.jpg']]);
    const other = () => Promise.resolve(busy(503, 'formats_busy', 'Busy making other files, retry later', 9));
    const formats = (await client.patiently(other).catch((e: unknown) => e)) as ApiError;
    assert.equal(
      formats.message,
      'the server is busy making other files (it asks to retry in 9 s, over --max-wait 1.5 s)',
    );
    // A busy answer of another kind: the server's words quoted, never run into the sentence.
    const decoding = () =>
      Promise.resolve(busy(503, 'decode_busy', 'Busy decoding other pictures, retry later', 9));
    const decode = (await client.patiently(decoding).catch((e: unknown) => e)) as ApiError;
    assert.equal(
      decode.message,
      'the server is busy: "Busy decoding other pictures, retry later" (it asks to retry in 9 s, over --max-wait 1.5 s)',
    );
    // A file still being made (202) is no refusal: the server failed to make it in time.
    const making = () =>
      Promise.resolve(new Response('{}', { status: 202, headers: { 'Retry-After': '5' } }));
    const slow = (await client.patiently(making, true).catch((e: unknown) => e)) as ApiError;
    assert.ok(slow instanceof ApiFailure, String(slow));
    assert.equal(slow instanceof ApiBusy, false, 'not a refusal');
    assert.equal(
      slow.message,
      'the file is still being made (it asks to retry in 5 s, over --max-wait 1.5 s)',
    );
  });

  void it('a file still being made is waited for, the wait named by the picture it is for', async () => {
    const { ApiClient } = await cliApi();
    let asked = 0;
    await withServer(
      (_request, response) => {
        asked++;
        if (asked === 1) {
          response.writeHead(202, { 'Content-Type': 'application/json', 'Retry-After': '1' });
          response.end('{"status":"building","format":"usdz","retry_after_s":1}');
          return;
        }
        response.writeHead(200, { 'Content-Disposition': 'attachment; filename="kiln3d-3f0c2a4e.usdz"' });
        response.end('model');
      },
      async (port) => {
        const heard: unknown[][] = [];
        const client = new ApiClient(`http://127.0.0.1:${port}`, undefined, {
          maxWaitS: 30,
          onWait: (...args: unknown[]) => heard.push(args),
        });
        const file = await client.download(
          'https://3d.example.com/api/models/m/download?format=usdz',
          'photo.jpg',
        );
        assert.equal(file.bytes.toString(), 'model');
        assert.equal(file.fileName, 'kiln3d-3f0c2a4e.usdz');
        assert.deepEqual(heard, [[1, 'being made', 'photo.jpg']]);
      },
    );
  });

  void it(
    "a proxy's 502 in front of a restarting server: the stream gives way to polling at once, and the 502s are waited out",
    { timeout: 60_000 },
    async () => {
      const { ApiClient } = await cliApi();
      let polls = 0;
      await withServer(
        (request, response) => {
          const gatewayDown = (): void => {
            response.writeHead(502, { 'Content-Type': 'text/html' });
            response.end('<html><body>502 Bad Gateway</body></html>');
          };
          if (request.url?.startsWith('/api/status/')) return gatewayDown();
          polls++;
          if (polls === 1) return gatewayDown();
          response.writeHead(200, { 'Content-Type': 'application/json' });
          response.end(
            JSON.stringify(polls === 2 ? { status: 'processing', progress: 50 } : { status: 'completed' }),
          );
        },
        async (port) => {
          const heard: unknown[][] = [];
          const client = new ApiClient(`http://127.0.0.1:${port}`, undefined, {
            maxWaitS: 30,
            onWait: (...args: unknown[]) => heard.push(args),
          });
          const seen: string[] = [];
          const final = await client.follow('t', 'photo.jpg', (snapshot) => seen.push(snapshot.status));
          assert.equal(final.status, 'completed');
          assert.deepEqual(seen, ['processing', 'completed']);
          assert.deepEqual(heard, [
            [5, 'the server is away (HTTP 502), the task is kept there', 'photo.jpg'],
          ]);
        },
      );
    },
  );

  void it('no answer at all: the error names the server it tried and the reason', async () => {
    const { ApiClient, ApiUnreachable } = await cliApi();
    const closed = `http://127.0.0.1:${await freePort()}`;
    const client = new ApiClient(closed, undefined, { maxWaitS: 1 });
    const error = (await client.task('x').catch((e: unknown) => e)) as ApiError;
    assert.ok(error instanceof ApiUnreachable, String(error));
    assert.equal(error.message, `cannot reach the server at ${closed} (ECONNREFUSED)`);
  });
});
