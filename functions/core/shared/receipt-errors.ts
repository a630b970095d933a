/**
 * A receipt for a send whose decision is not written yet (its step is still in flight, or died and waits
 * for GiveUp): the sender should push it again later (Aliyun retries a non-200, SNS retries Lambda).
 */
export class ReceiptTooEarlyError extends Error {
  constructor(reference: string) {
    super(`the send ${reference} is not decided yet: push the receipt again later`);
    this.name = "ReceiptTooEarlyError";
  }
}
