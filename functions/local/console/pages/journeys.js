import { html, svg } from "shopcare/lit-html.js";

/**
 * One journey as configured, drawn: its triggers on the left, the journey, its templates on the right
 * (marketing in orange, notices in green), its steps under it and its timings in the caption.
 */
export function journeyFigure({ t }, journey) {
  const rows = Math.max(journey.triggers.length, journey.steps.length, journey.templates.length, 1);
  const height = rows * 26 + 44;
  const middle = (rows * 26 + 20) / 2 - 10;
  const box = (x, y, width, text, fill) =>
    svg`<rect x=${x} y=${y} width=${width} height="20" rx="4" fill=${fill}/><text x=${x + 6} y=${y + 14}>${text}</text>`;
  const timings = Object.entries(journey.timings)
    .map(([key, value]) => `${key} ${value}`)
    .join(", ");
  const { notice, marketing } = journey.windows;
  const caption =
    (timings || t("journeys.noTimings")) +
    (journey.stops.length ? t("journeys.stops", { stops: journey.stops.join("; ") }) : "") +
    t("journeys.windows", {
      notice: `${notice.start}–${notice.end}`,
      marketing: `${marketing.start}–${marketing.end}`,
    });
  return html`<figure class=${journey.enabled ? "journey" : "journey off"} data-journey=${journey.journey}>
    <svg role="img" aria-label=${t("journeys.diagram", { journey: journey.journey })} width="690" height=${height}>
      ${box(230, middle, 170, journey.journey + (journey.enabled ? "" : t("journeys.off")), "#e9c46a")}
      <text x="0" y=${rows * 26 + 30} class="steps">${t("journeys.steps", { steps: journey.steps.join(" → ") })}</text>
      ${journey.triggers.map((trigger, index) => {
        const y = 10 + index * 26;
        return svg`${box(0, y, 210, trigger, "#9db4c0")}<line x1="210" y1=${y + 10} x2="230" y2=${middle + 10} stroke="#555"/>`;
      })}
      ${journey.templates.map((template, index) => {
        const y = 10 + index * 26;
        const fill = template.messageClass === "marketing" ? "#f4a261" : "#8ab17d";
        return svg`<line x1="400" y1=${middle + 10} x2="420" y2=${y + 10} stroke="#555"/>${box(420, y, 260, `${template.id} · ${template.messageClass}`, fill)}`;
      })}
    </svg>
    <figcaption>${caption}</figcaption>
  </figure>`;
}
