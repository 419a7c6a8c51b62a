/**
 * The reliability suite's counts (issue 11): per category, how many cases were tried, how many
 * were answered as documented, how many crashed the api (it exited, stopped answering /api/health,
 * or answered a 5xx the contract does not list for that case), how many files were left behind
 * (in the model store or a temporary folder) and how many admitted tasks were lost (never ended,
 * or ended twice).
 */
export interface CaseOutcome {
  name: string;
  /** True when the answer matched the documented one (status, body, side effects). */
  documented: boolean;
  crashed: boolean;
  /** Why it is not documented, or a short note (a measured figure) when it is. */
  detail: string;
}

export interface CategoryReport {
  category: string;
  cases: CaseOutcome[];
  /** Paths (relative to the folder checked) left behind after the category. */
  strayFiles: string[];
  /** Task ids admitted (202) that never ended, or ended more than once. */
  lostTasks: string[];
  /** A reason the whole category, or part of it, did not run (printed; counted as nothing tried). */
  skipped: string[];
  /** Figures worth printing (memory before and after, timings). */
  notes: string[];
}

export function emptyReport(category: string): CategoryReport {
  return { category, cases: [], strayFiles: [], lostTasks: [], skipped: [], notes: [] };
}

/** A report is clean when every case was documented and nothing crashed, leaked or got lost. */
export function isClean(report: CategoryReport): boolean {
  return (
    report.cases.every((c) => c.documented && !c.crashed) &&
    report.strayFiles.length === 0 &&
    report.lostTasks.length === 0
  );
}

/** The table the runner prints: one row per category and a total row. */
export function formatTable(reports: CategoryReport[]): string {
  const header = ['category', 'tried', 'documented', 'crashed', 'files left', 'tasks lost'];
  const rows = reports.map((r) => [
    r.category,
    String(r.cases.length),
    String(r.cases.filter((c) => c.documented).length),
    String(r.cases.filter((c) => c.crashed).length),
    String(r.strayFiles.length),
    String(r.lostTasks.length),
  ]);
  const total = [
    'total',
    ...[1, 2, 3, 4, 5].map((i) => String(rows.reduce((sum, row) => sum + Number(row[i]), 0))),
  ];
  const all = [header, ...rows, total];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: string[]): string =>
    `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line), line(total)].join('\n');
}
