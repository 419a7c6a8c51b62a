import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { absoluteUrl, requestBaseUrl } from './public-url';

void describe('public URLs', () => {
  void it('uses PUBLIC_BASE_URL when set, whatever the request says', () => {
    assert.equal(
      requestBaseUrl('https://api.example.com/', { protocol: 'http', host: '127.0.0.1:8000' }),
      'https://api.example.com',
    );
  });

  void it('otherwise builds the base from the request protocol and host (port kept)', () => {
    assert.equal(
      requestBaseUrl(undefined, { protocol: 'https', host: 'kiln.example.org' }),
      'https://kiln.example.org',
    );
    assert.equal(
      requestBaseUrl(undefined, { protocol: 'http', host: 'localhost:8000' }),
      'http://localhost:8000',
    );
  });

  void it('joins a base and a path with exactly one slash', () => {
    assert.equal(absoluteUrl('https://a.example/', '/static/x.glb'), 'https://a.example/static/x.glb');
    assert.equal(absoluteUrl('https://a.example', 'static/x.glb'), 'https://a.example/static/x.glb');
  });
});
