import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { absoluteUrl, requestBaseUrl } from './public-url';

void describe('public URLs', () => {
  void it('uses PUBLIC_BASE_URL when set, whatever the request says', () => {
    assert.equal(
      requestBaseUrl('https://api.example.com/', { protocol: 'http', host: '127.0.0.1:8000', headers: {} }),
      'https://api.example.com',
    );
  });

  void it('otherwise builds the base from the request protocol and host (port kept)', () => {
    assert.equal(
      requestBaseUrl(undefined, { protocol: 'https', host: 'kiln.example.org', headers: {} }),
      'https://kiln.example.org',
    );
    assert.equal(
      requestBaseUrl(undefined, { protocol: 'http', host: 'localhost:8000', headers: {} }),
      'http://localhost:8000',
    );
  });

  void it("behind Cloudflare (CF-Connecting-IP or CF-Ray), the Host header, never a visitor's X-Forwarded-Host", () => {
    // req.host is what Express made of a trusted X-Forwarded-Host; the Host header is what Cloudflare routed by.
    for (const cf of [{ 'cf-connecting-ip': '203.0.113.7' }, { 'cf-ray': '8a1b2c3d4e5f-AMS' }]) {
      assert.equal(
        requestBaseUrl(undefined, {
          protocol: 'https',
          host: 'evil.example',
          headers: { ...cf, host: '3d.example.com', 'x-forwarded-host': 'evil.example' },
        }),
        'https://3d.example.com',
      );
    }
  });

  void it('joins a base and a path with exactly one slash', () => {
    assert.equal(absoluteUrl('https://a.example/', '/static/x.glb'), 'https://a.example/static/x.glb');
    assert.equal(absoluteUrl('https://a.example', 'static/x.glb'), 'https://a.example/static/x.glb');
  });
});
