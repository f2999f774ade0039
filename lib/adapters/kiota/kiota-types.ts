/**
 * The parts of Kiota's `RequestInformation` (from `@microsoft/kiota-abstractions`) that
 * {@link KiotaOnBehalfOfAuthenticationProvider} uses. Declared structurally so that this package
 * loads nothing of Kiota at run time; Kiota's own class is assignable to it.
 */
export interface KiotaRequestInformation {
  /** The request's absolute URL. */
  readonly URL: string;
  /** The request's headers (Kiota's case-insensitive `Headers`). */
  readonly headers: KiotaRequestHeaders;
  /** The request options, by key. */
  getRequestOptions(): Record<string, KiotaRequestOption>;
}

/** The parts of Kiota's `Headers` that {@link KiotaOnBehalfOfAuthenticationProvider} uses. */
export interface KiotaRequestHeaders {
  /** Whether the header is present. */
  has(name: string): boolean;
  /** Removes the header; returns whether it was present. */
  delete(name: string): boolean;
  /** Adds values to the header; returns whether it was added. */
  add(name: string, ...values: string[]): boolean;
}

/** Kiota's `RequestOption`: anything stored on a request under a unique key. */
export interface KiotaRequestOption {
  /** The key the option is stored under. */
  getKey(): string;
}
