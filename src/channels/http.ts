/**
 * The one way channel code talks HTTP: axios with a bounded timeout and no status-based exceptions
 * (marketplaces signal failure in the body, often under HTTP 200, so callers decide from the envelope).
 */
import axios, { type AxiosInstance } from 'axios';

export function createChannelHttp(baseURL: string, timeoutMs: number): AxiosInstance {
  return axios.create({
    baseURL,
    timeout: timeoutMs,
    validateStatus: () => true,
    // Redirects are never followed: a platform answering with one is a misconfiguration to report.
    maxRedirects: 0,
    // Some endpoints answer non-JSON on gateway errors; parse leniently and let the envelope check decide.
    transitional: { silentJSONParsing: true, forcedJSONParsing: true, clarifyTimeoutError: true },
    headers: { 'user-agent': 'kriya-sync' },
  });
}

/** Network-level failure (timeout, refused, reset): worth retrying later. */
export function isNetworkError(err: unknown): boolean {
  return axios.isAxiosError(err) && err.response === undefined;
}
