// Reading CSV into rows, as a stream: bytes go to csv-parse's parser one chunk at a time and
// every record is handed on with its file line, so a caller can keep only the columns it needs
// (memory grows with what is kept, not with the file) and later errors (bad numbers, bad dates,
// duplicates) can point at the exact line. `parseCsv` / `readCsv` build a whole Frame on top.

import { Parser } from "csv-parse";
import { DataError } from "../tensor/errors.js";
import { fileSystem } from "../io/fs.js";
import type { Frame } from "./frame.js";

/** Options for {@link parseCsv}, {@link readCsv} and {@link streamCsv}. */
export interface CsvOptions {
  /** Name used in error messages; `readCsv` defaults it to the file's base name. */
  source?: string;
  /** Field delimiter; by default guessed from the header line among `,`, `;` and tab. */
  delimiter?: string;
}

/** Bytes read at a time from a file (1 MiB). */
export const CSV_CHUNK_BYTES = 1 << 20;

/**
 * Longest record accepted (1 MiB). A longer one is nearly always an unclosed quote that would
 * otherwise swallow the rest of the file into one field; refusing it keeps memory bounded.
 */
export const CSV_MAX_RECORD_BYTES = 1 << 20;

/** Receives the header once, then every data row with its file line (the header is line 1). */
export interface CsvSink {
  header(columns: readonly string[]): void;
  row(cells: readonly string[], line: number): void;
}

function guessDelimiter(firstLine: string): string {
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

function checkHeader(source: string, record: readonly string[]): string[] {
  const header = record.map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === "") throw new DataError(`${source}: header column ${i + 1} has no name`);
    const prev = seen.get(name);
    if (prev !== undefined) {
      throw new DataError(`${source}: header names column "${name}" twice (columns ${prev + 1} and ${i + 1})`);
    }
    seen.set(name, i);
  });
  return header;
}

/** The synchronous core of csv-parse's stream (`Parser#api`), which both of its builds carry. */
interface CsvApi {
  parse(chunk: Uint8Array | undefined, end: boolean, push: (record: string[]) => void, close: () => void): Error | undefined;
  info: { lines: number };
  state: { field: { buf: { constructor: unknown } } };
}

interface BufferClass {
  isBuffer(x: unknown): boolean;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
}

function openParser(delimiter: string): { api: CsvApi; wrap: (chunk: Uint8Array) => Uint8Array } {
  const parser = new Parser({ bom: true, delimiter, skip_empty_lines: true, max_record_size: CSV_MAX_RECORD_BYTES });
  const api = (parser as unknown as { api?: CsvApi }).api;
  if (!api || typeof api.parse !== "function") {
    throw new Error("csv-parse: this version's parser has no synchronous api.parse; pin csv-parse 7");
  }
  // The parser concatenates chunks with its own Buffer class (Node's, or the browser build's
  // copy), so chunks are wrapped in that class without copying.
  const B = api.state.field.buf.constructor as BufferClass;
  const wrap = (chunk: Uint8Array): Uint8Array =>
    B.isBuffer(chunk) ? chunk : B.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return { api, wrap };
}

const NEWLINE = 10;

/**
 * Parses CSV bytes, chunk by chunk, handing the header and every row to `sink` as soon as it is
 * complete: memory holds one chunk and one record, whatever the size of the input. Empty lines are
 * skipped; cells are strings. A chunk boundary may fall anywhere, even inside a UTF-8 character.
 * @throws DataError on an empty input, an empty or duplicated header name, or a malformed record
 * (wrong number of fields, unclosed quote, a record over {@link CSV_MAX_RECORD_BYTES}), naming the
 * source and line; errors thrown by `sink` pass through unchanged.
 */
export function streamCsv(chunks: Iterable<Uint8Array>, sink: CsvSink, options: CsvOptions = {}): void {
  const source = options.source ?? "csv";
  let parser: { api: CsvApi; wrap: (c: Uint8Array) => Uint8Array } | null = null;
  let pending: Uint8Array[] = []; // bytes held until the header line is complete (to guess the delimiter)
  let pendingBytes = 0;
  let header: string[] | null = null;
  let lastLine = 1;
  let sinkError: unknown = null;

  const push = (record: string[]): void => {
    if (sinkError !== null) return;
    try {
      if (header === null) {
        header = checkHeader(source, record);
        lastLine = Math.max(1, parser!.api.info.lines);
        sink.header(header);
        return;
      }
      // csv-parse counts the line where a record ends; quoted fields may span lines.
      let line = parser!.api.info.lines;
      for (const cell of record) {
        if (cell.includes("\n")) for (let i = cell.indexOf("\n"); i >= 0; i = cell.indexOf("\n", i + 1)) line--;
      }
      // A lone "\r" ends a record but is not counted as a line the way "\n" is: never report a
      // line at or before the previous record's (the fuzz tests found "b\r\uFEFF\n").
      line = Math.max(line, lastLine + 1);
      lastLine = line;
      sink.row(record, line);
    } catch (err) {
      sinkError = err;
    }
  };
  const feed = (chunk: Uint8Array | undefined, end: boolean): void => {
    const err = parser!.api.parse(chunk === undefined ? undefined : parser!.wrap(chunk), end, push, () => {});
    if (sinkError !== null) throw sinkError;
    if (err !== undefined) throw new DataError(`${source}: ${err.message}`);
  };
  const start = (): void => {
    const all = new Uint8Array(pendingBytes);
    let at = 0;
    for (const p of pending) {
      all.set(p, at);
      at += p.length;
    }
    pending = [];
    let delimiter = options.delimiter;
    if (delimiter === undefined) {
      let end = all.indexOf(NEWLINE);
      if (end < 0) end = all.length;
      delimiter = guessDelimiter(new TextDecoder().decode(all.subarray(0, end)).replace(/^\uFEFF/, ""));
    }
    parser = openParser(delimiter);
    if (all.length > 0) feed(all, false);
  };

  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (parser === null) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (chunk.indexOf(NEWLINE) >= 0 || pendingBytes >= CSV_MAX_RECORD_BYTES) start();
      continue;
    }
    feed(chunk, false);
  }
  if (parser === null) start();
  feed(undefined, true);
  if (header === null) throw new DataError(`${source}: the file is empty (no header line)`);
}

/** A string as UTF-8 chunks for {@link streamCsv}. */
export function textChunks(text: string): Uint8Array[] {
  return [new TextEncoder().encode(text)];
}

/**
 * A file's bytes for {@link streamCsv}: through the file system's `readChunks` when it has one
 * (the file is never held whole), else its text read at once.
 * @throws DataError (when iterated) if the file cannot be read, naming the path and why.
 */
export function fileChunks(path: string, chunkBytes = CSV_CHUNK_BYTES): Iterable<Uint8Array> {
  const fs = fileSystem("readCsv");
  const fail = (err: unknown): never => {
    const code = (err as { code?: unknown }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (err as Error).message;
    throw new DataError(`cannot read ${path}: ${why}`);
  };
  return {
    *[Symbol.iterator]() {
      let it: Iterator<Uint8Array>;
      if (fs.readChunks) {
        try {
          it = fs.readChunks(path, chunkBytes)[Symbol.iterator]();
        } catch (err) {
          return fail(err);
        }
      } else {
        let text: string;
        try {
          text = fs.readText(path);
        } catch (err) {
          return fail(err);
        }
        it = textChunks(text)[Symbol.iterator]();
      }
      try {
        for (;;) {
          let r: IteratorResult<Uint8Array>;
          try {
            r = it.next();
          } catch (err) {
            return fail(err);
          }
          if (r.done) return;
          yield r.value;
        }
      } finally {
        it.return?.();
      }
    },
  };
}

function frameFrom(chunks: Iterable<Uint8Array>, options: CsvOptions, source: string): Frame {
  let columns: readonly string[] = [];
  const rows: Record<string, string>[] = [];
  const lines: number[] = [];
  streamCsv(
    chunks,
    {
      header: (h) => (columns = h),
      row: (record, line) => {
        const row: Record<string, string> = Object.create(null);
        columns.forEach((name, i) => (row[name] = record[i]!));
        rows.push(row);
        lines.push(line);
      },
    },
    { ...options, source },
  );
  return { source, columns, rows, lines };
}

/**
 * Parses CSV text with a header line into a {@link Frame}. Empty lines are skipped; cells
 * are kept as strings (numbers and dates are read later, by column, with line numbers).
 * @throws DataError on an empty input, an empty or duplicated header name, or a malformed
 * record (wrong number of fields, unclosed quote), naming the source and line.
 */
export function parseCsv(text: string, options: CsvOptions = {}): Frame {
  return frameFrom(textChunks(text), options, options.source ?? "csv");
}

/**
 * Reads a CSV file (UTF-8, optional BOM) into a {@link Frame}; see {@link parseCsv}. The whole
 * table is kept as strings: for large files, {@link streamCsv} over {@link fileChunks} keeps only
 * what is needed (loadSeries does).
 * @throws DataError when the file cannot be read or parsed.
 */
export function readCsv(path: string, options: CsvOptions = {}): Frame {
  const fs = fileSystem("readCsv");
  return frameFrom(fileChunks(path), options, options.source ?? fs.basename(path));
}
