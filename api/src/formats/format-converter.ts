import { type FormatVariant, OWN_SIZE } from '../storage/model-formats';
import { lastJsonLine, runPythonTool } from '../common/tool-output';

/** What the formats tool reports of a file it made (its one JSON line on stdout). */
export interface ConvertedFile {
  /** Bytes of the file written. */
  bytes: number;
  /** Triangles of the model (equal to the GLB's). */
  triangles: number;
  /** Whether the model's surface is closed (vertices merged by position): what a slicer needs. */
  watertight: boolean;
  /** Wall time of the tool, reading and writing included. */
  seconds: number;
}

/** The tool could not make the file (a crash, the time limit, a source it cannot read). */
export class FormatConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatConversionError';
  }
}

/**
 * A model's source GLB -> one file of another format. Abstract so tests can swap it (Nest
 * injects the class as the token); the real one is PythonFormatConverter.
 */
export abstract class FormatConverter {
  /**
   * Writes `targetPath` (the caller publishes it afterwards) from the GLB at `sourcePath`.
   * Rejects with FormatConversionError; `targetPath` is then absent or to be removed by the caller.
   */
  abstract convert(sourcePath: string, targetPath: string, variant: FormatVariant): Promise<ConvertedFile>;
}

/** Exit status of the formats tool for a source it cannot read as a triangle mesh. */
const UNREADABLE_SOURCE = 3;

/**
 * Runs the formats tool of the sidecar's virtual environment (`python -m kiln3d_inference.formats`,
 * inference/README.md: Formats) once per file, as a process of its own: a crash, a runaway model or
 * the time limit never touches the api, and it holds one CPU core, never the GPU slot.
 * Arguments: `--format`, `--size-mm N` for a size in millimetres, `--units U` for a painted model's
 * own size and its usdz (inference/README.md). Contract: exit 0 and one JSON line {format, bytes,
 * triangles, watertight, size_mm, seconds} on stdout; exit 3 and {"error"} on stderr for a source that is no triangle mesh; anything else a failure.
 */
export class PythonFormatConverter extends FormatConverter {
  constructor(
    private readonly inferenceDir: string,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  async convert(sourcePath: string, targetPath: string, variant: FormatVariant): Promise<ConvertedFile> {
    const args: string[] = ['--format', variant.format];
    if (typeof variant.sizeMm === 'number') args.push('--size-mm', String(variant.sizeMm));
    // The tool takes a unit where it changes the file: an own size, and usdz's metersPerUnit.
    if (variant.units !== undefined && (variant.sizeMm === OWN_SIZE || variant.format === 'usdz')) {
      args.push('--units', variant.units);
    }
    args.push(sourcePath, targetPath);
    const result = await runPythonTool(this.inferenceDir, 'kiln3d_inference.formats', args, this.timeoutMs);
    if (result.timedOut) {
      throw new FormatConversionError(
        `the formats tool passed ${Math.round(this.timeoutMs / 1000)} s (FORMAT_TIMEOUT_S)`,
      );
    }
    if (result.exitCode === UNREADABLE_SOURCE) {
      const error = lastJsonLine(result.stderr)?.error;
      const reason = typeof error === 'string' ? error : result.stderr.slice(-300);
      throw new FormatConversionError(`the source GLB is no triangle mesh: ${reason}`);
    }
    const report = result.exitCode === 0 ? lastJsonLine(result.stdout) : undefined;
    if (
      report === undefined ||
      typeof report.bytes !== 'number' ||
      typeof report.triangles !== 'number' ||
      typeof report.watertight !== 'boolean' ||
      typeof report.seconds !== 'number'
    ) {
      const how = result.signal ? `signal ${result.signal}` : `exit ${String(result.exitCode)}`;
      throw new FormatConversionError(`the formats tool failed (${how}): ${lastWords(result.stderr)}`);
    }
    return {
      bytes: report.bytes,
      triangles: report.triangles,
      watertight: report.watertight,
      seconds: report.seconds,
    };
  }
}

/**
 * What a failed tool's stderr ends with, for one log line: its last non-empty line first (a
 * Python traceback's, the exception: "OSError: [Errno 28] No space left on device"), then up to
 * 500 characters of the lines before it, whole lines only (a cut line hid the reason).
 */
export function lastWords(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  const last = lines.pop();
  if (last === undefined) return '(no output)';
  const before: string[] = [];
  let length = 0;
  for (const line of lines.reverse()) {
    if (length + line.length > 500) break;
    before.unshift(line.trim());
    length += line.length;
  }
  return before.length === 0 ? last.trim() : `${last.trim()} (after: ${before.join(' | ')})`;
}
