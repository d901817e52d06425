// Word wrapping for the simulator's displays (the 40-column terminal box and
// the 240x160 PNG): break at spaces; a word wider than the line on its own
// is broken between characters. `fits` says whether a piece of text fits.
export function wrapWords(text: string, fits: (s: string) => boolean): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/ +/).filter((w) => w !== "")) {
    const tryLine = line === "" ? word : line + " " + word;
    if (fits(tryLine)) {
      line = tryLine;
      continue;
    }
    if (line !== "") lines.push(line);
    line = "";
    // The word alone: as much as fits per line, at least one character (no endless loop).
    let rest = word;
    while (!fits(rest)) {
      let n = 1;
      while (n < rest.length && fits(rest.slice(0, n + 1))) n++;
      lines.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    line = rest;
  }
  if (line !== "" || lines.length === 0) lines.push(line);
  return lines;
}
