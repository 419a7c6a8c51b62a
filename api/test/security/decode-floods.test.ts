import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { type RawReply, sendPicture } from '../support/raw-http';
import { postPicture, useSecurityApi } from './support';

/**
 * An 8192 x 8192 PNG (67 megapixels, the largest accepted) that compresses to little: a white
 * canvas with one red square, so it is not blank. Decoding it takes sharp a second or more.
 */
function bigPicture(): Promise<Buffer> {
  return sharp({ create: { width: 8192, height: 8192, channels: 3, background: 'white' } })
    .composite([
      {
        input: { create: { width: 2048, height: 2048, channels: 3, background: 'red' } },
        top: 3000,
        left: 3000,
      },
    ])
    .png({ compressionLevel: 9 })
    .toBuffer();
}

function upload(url: string, picture: Buffer, localAddress: string): Promise<RawReply> {
  return sendPicture(url, picture, { filename: 'big.png', localAddress });
}

/**
 * Decode floods (docs/design.md, HTTP contract): a burst of big pictures must not be decoded all
 * at once. DECODE_BUDGET_MP stays at its default (100: one 67-megapixel picture at a time) and
 * DECODE_WAIT_S=0.2 makes a waiting upload give up well within the first one's decode.
 */
void describe('security: decode floods (DECODE_WAIT_S=0.2, the default budget)', () => {
  const api = useSecurityApi('decodes', { DECODE_WAIT_S: '0.2' });
  let big: Buffer;
  before(async () => {
    big = await bigPicture();
  });

  void it('attack: four 8192² pictures at once -> decoded one at a time; the ones that waited too long get 503 decode_busy with Retry-After', async () => {
    const replies = await Promise.all(
      ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((address) => upload(api().url, big, address)),
    );
    const statuses = replies.map((reply) => reply.status).sort();
    assert.ok(statuses.includes(202), statuses.join(' '));
    assert.ok(statuses.includes(503), `no upload waited: ${statuses.join(' ')}`);
    for (const reply of replies.filter((r) => r.status === 503)) {
      assert.deepEqual(JSON.parse(reply.body), {
        success: false,
        error: 'Busy decoding other pictures, retry later',
        code: 'decode_busy',
      });
      assert.ok(Number(reply.headers['retry-after']) >= 1, String(reply.headers['retry-after']));
    }
    assert.deepEqual(
      statuses.filter((s) => s !== 202 && s !== 503),
      [],
      replies.map((r) => r.body).join('\n'),
    );
  });
});

/**
 * A full queue is known before any decoding (issue 19: "full decodes of 16-bit 8192² pictures
 * even when the queue is full"). MAX_QUEUE=0: one task fills it. The picture sent then has a whole
 * 8192² header and its pixels cut short: decoding it would answer 400, so a 503 proves the refusal
 * came first.
 */
void describe('security: uploads while the queue is full (MAX_QUEUE=0)', () => {
  const api = useSecurityApi('decode-full', { MAX_QUEUE: '0' });

  void it('attack: big pictures sent to a full queue -> 503 server_busy before the picture is decoded', async () => {
    const first = await postPicture(api().url, {}, '127.0.0.2');
    assert.equal(first.status, 202, first.body);
    const cut = (await bigPicture()).subarray(0, 4096);
    const refused = await upload(api().url, cut, '127.0.0.3');
    assert.equal(refused.status, 503, refused.body);
    assert.equal((JSON.parse(refused.body) as { code: string }).code, 'server_busy');
    assert.ok(refused.headers['retry-after']);
  });
});
