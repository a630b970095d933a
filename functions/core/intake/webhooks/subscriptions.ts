import { SHOPIFY_TOPICS, type ShopifyTopic } from "./shopify.js";

/**
 * Which of Shopify's topics `shopcare connect shopify` registers, and what it does about the subscriptions a
 * shop already has. Shopify's mandatory compliance topics are not among them: an app sets those in its
 * configuration (`shopify.app.toml` or the Partner Dashboard), never through the API ("Privacy law
 * compliance", shopify.dev).
 */

/** The compliance topics: set in the app's configuration, not through `webhookSubscriptionCreate`. */
export const COMPLIANCE_TOPICS: readonly ShopifyTopic[] = [
  "customers/redact",
  "customers/data_request",
  "shop/redact",
];

/** The topics `connect` subscribes through the Admin API. */
export const SUBSCRIBED_TOPICS: readonly ShopifyTopic[] = SHOPIFY_TOPICS.filter(
  (topic) => !COMPLIANCE_TOPICS.includes(topic),
);

/** A topic as the GraphQL Admin API's `WebhookSubscriptionTopic` enum writes it: `orders/create` → `ORDERS_CREATE`. */
export const topicEnum = (topic: string): string => topic.replace("/", "_").toUpperCase();

/** One of the app's webhook subscriptions in the shop, as `webhookSubscriptions` lists it. */
export interface WebhookSubscription {
  readonly id: string;
  /** The `WebhookSubscriptionTopic` value, e.g. `ORDERS_CREATE`. */
  readonly topic: string;
  readonly uri: string;
  readonly format: string;
}

/** What `connect` does about one topic. */
export interface SubscriptionStep {
  /** The topic as shopcare and Shopify's webhook headers write it (`orders/create`), or the enum when unknown. */
  readonly topic: string;
  readonly state: "subscribed" | "missing" | "wrong-uri" | "wrong-format" | "duplicate" | "not-taken";
  readonly action: "none" | "create" | "update" | "delete";
  /** The subscription acted on (update, delete, none). */
  readonly id?: string;
  /** Where it pointed before an update. */
  readonly from?: string;
}

/**
 * The steps that leave exactly one JSON subscription per topic shopcare takes at `uri`: each topic
 * subscribed there stays; a topic subscribed elsewhere or as XML has that subscription fixed in place; a
 * missing one is created; a second subscription of a topic at `uri` and a subscription at `uri` to a topic
 * shopcare no longer takes are removed. Subscriptions elsewhere to topics shopcare does not take are left
 * alone (another integration's).
 */
export function planSubscriptions(
  existing: readonly WebhookSubscription[],
  uri: string,
  topics: readonly string[] = SUBSCRIBED_TOPICS,
): SubscriptionStep[] {
  const steps: SubscriptionStep[] = [];
  const byEnum = new Map(topics.map((topic) => [topicEnum(topic), topic]));
  for (const topic of topics) {
    const ofTopic = existing.filter((subscription) => subscription.topic === topicEnum(topic));
    const right = ofTopic.find((subscription) => subscription.uri === uri && subscription.format === "JSON");
    const kept = right ?? ofTopic[0];
    if (!kept) steps.push({ topic, state: "missing", action: "create" });
    else if (right) steps.push({ topic, state: "subscribed", action: "none", id: right.id });
    else
      steps.push({
        topic,
        state: kept.uri === uri ? "wrong-format" : "wrong-uri",
        action: "update",
        id: kept.id,
        from: kept.uri,
      });
    for (const other of ofTopic)
      if (other !== kept && other.uri === uri)
        steps.push({ topic, state: "duplicate", action: "delete", id: other.id });
  }
  for (const subscription of existing)
    if (!byEnum.has(subscription.topic) && subscription.uri === uri)
      steps.push({
        topic: subscription.topic,
        state: "not-taken",
        action: "delete",
        id: subscription.id,
      });
  return steps;
}
