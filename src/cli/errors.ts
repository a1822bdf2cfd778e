// One error discipline for every command: what failed, where and why, in one paragraph on stderr,
// and an exit code a script can act on. 2: the input was bad (arguments, options, files, data,
// config); 1: an internal fault (a bug). No stack trace unless --debug.

import { DataError, ConfigError, ShapeError, ModelFormatError, NonFiniteError } from "../tensor/errors.js";

export const EXIT_OK = 0;
/** A fault of recurrent itself: a bug to report. */
export const EXIT_INTERNAL = 1;
/** Bad input: arguments, options, files, data, config. */
export const EXIT_INPUT = 2;

/** The library's typed errors: each names the bad input, so each is the user's to fix. */
const INPUT_ERRORS = [DataError, ConfigError, ShapeError, ModelFormatError, NonFiniteError];

/** Node's file-system error codes, with what they mean in words. */
const FS_REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  EROFS: "read-only file system",
  ENOTDIR: "a component of the path is not a directory",
  EISDIR: "it is a directory",
  EEXIST: "it already exists",
  ENOTEMPTY: "the directory is not empty",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  ENAMETOOLONG: "file name too long",
  ELOOP: "too many levels of symbolic links",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EBUSY: "the resource is busy",
  EXDEV: "cannot move across file systems",
  EIO: "input/output error",
  ETXTBSY: "the file is busy",
};

/** What the failed system call was doing, as a verb phrase. */
const FS_VERBS: Record<string, string> = {
  open: "open",
  read: "read",
  write: "write",
  mkdir: "create the directory",
  rmdir: "remove the directory",
  scandir: "list the directory",
  opendir: "list the directory",
  rename: "rename",
  unlink: "remove",
  rm: "remove",
  stat: "read",
  lstat: "read",
  access: "write to",
  fsync: "write",
  copyfile: "copy",
  symlink: "link",
  chmod: "change the mode of",
  utime: "touch",
};

interface ErrnoLike {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  dest?: unknown;
  message?: unknown;
}

/** A Node file-system error (it has an errno code we know, and usually the path). */
export function isFsError(e: unknown): e is Error & { code: string; syscall?: string; path?: string; dest?: string } {
  if (!(e instanceof Error)) return false;
  const code = (e as ErrnoLike).code;
  return typeof code === "string" && code in FS_REASONS;
}

/** "cannot create the directory /proc/nope: no such file or directory (ENOENT)". */
export function describeFsError(e: Error & { code: string; syscall?: string; path?: string; dest?: string }): string {
  const verb = (e.syscall && FS_VERBS[e.syscall]) ?? (e.syscall ? `${e.syscall}` : "use");
  // writeFileAtomic writes "<file>.tmp-<pid>-<n>" first: the file the user knows is <file>.
  const real = (p: string): string => p.replace(/\.tmp-\d+-\d+$/, "");
  const where = e.path ? ` ${real(e.path)}${e.dest ? ` to ${real(e.dest)}` : ""}` : "";
  return `cannot ${verb}${where}: ${FS_REASONS[e.code]} (${e.code})`;
}

export interface Failure {
  code: typeof EXIT_INPUT | typeof EXIT_INTERNAL;
  /** One paragraph, starting "error: " or "internal error: ", without a trailing newline. */
  message: string;
}

/** One paragraph: line breaks inside a library message become spaces. */
function paragraph(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

/** The exit code and the message a failure gets. */
export function describeFailure(e: unknown): Failure {
  if (INPUT_ERRORS.some((E) => e instanceof E)) return { code: EXIT_INPUT, message: `error: ${paragraph((e as Error).message)}` };
  if (isFsError(e)) return { code: EXIT_INPUT, message: `error: ${describeFsError(e)}` };
  const what = e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e);
  return {
    code: EXIT_INTERNAL,
    message: `internal error: ${paragraph(what).replace(/[.\s]+$/, "")}. This is a fault in recurrent, not in your input; rerun with --debug for the stack trace and report it.`,
  };
}

/** Writes the failure to stderr (with the stack under --debug) and returns its exit code. */
export function reportFailure(e: unknown, debug: boolean, stderr: { write(s: string): unknown } = process.stderr): number {
  const f = describeFailure(e);
  stderr.write(f.message + "\n");
  if (debug && e instanceof Error && e.stack) stderr.write(`\n${e.stack}\n`);
  return f.code;
}

/** Whether argv asks for --debug (read before parsing, so parse errors see it too). */
export function wantsDebug(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--debug");
}

/**
 * A broken pipe on stdout (`recurrent ... | head -1`) is the reader leaving, not a failure: stop
 * quietly. Any other stream error is reported like every other failure.
 */
export function exitQuietlyOnEpipe(stream: NodeJS.WriteStream, debug: boolean): void {
  stream.on("error", (err: Error & { code?: string }) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? EXIT_OK);
    process.exit(reportFailure(err, debug));
  });
}
