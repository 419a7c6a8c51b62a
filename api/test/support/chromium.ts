/**
 * The headless Chromium every browser test and benchmark drives: Debian's (`apt-get install
 * chromium`, which `npm test` installs where it may: scripts/lib/ensure.mjs ensureChromium), or the
 * binary KILN_CHROMIUM names.
 */
export const CHROMIUM = process.env.KILN_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Chromium's flags for them all: WebGL on SwiftShader (these machines have no GPU; Chromium asks
 * for `--enable-unsafe-swiftshader` before it falls back to it); the page itself rastered and
 * composited in software, as Chromium does where a GPU is blocklisted (else SwiftShader emulates
 * GL for every tile and layer too, on the CPU: the browser suite used about 15 % more CPU that
 * way, docs/performance.md, while a phone does that work on its GPU); no background requests of
 * its own (nothing outside can be reached, and they would count in network figures); and no
 * sandbox (the suites run as root in containers, where Chromium's sandbox cannot start).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-gpu-compositing',
  '--disable-gpu-rasterization',
  '--disable-background-networking',
  '--no-sandbox',
];
