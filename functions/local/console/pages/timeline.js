/** One line of a customer's timeline (`explain`), in the page's language; ids stay as they are. */
export function describeEntry({ t }, entry) {
  switch (entry.kind) {
    case "event":
      return `${entry.type}${entry.orderId ? ` ${entry.orderId}` : ""} (${entry.source}, ${entry.webhookId})`;
    case "decision":
      return [
        `${entry.journey}.${entry.step}`,
        entry.orderId && t("timeline.order", { order: entry.orderId }),
        t(`outcome.${entry.outcome}`) + (entry.reason ? ` ${entry.reason}` : ""),
        entry.template,
        entry.to && t("timeline.to", { to: entry.to }),
        entry.text && `“${entry.text}”`,
        entry.delivery && t("timeline.delivery", { delivery: entry.delivery }),
        entry.configVersion && t("timeline.config", { version: entry.configVersion }),
      ]
        .filter(Boolean)
        .join(" · ");
    case "reply":
      return (
        t("timeline.from", { from: entry.from, text: entry.text }) +
        (entry.inReplyTo ? t("timeline.inReplyTo", { message: entry.inReplyTo }) : "") +
        (entry.likelyOptOut ? t("timeline.likelyOptOut") : "")
      );
    case "opt-out":
      return entry.reply !== undefined
        ? t("timeline.optOutByReply", { from: entry.from, reply: entry.reply, source: entry.source })
        : t("timeline.optOutBy", { from: entry.from, source: entry.source });
    case "consent":
      return t("timeline.consent", {
        of: entry.of,
        state: t(`consent.${entry.state}`),
        source: entry.source,
      });
    case "click":
      return `${entry.journey}.${entry.step}${entry.orderId ? ` ${t("timeline.order", { order: entry.orderId })}` : ""} ${t(
        "timeline.click",
        { clicks: entry.clicks, target: entry.target },
      )}`;
    case "execution":
      return t("timeline.execution", { action: entry.action, journey: entry.journey, name: entry.name });
    case "pending":
      return `${entry.journey}.${entry.step}${entry.orderId ? ` ${t("timeline.order", { order: entry.orderId })}` : ""} ${t(
        "timeline.pending",
        { rule: entry.rule },
      )}`;
    default:
      return JSON.stringify(entry);
  }
}
