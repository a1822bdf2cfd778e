// Errors are part of the API: each kind has its own class so callers can tell them apart.

/** A tensor or array had the wrong rank or shape. Names the place, the expected and the received shape. */
export class ShapeError extends Error {
  override name = "ShapeError";
}

/** Input data held NaN or Infinity, or training produced a non-finite loss. */
export class NonFiniteError extends Error {
  override name = "NonFiniteError";
}

/** A configuration value was out of range or of the wrong kind. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A saved model could not be read: wrong version, truncated or corrupted weights. */
export class ModelFormatError extends Error {
  override name = "ModelFormatError";
}

/** Data (CSV, dates, columns) could not be used as asked. */
export class DataError extends Error {
  override name = "DataError";
}

export function fmtShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? "null" : String(d))).join(", ")}]`;
}
