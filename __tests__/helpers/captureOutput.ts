/**
 * Everything a test's code writes, as the lines a log scanner sees: stdout and stderr (Powertools'
 * Logger writes there) and the console. Undone by `jest.restoreAllMocks()`.
 */

/**
 * @example
 * const lines = captureOutput();
 * await handler(event, context);
 * expect(lines.join('\n')).not.toContain(key);
 */
export function captureOutput(lines: string[] = []): string[] {
  const capture = (chunk: unknown): boolean => {
    lines.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  return lines;
}
