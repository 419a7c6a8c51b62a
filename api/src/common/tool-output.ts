/**
 * The last line of a tool process's output that parses as a JSON object, or undefined: how the
 * api reads the Python tools' one-line reports (formats, mesh intake) past any library warning.
 */
export function lastJsonLine(text: string): Record<string, unknown> | undefined {
  for (const line of text.trim().split('\n').reverse()) {
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object' && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // not JSON: a warning of a library
    }
  }
  return undefined;
}
