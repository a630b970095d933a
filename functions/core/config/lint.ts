import { LINK_CODE_LENGTH, linkUrl } from "../engine/links.js";
import { type TemplateValue, textsAt } from "./settings.js";
import { countSegments, renderTemplate } from "./template.js";
import {
  DECLARED_VARIABLE_LENGTHS,
  TEMPLATE_SPECS,
  type TemplateId,
  type TemplateSpec,
  templateInUse,
  templateValueAt,
  templateVariables,
} from "./templates.js";

/** The parts of the shop config the template lint reads. */
export interface LintSettings {
  readonly name: string;
  readonly sms: {
    readonly optOutLine?: string;
    readonly optOutKeywords: readonly string[];
    readonly maxSegments: number;
  };
  readonly webhooks: { readonly defaultCountry: string };
  readonly lint: {
    readonly bannedWords: readonly string[];
    readonly genericOpenings: readonly string[];
    readonly variableLengths: Readonly<Record<string, number>>;
    readonly unicodeNames: boolean;
  };
  /** `{link}` counts at its real length: the base URL, `/l/` and a code. */
  readonly links?: { readonly baseUrl?: string };
}

/** One lint finding, at a template's config path. */
export interface LintFinding {
  readonly templateId: TemplateId;
  readonly path: readonly string[];
  readonly severity: "error" | "warning";
  readonly message: string;
}

/** China's marketing opt-out line: carriers and SMS platforms refuse marketing templates without it. */
export const CHINA_OPT_OUT_LINE = "拒收请回复R";

/** The opt-out line a config asks for: `sms.optOutLine`, else the default for its country. */
export function optOutLineOf(config: {
  readonly sms: { readonly optOutLine?: string };
  readonly webhooks: { readonly defaultCountry: string };
}): string {
  return (
    config.sms.optOutLine ??
    (config.webhooks.defaultCountry === "CN" ? CHINA_OPT_OUT_LINE : "Reply STOP to opt out")
  );
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Whether a marketing text tells how to refuse with a keyword shopcare honours: "拒收请回复R", "回T退订",
 * "回TD退订", "Reply STOP to opt out" — a reply verb (回, 回复, reply, text, send), then a keyword whole.
 */
export function tellsHowToRefuse(text: string, keywords: readonly string[]): boolean {
  return keywords.some((keyword) =>
    new RegExp(
      `(回复?|\\b(?:reply|text|send)\\s+)["“'「]?${escapeRegExp(keyword)}["”'」]?(?![A-Za-z0-9])`,
      "iu",
    ).test(text),
  );
}

/** 【Shop】 in Chinese templates; [Shop] in Latin-script ones, where 【】 would force UCS-2. */
const SIGNATURE = /^(【[^】]{1,20}】|\[[^\]]{1,20}\] ?)/;
/** The first characters a recipient sees in the notification; the seeds say they decide the open. */
const OPENING_LENGTH = 7;

/** Worst-case text for a variable: Chinese characters force UCS-2, the costlier encoding. */
function worstCaseValue(variable: string, settings: LintSettings): string {
  if (variable === "shop") return settings.name;
  if (variable === "link")
    return linkUrl(settings.links?.baseUrl ?? "https://s.example.cn", "x".repeat(LINK_CODE_LENGTH));
  const length = settings.lint.variableLengths[variable] ?? DECLARED_VARIABLE_LENGTHS[variable] ?? 20;
  return (variable === "name" && settings.lint.unicodeNames ? "王" : "9").repeat(length);
}

/**
 * Lints every template the way providers and carriers judge them (docs/design.md "Addressing",
 * "Compliance", "Opt-out", "Length and cost"). Errors fail synth; warnings are printed.
 * Unknown variables are reported too, naming the allowed ones.
 */
export function lintTemplates(config: LintSettings & Record<string, unknown>): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const [id, spec] of Object.entries(TEMPLATE_SPECS) as [
    TemplateId,
    (typeof TEMPLATE_SPECS)[TemplateId],
  ][]) {
    if (!templateInUse(config, spec)) continue;
    // Each variant at its own path, `…templates.first.1.text`.
    for (const { text, path } of textsAt(spec.path, templateValueAt(config, id)))
      findings.push(...lintTemplate(config, id, { ...spec, path }, text));
  }
  return findings;
}

/**
 * The marketing texts (journeys', campaigns', each variant) that do not carry the config's opt-out line, by
 * config path: what doctor suggests rewording (they still pass the lint when they name an honoured keyword).
 */
export function marketingWithoutOptOutLine(
  config: LintSettings & { readonly campaigns?: readonly { readonly template: TemplateValue }[] } & Record<
      string,
      unknown
    >,
): string[] {
  const line = optOutLineOf(config);
  const texts = [
    ...Object.entries(TEMPLATE_SPECS)
      .filter(([, spec]) => spec.messageClass === "marketing")
      .flatMap(([id, spec]) => textsAt(spec.path, templateValueAt(config, id))),
    ...(config.campaigns ?? []).flatMap((campaign, index) =>
      textsAt(["campaigns", String(index), "template"], campaign.template),
    ),
  ];
  return texts.filter(({ text }) => !text.includes(line)).map(({ path }) => ["shop", ...path].join("."));
}

/** Lints one template's text against its spec (a journey's, or a campaign's built from the config). */
export function lintTemplate(
  config: LintSettings,
  id: TemplateId,
  spec: Pick<TemplateSpec, "path" | "messageClass" | "variables">,
  template: string,
): LintFinding[] {
  const findings: LintFinding[] = [];
  {
    const report = (severity: LintFinding["severity"], message: string) =>
      findings.push({ templateId: id, path: spec.path, severity, message });
    const allowed: readonly string[] = spec.variables;
    for (const variable of templateVariables(template)) {
      if (!allowed.includes(variable)) {
        report(
          "error",
          `unknown template variable {${variable}}; allowed: ${allowed.map((v) => `{${v}}`).join(" ")}`,
        );
      }
    }
    if (!SIGNATURE.test(template))
      report("error", "missing signature: start with the shop's 【{shop}】 (or [{shop}] in Latin script)");
    for (const word of config.lint.bannedWords) {
      if (template.includes(word)) report("error", `contains "${word}", which SMS providers reject`);
    }
    if (spec.messageClass === "marketing" && !tellsHowToRefuse(template, config.sms.optOutKeywords)) {
      report(
        "error",
        `marketing must tell how to refuse with a keyword shopcare honours (${config.sms.optOutKeywords.join(", ")}): end it with "${optOutLineOf(config)}"`,
      );
    }
    const opening = template.replace(SIGNATURE, "").slice(0, OPENING_LENGTH);
    for (const generic of config.lint.genericOpenings) {
      if (opening.includes(generic)) {
        report("warning", `generic opening "${generic}": address the customer by {name} instead`);
      }
    }
    const worstCase = Object.fromEntries(allowed.map((v) => [v, worstCaseValue(v, config)]));
    const { segments, encoding, units } = countSegments(renderTemplate(template, worstCase));
    if (segments > config.sms.maxSegments) {
      report(
        "error",
        `${segments} SMS segments (${units} ${encoding} units) at worst-case variable lengths; sms.maxSegments is ${config.sms.maxSegments}`,
      );
    } else if (segments > 1) {
      report(
        "warning",
        `${segments} SMS segments (${units} ${encoding} units) at worst-case variable lengths`,
      );
    }
  }
  return findings;
}
