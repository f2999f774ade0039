/**
 * Thrown by the emulator's own API (registration, sign-in, injection) when it is called wrongly.
 * Never carries a token or a secret.
 */
export class EmulatorError extends Error {
  /** Always `EmulatorError`. */
  override readonly name: string = "EmulatorError";

  /**
   * @param message - what is wrong and how to fix it
   */
  public constructor(message: string) {
    super(`graph-obo-auth emulator: ${message}`);
  }
}
