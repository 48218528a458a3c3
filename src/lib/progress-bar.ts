/**
 * The one progress bar of the command line (the gate build, notice campaigns): a fixed-width
 * bar for a fraction, and a line fitted to the terminal so a redraw in place never wraps.
 */
export function progressBar(
  fraction: number,
  width = 20,
  glyphs: { full: string; empty: string } = { full: '█', empty: '░' },
): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(f * width);
  return `[${glyphs.full.repeat(filled)}${glyphs.empty.repeat(width - filled)}]`;
}

/** `line` cut to fit `columns` (one column kept free so the cursor never wraps), with "…". */
export function fitToTerminal(line: string, columns: number): string {
  return line.length > columns - 1 ? `${line.slice(0, Math.max(1, columns - 2))}…` : line;
}
