import { ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import { type SmsMessage, type SmsProvider, SmsSendError } from "../../functions/core/config/messaging.js";
import { applyInbound } from "../../functions/core/intake/replies.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import type { LocalShop } from "../../functions/local/emulator/runtime.js";
import type { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import type { FaultRates } from "./fault-run.js";

/** The parts of a fault-injection run that fail on purpose: the dice, the table and the SMS provider. */

/** A text's place in [0, 1): FNV-1a, then a murmur finaliser for the low bits. */
function unitHash(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 4294967296;
}

/** The texts a step's writes carry, to crash that step (and no other) at its next write. */
export function stepMarker(ledgerKey: string): string {
  const parts = ledgerKey.split(":");
  const journey = parts[0] as string;
  const subject = parts.slice(1, -1).join(":");
  return `JOURNEY#${journey}#${subject}"|"subjectId":"${subject}"`;
}

/**
 * The run's dice. Each decision is keyed by what it is about (and how often it was asked), not by the
 * order in which concurrent work asks: the same seed injects the same faults whatever the interleaving.
 */
export class FaultInjector {
  /** How many of each fault were injected. */
  readonly faults: Record<string, number> = {};
  private readonly attempts = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly seed: number,
    private readonly rates: FaultRates,
  ) {}

  /** Whether to inject `kind` into what `key` names, this time. */
  readonly chance = (kind: keyof FaultRates, key: string): boolean => {
    const id = `${kind}|${key}`;
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    const hit = unitHash(`${this.seed}|${id}|${attempt}`) < this.rates[kind];
    if (hit) this.faults[kind] = (this.faults[kind] ?? 0) + 1;
    return hit;
  };

  /** The next number of one sequence shared by provider calls and opt-outs: which came first. */
  readonly sequence = (): number => {
    this.seq += 1;
    return this.seq;
  };
}

/** The in-memory table, refusing requests as throttled at random and failing armed writes ("crashes"). */
export class FaultyTable extends MemoryTable {
  /**
   * Steps that die at their next write, by the text that write carries (`JOURNEY#<journey>#<subject>` or
   * `"subjectId":"<subject>"`): the process died before or while making it.
   */
  readonly crashing = new Set<string>();
  /** Off once the run is over: the invariants read the table without faults. */
  injecting = true;
  /** Opt-outs recorded (by key), numbered in the order they succeeded. */
  readonly optOuts: { key: string; seq: number }[] = [];
  /** Ledger entries claimed and not (yet) decided or released: `pk|sk`. */
  readonly pendingClaims = new Set<string>();

  private readonly chance: FaultInjector["chance"];
  private readonly sequence: FaultInjector["sequence"];

  constructor(injector: FaultInjector) {
    super();
    this.chance = injector.chance;
    this.sequence = injector.sequence;
  }

  override async send(command: object): Promise<unknown> {
    const request = command as {
      kind?: string;
      input?: { Key?: Record<string, unknown>; Item?: Record<string, unknown> };
    };
    const write = request.kind !== "Get" && request.kind !== "Query" && request.kind !== "Scan";
    const text = JSON.stringify(command);
    if (write && this.injecting) {
      for (const marker of this.crashing) {
        if (!marker.split("|").some((part) => text.includes(part))) continue;
        this.crashing.delete(marker);
        throw new Error("crashed: the step's process died here");
      }
    }
    const item = request.input?.Item;
    if (
      this.injecting &&
      request.kind === "Put" &&
      item?.status === "pending" &&
      this.chance("crashBeforeClaim", text)
    )
      throw new Error("crashed before the claim (injected)");
    if (this.injecting && this.chance("dynamoThrottle", text))
      throw new ProvisionedThroughputExceededException({ message: "throttled (injected)", $metadata: {} });
    const answer = await super.send(command);
    if (request.kind === "Put" && item && String(item.sk).startsWith("STEP#")) {
      const claim = `${item.pk}|${item.sk}`;
      if (item.status === "pending") this.pendingClaims.add(claim);
      else this.pendingClaims.delete(claim);
    }
    const key = request.input?.Key;
    if (request.kind === "Delete" && key) this.pendingClaims.delete(`${key.pk}|${key.sk}`);
    if (write && key && JSON.stringify(request.input).includes("optedOutAt")) {
      const pk = String(key.pk);
      if (pk.startsWith("OPTOUT#") || pk.startsWith("CUSTOMER#"))
        this.optOuts.push({ key: pk, seq: this.sequence() });
    }
    return answer;
  }
}

/** One provider call: whether it could have delivered, and to whom. */
export interface ProviderCall {
  readonly reference: string;
  readonly to: string;
  readonly marketing: boolean;
  couldDeliver: boolean;
  readonly seq: number;
}

/**
 * The SMS provider under faults: 5xx, throttles, timeouts after the request left, crashes after it
 * accepted, and receipts that come within minutes, days or never.
 */
export class FaultyProvider implements SmsProvider {
  readonly name = "faulty";
  /** Every provider call. */
  readonly calls: ProviderCall[] = [];
  /** Receipts that arrived for sends the provider did not answer (ambiguous, or answered then crashed). */
  readonly receiptsArrived = new Set<string>();
  /** The shop receipts are pushed to, once it exists. */
  shop: LocalShop | undefined;
  private messageSeq = 0;

  constructor(
    private readonly injector: FaultInjector,
    private readonly clock: VirtualClock,
    private readonly table: FaultyTable,
  ) {}

  async send(message: SmsMessage): Promise<{ provider: string; messageId: string }> {
    const { chance, sequence } = this.injector;
    const call = {
      reference: message.reference,
      to: message.to,
      marketing: message.messageClass === "marketing",
      couldDeliver: false,
      seq: sequence(),
    };
    this.calls.push(call);
    const key = message.reference;
    if (chance("provider5xx", key)) throw new SmsSendError("retryable", "InternalError", "injected 5xx");
    if (chance("providerThrottle", key))
      throw new SmsSendError("retryable", "Throttling", "injected throttle");
    this.messageSeq += 1;
    const messageId = `m${this.messageSeq}`;
    call.couldDeliver = true;
    const receipt = () => {
      if (chance("receiptNever", key)) return;
      this.deliverReceipt(
        message.reference,
        messageId,
        chance("receiptLate", key) ? 2 * 86_400_000 : 5 * 60_000,
      );
    };
    if (chance("providerTimeout", key)) {
      receipt();
      throw new SmsSendError("ambiguous", "TimeoutError", "injected timeout after the request left");
    }
    receipt();
    // The provider accepted; the step dies before its decision (and message ref) are written.
    if (chance("crashAfterSend", key)) this.table.crashing.add(stepMarker(key));
    return { provider: "faulty", messageId };
  }

  private deliverReceipt(reference: string, messageId: string, afterMs: number): void {
    const clock = this.clock;
    clock.begin();
    void clock
      .sleepUntil(new Date(clock.now().getTime() + afterMs))
      .then(async () => {
        const shop = this.shop as LocalShop;
        // A push that fails (throttled, or too early: its send not decided yet) is pushed again later, as
        // Aliyun does (1, 5, 10 minutes) and SNS → Lambda's async retries do — here every 10 minutes.
        for (let attempt = 0; attempt < 10; attempt += 1) {
          if (attempt > 0) await clock.sleepUntil(new Date(clock.now().getTime() + 10 * 60_000));
          try {
            await applyInbound(shop, {
              kind: "receipt",
              provider: "faulty",
              messageId,
              reference,
              delivery: "delivered",
              at: clock.now().toISOString(),
            });
            this.receiptsArrived.add(reference);
            return;
          } catch {
            // tried again
          }
        }
      })
      .finally(() => clock.end());
  }
}
