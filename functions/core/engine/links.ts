import { createHash, randomBytes } from "node:crypto";

/**
 * Tracked short links (`{link}` in a template): each send that carries one gets its own code, stored with
 * the target it leads to; `GET /l/{code}` reads the code and answers 302 to that target, and hands the click
 * on to be counted off the customer's path (on AWS a log line the clicks function is subscribed to). Nothing
 * here imports zod or the journeys: the link function's bundle is this, the handler and one table request.
 */

/** Characters of a code: base62, so a code needs no escaping in a URL or an SMS. */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A code's length: 62⁸ ≈ 2.2 × 10¹⁴ codes (47.6 bits), so guessing one live code takes ~10⁸ tries per million sent. */
export const LINK_CODE_LENGTH = 8;

/** What a code looks like; anything else is answered 404 without a read or a write. */
export const LINK_CODE = /^[0-9A-Za-z]{8}$/;

/** The path of a code on the HTTP API (and on `npm start`). */
export const LINK_PATH = "/l/{code}";

/** Hits on one code from one client closer together than this count once. */
export const CLICK_WINDOW_MS = 60_000;

/**
 * A new code from the operating system's CSPRNG, by rejection sampling (no modulo bias): one code tells
 * nothing of another, unlike a counter or a hash of the send.
 */
export function newLinkCode(random: (size: number) => Uint8Array = randomBytes): string {
  let code = "";
  while (code.length < LINK_CODE_LENGTH) {
    for (const byte of random(LINK_CODE_LENGTH * 2)) {
      // 248 = 4 × 62: bytes above it would favour the first characters.
      if (byte < 248 && code.length < LINK_CODE_LENGTH) code += ALPHABET[byte % 62];
    }
  }
  return code;
}

/** The URL a message carries for a code: the shop's short domain (or the API's URL), `/l/`, the code. */
export function linkUrl(baseUrl: string, code: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/l/${code}`;
}

/** The placeholders a target may carry, filled in per send (URL-encoded). */
export const TARGET_PLACEHOLDERS = ["orderId", "customerId"] as const;

/** A target with its placeholders filled in; a placeholder with no value is left empty. */
export function fillTarget(
  target: string,
  values: Partial<Record<(typeof TARGET_PLACEHOLDERS)[number], string>>,
): string {
  return target.replace(/\{(orderId|customerId)\}/g, (_, name: (typeof TARGET_PLACEHOLDERS)[number]) =>
    encodeURIComponent(values[name] ?? ""),
  );
}

/**
 * The bucket of a client (its address and user agent, hashed: no address is stored): two hex digits, 256
 * buckets a code remembers for {@link CLICK_WINDOW_MS}. Two clients in one bucket within a minute count
 * once, the price of a link item that stays small however far the link is forwarded.
 */
export function clientBucket(sourceIp: string, userAgent: string): string {
  return createHash("sha256").update(`${sourceIp}\n${userAgent}`).digest("hex").slice(0, 2);
}

/** One follow of a code, as the link function hands it on to be counted. */
export interface Click {
  readonly code: string;
  /** The client's bucket ({@link clientBucket}). */
  readonly client: string;
  /** When it was followed (ISO). */
  readonly at: string;
}

/** Hands a click on to be counted, without waiting for the count. */
export interface ClickRecorder {
  record(click: Click): void;
}

/** The `type` of a click's log line: the clicks function's subscription filter matches it. */
export const CLICK_LINE_TYPE = "shopcare.click";

/** A click as one JSON log line (what the link function writes and the clicks function reads). */
export function clickLine(click: Click): string {
  return JSON.stringify({ type: CLICK_LINE_TYPE, code: click.code, client: click.client, at: click.at });
}

/** The click a log line carries, or undefined for any other line. */
export function clickOfLine(line: string): Click | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const { type, code, client, at } = (parsed ?? {}) as Record<string, unknown>;
  if (type !== CLICK_LINE_TYPE || typeof code !== "string" || !LINK_CODE.test(code)) return undefined;
  if (typeof client !== "string" || !/^[0-9a-f]{2}$/.test(client)) return undefined;
  if (typeof at !== "string" || Number.isNaN(Date.parse(at))) return undefined;
  return { code, client, at: new Date(at).toISOString() };
}

/** One send's short link, as minted when the message goes out. */
export interface ShortLink {
  readonly code: string;
  /** Where it redirects: the journey's or campaign's `links.targets` entry, filled in. */
  readonly target: string;
  readonly journey: string;
  readonly step: string;
  readonly subjectId: string;
  readonly customerId?: string;
  readonly orderId?: string;
  readonly variant?: string;
  readonly createdAt: string;
  /** After this it answers 404 (`links.keepFor` after the send), and DynamoDB's TTL deletes it. */
  readonly expiresAt: string;
}

/** A link that was followed at least once. */
export interface ClickedLink extends ShortLink {
  /** Clicks counted (a client's repeated hits within a minute count once). */
  readonly clicks: number;
  readonly firstClickAt: string;
  readonly lastClickAt: string;
}

/** Where the short links live (`functions/adapters/dynamodb/links.ts`). */
export interface ShortLinks {
  /** Stores a new link: false if its code is taken (the caller draws another). */
  putLink(link: ShortLink): Promise<boolean>;
  /** A code's link, unless it is unknown or expired at `at`. Reads only. */
  getLink(code: string, at: Date): Promise<Pick<ShortLink, "target"> | undefined>;
  /**
   * Counts a click, unless its client's bucket was counted on that code within {@link CLICK_WINDOW_MS} or
   * the code is unknown or expired (then nothing is written). @returns whether it counted
   */
  countClick(click: Click): Promise<boolean>;
  /** Every link clicked at least once, by first click. */
  listClickedLinks(): Promise<ClickedLink[]>;
}

/**
 * Stores a new link for a send, drawing another code in the (≈ 10⁻⁹ per send) case its code is taken.
 * @throws when ten codes in a row were taken: the random source is broken
 */
export async function mintLink(
  store: Pick<ShortLinks, "putLink">,
  link: Omit<ShortLink, "code">,
  newCode: () => string = newLinkCode,
): Promise<ShortLink> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const minted = { code: newCode(), ...link };
    if (await store.putLink(minted)) return minted;
  }
  throw new Error("ten short-link codes in a row were taken: the code source is not random");
}
