/**
 * Message text: filling templates and counting SMS segments the way carriers bill them.
 */

/** Fills `{variable}` placeholders. Unknown variables cannot reach here: config validation rejects them. */
export function renderTemplate(
  template: string,
  variables: Readonly<Record<string, string | number>>,
): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in variables ? String(variables[name]) : whole,
  );
}

// GSM 03.38 basic character set; anything outside it (and outside the extension table) forces UCS-2.
const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
// Extension characters cost two septets (escape + char).
const GSM7_EXTENSION = new Set("^{}\\[~]|€\f");

/** How a message is encoded and how many billable segments it takes. */
export interface SegmentCount {
  readonly encoding: "GSM-7" | "UCS-2";
  readonly units: number;
  readonly segments: number;
}

/**
 * Counts segments: GSM-7 160 per single message / 153 per part; UCS-2 (e.g. Chinese) 70 / 67.
 * UCS-2 counts UTF-16 code units, so an emoji takes two.
 */
export function countSegments(text: string): SegmentCount {
  let septets = 0;
  let gsm = true;
  for (const char of text) {
    if (GSM7_BASIC.has(char)) septets += 1;
    else if (GSM7_EXTENSION.has(char)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm)
    return { encoding: "GSM-7", units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  const units = text.length;
  return { encoding: "UCS-2", units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
