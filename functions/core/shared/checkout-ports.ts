import type { CheckoutDetails } from "../intake/events.js";
import type { CheckoutRecord } from "./model.js";

/** The ports of checkouts the buyers started (the abandoned-checkout journey's facts). */
export interface CheckoutFacts {
  /**
   * Keeps a checkout's latest update (by `at`: an older update arriving late changes nothing but the first
   * time seen), and its customer's contact details.
   * @returns the checkout as stored now
   */
  recordCheckout(checkout: CheckoutDetails, at: string): Promise<CheckoutRecord>;
  /** Notes the order that completed a checkout (the earliest such order wins). */
  markCheckoutOrdered(token: string, orderId: string, at: string): Promise<CheckoutRecord>;
  getCheckout(token: string): Promise<CheckoutRecord | undefined>;
}
