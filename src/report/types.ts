// What the forecaster hands to the report: everything the HTML page and the terminal views draw.
// Dates are ISO strings ("2020-01-05" or "2020-01-05T12:00:00Z"); errors are in the target's units.

/** Error measures of one method on the test period. Lower is better for all four. */
export interface MethodMetrics {
  mae: number;
  rmse: number;
  smape: number;
  /** MAE divided by the in-sample MAE of the seasonal naive forecast (m = season; m = 1 when train is shorter than two seasons) on the training data. */
  mase: number;
}

export interface ForecastReportData {
  /** Shown as the page title, e.g. "Seattle temp_mid, weekly". */
  title: string;
  target: string;
  model: string;
  freq: string;
  horizon: number;
  lookback: number;
  season: number;
  /** The whole observed series. */
  series: { date: string; value: number }[];
  /** Date of the last training point (the train/test split). */
  trainEnd: string;
  /** Start of the validation tail inside the training part, if one was held out. */
  validationStart?: string;
  lossHistory: { loss: number[]; val_loss?: number[] };
  /** One-step-ahead forecasts (first horizon step) on the test period, with the baselines'. */
  test: { date: string; actual: number; predicted: number; naive?: number; seasonalNaive?: number }[];
  /** The H-step forecast made from the last training point; `actual` is null past the data. */
  oneShot: { date: string; actual: number | null; predicted: number }[];
  /**
   * The forecast past the end of the data, with an interval when the forecaster made one
   * (lower/upper: the outer band, 95 %; lower80/upper80: an inner band).
   */
  future: { date: string; value: number; lower?: number; upper?: number; lower80?: number; upper80?: number }[];
  /**
   * Backtest MAE by horizon step, the model against the baselines; `best` is the statistical
   * baseline with the lowest MAE overall (ses, holt, damped, ets, theta or comb), when one ran.
   */
  backtestByStep: { step: number; model: number; naive: number; seasonalNaive: number; drift: number; best?: { method: string; mae: number } }[];
  /** Keys: model, naive, seasonalNaive, drift, then ses, holt, damped, ets, theta, comb (others are shown after them). */
  metrics: Record<string, MethodMetrics>;
  /** Measured coverage of the forecast's intervals over the backtest. */
  intervals?: { method: string; origins: number; coverage: { level: number; coverage: number | null; scored: number; skipped: number }[] };
  /** The text of model.summary(). */
  summary: string;
  imputed?: { count: number; method: string };
  notes?: string[];
}
