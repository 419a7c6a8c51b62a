import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { checkPortFree, describeListenFailure, findFreePortAfter } from './listen-failure';

/** The error a real listen on a taken port rejects with (not a hand-made object). */
async function addressInUse(): Promise<Error> {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const address = taken.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const second = createServer();
  try {
    return await new Promise<Error>((resolve) => {
      second.once('error', resolve);
      second.listen(port, '127.0.0.1');
    });
  } finally {
    taken.close();
  }
}

void describe('describeListenFailure', () => {
  void it('a port in use: says so and names the next port to try', async () => {
    const message = describeListenFailure(await addressInUse(), 8000, undefined);
    assert.equal(
      message,
      'cannot listen on port 8000: it is already in use (another Kiln3D, or another program). ' +
        'Stop that one, or choose another port: PORT=8001 npm start',
    );
  });

  void it('names the host when one is set, and never suggests a port past 65535', async () => {
    const message = describeListenFailure(await addressInUse(), 65535, '127.0.0.1');
    assert.match(message, /^cannot listen on 127\.0\.0\.1 port 65535: it is already in use/);
    assert.match(message, /PORT=8123 npm start$/);
  });

  void it('permission denied and an address not of this machine: what to change', () => {
    const denied = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), {
      code: 'EACCES',
    });
    assert.match(
      describeListenFailure(denied, 80, undefined),
      /permission denied .* Choose PORT=1024 or above$/,
    );
    const foreign = Object.assign(new Error('listen EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL' });
    assert.equal(
      describeListenFailure(foreign, 8000, '10.9.9.9'),
      'cannot listen on 10.9.9.9 port 8000: HOST=10.9.9.9 is not an address of this machine',
    );
  });

  void it('anything else is quoted as it is', () => {
    assert.equal(
      describeListenFailure(new Error('boom'), 8000, undefined),
      'cannot listen on port 8000: boom',
    );
    assert.equal(describeListenFailure('odd', 8000, undefined), 'cannot listen on port 8000: odd');
  });

  void it('checkPortFree: a free port is let go at once; a taken one rejects with EADDRINUSE', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await assert.rejects(checkPortFree(port, '127.0.0.1'), { code: 'EADDRINUSE' });
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
    await checkPortFree(port, '127.0.0.1');
    // Let go: the api can listen on it right after.
    const next = createServer();
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => next.close(() => resolve()));
  });

  void it('findFreePortAfter: the suggestion skips ports that are taken too', async () => {
    // Two taken ports in a row, found by holding a free one and the one after it.
    const held: ReturnType<typeof createServer>[] = [];
    let first = 0;
    for (let attempt = 0; attempt < 20 && held.length < 2; attempt++) {
      for (const server of held.splice(0)) server.close();
      const a = createServer();
      await new Promise<void>((resolve) => a.listen(0, '127.0.0.1', resolve));
      const address = a.address();
      first = typeof address === 'object' && address !== null ? address.port : 0;
      held.push(a);
      const b = createServer();
      const bound = await new Promise<boolean>((resolve) => {
        b.once('error', () => resolve(false));
        b.listen(first + 1, '127.0.0.1', () => resolve(true));
      });
      if (bound) held.push(b);
    }
    try {
      assert.equal(held.length, 2, 'two ports in a row held');
      const suggested = await findFreePortAfter(first, '127.0.0.1');
      assert.ok(suggested > first + 1, `suggested ${suggested}, taken ${first} and ${first + 1}`);
      await checkPortFree(suggested, '127.0.0.1');
    } finally {
      for (const server of held) server.close();
    }
  });
});
