// Reading CSV text into a Frame, keeping the file line of every row so that later
// errors (bad numbers, bad dates, duplicates) can point at the exact line.

import { parse } from "csv-parse/sync";
import { DataError } from "../tensor/errors.js";
import { fileSystem } from "../io/fs.js";
import type { Frame } from "./frame.js";

/** Options for {@link parseCsv} and {@link readCsv}. */
export interface CsvOptions {
  /** Name used in error messages; `readCsv` defaults it to the file's base name. */
  source?: string;
  /** Field delimiter; by default guessed from the header line among `,`, `;` and tab. */
  delimiter?: string;
}

function guessDelimiter(text: string): string {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  let best = ",";
  let bestCount = 0;
  for (const d of [",", ";", "\t"]) {
    const count = firstLine.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Parses CSV text with a header line into a {@link Frame}. Empty lines are skipped; cells
 * are kept as strings (numbers and dates are read later, by column, with line numbers).
 * @throws DataError on an empty input, an empty or duplicated header name, or a malformed
 * record (wrong number of fields, unclosed quote), naming the source and line.
 */
export function parseCsv(text: string, options: CsvOptions = {}): Frame {
  const source = options.source ?? "csv";
  const delimiter = options.delimiter ?? guessDelimiter(text.replace(/^\uFEFF/, ""));
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, delimiter, skip_empty_lines: true, info: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (err) {
    throw new DataError(`${source}: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new DataError(`${source}: the file is empty (no header line)`);

  const header = records[0].record.map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === "") throw new DataError(`${source}: header column ${i + 1} has no name`);
    const prev = seen.get(name);
    if (prev !== undefined) {
      throw new DataError(`${source}: header names column "${name}" twice (columns ${prev + 1} and ${i + 1})`);
    }
    seen.set(name, i);
  });

  const rows: Record<string, string>[] = [];
  const lines: number[] = [];
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r];
    // csv-parse reports the line where a record ends; quoted fields may span lines.
    let inner = 0;
    for (const cell of record) for (const ch of cell) if (ch === "\n") inner++;
    const row: Record<string, string> = Object.create(null);
    header.forEach((name, i) => (row[name] = record[i]));
    rows.push(row);
    lines.push(info.lines - inner);
  }
  return { source, columns: header, rows, lines };
}

/**
 * Reads a CSV file (UTF-8, optional BOM) into a {@link Frame}; see {@link parseCsv}.
 * @throws DataError when the file cannot be read or parsed.
 */
export function readCsv(path: string, options: CsvOptions = {}): Frame {
  const fs = fileSystem("readCsv");
  let text: string;
  try {
    text = fs.readText(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new DataError(`cannot read ${path}: ${why}`);
  }
  return parseCsv(text, { ...options, source: options.source ?? fs.basename(path) });
}
