import { buildIdOf, chunkUrlsToProbe, judgeChunkFailure } from './chunk-verdict';

const ORIGIN = 'https://kiln.example';
const INDEX = `${ORIGIN}/`;
const indexOf = (main: string): string =>
  `<html><head><link rel="modulepreload" href="chunk-A.js"></head><body><kiln-root></kiln-root>` +
  `<script src="${main}" type="module"></script></body></html>`;

/** A fetch that answers each URL (and method) from `answers`: a status, an HTML body, or 'offline'. */
function serverOf(answers: Record<string, number | string>) {
  return vi.fn((input: string, init?: RequestInit) => {
    const answer = answers[`${init?.method ?? 'GET'} ${input}`] ?? answers[input] ?? 404;
    if (answer === 'offline') return Promise.reject(new TypeError('Failed to fetch'));
    return Promise.resolve(
      typeof answer === 'number' ? new Response(null, { status: answer }) : new Response(answer),
    );
  }) as unknown as typeof fetch & ReturnType<typeof vi.fn>;
}

describe('chunkUrlsToProbe', () => {
  it("takes the file the message names and this origin's failed script loads, newest first", () => {
    const error = {
      rejection: new TypeError(`Failed to fetch dynamically imported module: ${ORIGIN}/chunk-M.js`),
    };
    const failed = [
      { name: `${ORIGIN}/chunk-OLD.js`, responseStatus: 0 },
      { name: `${ORIGIN}/chunk-OK.js`, responseStatus: 200 },
      { name: `${ORIGIN}/model.glb`, responseStatus: 404 },
      { name: 'https://elsewhere.example/chunk-X.js', responseStatus: 404 },
      { name: `${ORIGIN}/chunk-D.js`, responseStatus: 404 },
    ];
    expect(chunkUrlsToProbe(error, failed, ORIGIN)).toEqual([
      `${ORIGIN}/chunk-M.js`,
      `${ORIGIN}/chunk-D.js`,
      `${ORIGIN}/chunk-OLD.js`,
    ]);
    // Safari's resource timing has no responseStatus: nothing is learnt from it.
    expect(chunkUrlsToProbe(new Error('NG0750'), [{ name: `${ORIGIN}/c.js` } as never], ORIGIN)).toEqual([]);
  });
});

describe('buildIdOf', () => {
  it("names the build by index.html's module scripts", () => {
    expect(buildIdOf(indexOf('main-AB12.js'))).toBe('main-AB12.js');
    expect(buildIdOf(indexOf('main-AB12.js'))).not.toBe(buildIdOf(indexOf('main-CD34.js')));
    expect(buildIdOf('<html></html>')).toBe('');
  });
});

describe('judgeChunkFailure', () => {
  const chunk = `${ORIGIN}/chunk-M.js`;

  it('gone when the server answers 404 (or 410) for the chunk', async () => {
    const fetchFn = serverOf({ [`HEAD ${chunk}`]: 404, [INDEX]: indexOf('main-1.js') });
    expect(await judgeChunkFailure([chunk], 'main-1.js', INDEX, fetchFn)).toBe('gone');
    expect(fetchFn).toHaveBeenCalledWith(
      chunk,
      expect.objectContaining({ method: 'HEAD', cache: 'no-store' }),
    );
    expect(await judgeChunkFailure([chunk], 'main-1.js', INDEX, serverOf({ [chunk]: 410 }))).toBe('gone');
  });

  it('gone when index.html names another build, even with no file to ask about', async () => {
    const fetchFn = serverOf({ [INDEX]: indexOf('main-2.js') });
    expect(await judgeChunkFailure([], 'main-1.js', INDEX, fetchFn)).toBe('gone');
  });

  it('unreachable when the server does not answer or answers 5xx: never stale for a network error', async () => {
    expect(
      await judgeChunkFailure(
        [chunk],
        'main-1.js',
        INDEX,
        serverOf({ [chunk]: 'offline', [INDEX]: 'offline' }),
      ),
    ).toBe('unreachable');
    expect(
      await judgeChunkFailure([chunk], 'main-1.js', INDEX, serverOf({ [chunk]: 502, [INDEX]: 502 })),
    ).toBe('unreachable');
    expect(await judgeChunkFailure([], 'main-1.js', INDEX, serverOf({ [INDEX]: 'offline' }))).toBe(
      'unreachable',
    );
  });

  it('present when the chunk is there and index.html is the same build', async () => {
    const fetchFn = serverOf({ [chunk]: 200, [INDEX]: indexOf('main-1.js') });
    expect(await judgeChunkFailure([chunk], 'main-1.js', INDEX, fetchFn)).toBe('present');
  });
});
