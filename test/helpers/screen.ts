// What a terminal shows after some output: lines a program redraws in place (carriage return,
// erase-line, cursor moves) count once, as on a real screen, so a test can bound what a command
// leaves behind rather than how many bytes it wrote.

/** The screen's lines after `output`, trailing blank lines dropped. */
export function screenLines(output: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = (): string[] => (rows[row] ??= []);
  for (let i = 0; i < output.length; i++) {
    const ch = output[i]!;
    if (ch === "\n") {
      row++;
      col = 0; // the pty's onlcr turns \n into \r\n
      line();
    } else if (ch === "\r") {
      col = 0;
    } else if (ch === "\b") {
      col = Math.max(0, col - 1);
    } else if (ch === "\x1b" && output[i + 1] === "[") {
      const m = /^\x1b\[([?0-9;]*)([@-~])/.exec(output.slice(i, i + 32));
      if (!m) continue;
      i += m[0].length - 1;
      const n = Number.parseInt(m[1]!.replace("?", ""), 10);
      const cur = line();
      switch (m[2]) {
        case "K":
          if (n === 2) cur.length = 0;
          else if (n === 1) cur.fill(" ", 0, col + 1);
          else cur.length = Math.min(cur.length, col);
          break;
        case "G": col = (Number.isNaN(n) ? 1 : n) - 1; break;
        case "A": row = Math.max(0, row - (Number.isNaN(n) ? 1 : n)); break;
        case "B": row += Number.isNaN(n) ? 1 : n; line(); break;
        case "C": col += Number.isNaN(n) ? 1 : n; break;
        case "D": col = Math.max(0, col - (Number.isNaN(n) ? 1 : n)); break;
        case "J": if (Number.isNaN(n) || n === 0) { cur.length = Math.min(cur.length, col); rows.length = row + 1; } break;
      }
    } else if (ch >= " ") {
      const cur = line();
      while (cur.length < col) cur.push(" ");
      cur[col++] = ch;
    }
  }
  const text = Array.from(rows, (r) => (r ?? []).join("").trimEnd());
  while (text.length && text[text.length - 1] === "") text.pop();
  return text;
}
