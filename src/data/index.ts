// Public surface of the data module: CSV → frame → time series → regular, imputed,
// scaled, windowed and split data for forecasting. Knows nothing of models.

export * from "./csv.js";
export * from "./dates.js";
export * from "./frame.js";
export * from "./resample.js";
export * from "./impute.js";
export * from "./scalers.js";
export * from "./windows.js";
export * from "./split.js";
export * from "./columns.js";
