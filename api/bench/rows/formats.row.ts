import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../test/support/env';
import type { BenchLine, BenchRow } from '../support/bench-row';

const run = promisify(execFile);
const PYTHON = join(REPO_ROOT, 'inference', '.venv', 'bin', 'python');

interface FormatFigures {
  process_seconds: number;
  convert_seconds: number;
  bytes: number;
  bytes_vs_glb: number;
  peak_rss_mib: number;
}

interface ModelFigures {
  description?: string;
  glb_bytes: number;
  formats: Record<string, FormatFigures>;
}

interface FormatsReport {
  inflate: ModelFigures;
  synthetic: ModelFigures;
}

/**
 * Download formats (issue 23): seconds the formats tool takes per format, as the api runs it (one
 * `python -m kiln3d_inference.formats` process, interpreter and imports included), beside the
 * conversion alone, and each file's bytes against its GLB's; for an inflate model and a
 * TRELLIS.2-sized one (about 1M triangles, 4096 px textures; --quick: 100k, 1024 px).
 * inference/benchmarks/bench_formats.py measures; figures only.
 */
export const row: BenchRow = {
  name: 'formats',
  order: 75,
  async run(context) {
    const { stdout } = await run(
      PYTHON,
      ['benchmarks/bench_formats.py', ...(context.quick ? ['--quick'] : [])],
      {
        cwd: join(REPO_ROOT, 'inference'),
        maxBuffer: 1 << 20,
        timeout: 20 * 60 * 1000,
      },
    );
    const report = JSON.parse(stdout) as FormatsReport;
    const lines: BenchLine[] = [];
    for (const [label, model] of [
      ['inflate model', report.inflate],
      [modelLabel(report.synthetic), report.synthetic],
    ] as const) {
      for (const [format, figures] of Object.entries(model.formats)) {
        lines.push({
          row: `formats: ${label}`,
          figure: `${format}: seconds (one tool process)`,
          value: figures.process_seconds,
          unit: 's',
          baseline: { label: 'the conversion alone, same process', value: figures.convert_seconds },
          ratio: figures.process_seconds / figures.convert_seconds,
          note: `peak ${figures.peak_rss_mib} MiB`,
        });
        lines.push({
          row: `formats: ${label}`,
          figure: `${format}: bytes`,
          value: figures.bytes,
          unit: 'B',
          baseline: { label: 'the source GLB', value: model.glb_bytes },
          ratio: figures.bytes_vs_glb,
        });
      }
    }
    context.log(`formats: ${lines.length} lines`);
    return lines;
  },
};

function modelLabel(model: ModelFigures): string {
  return model.description ?? 'synthetic TRELLIS.2-sized model';
}
