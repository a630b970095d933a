import { JOURNEY_MODULES } from "../journeys/index.js";
import { SHARED_VARIABLE_LENGTHS } from "../journeys/vocabulary.js";
import type { MessageClass } from "../shared/model.js";
import type { TemplateValue, TemplateVariant } from "./settings.js";

/** What shopcare knows about one message template: where operators set it, its class and its variables. */
export interface TemplateSpec {
  /** The journey it belongs to. */
  readonly journey: string;
  /** Path of the template in the shop config, e.g. `journeys.paymentReminder.templates.first`. */
  readonly path: readonly string[];
  readonly messageClass: MessageClass;
  /** The `{variables}` the template may use; any other fails config validation. */
  readonly variables: readonly string[];
  /** The text shipped with shopcare. */
  readonly text: string;
}

/** The variables every marketing template may use besides its own: the customer's member level. */
export const MARKETING_VARIABLES = ["level"] as const;

/** The variables every template may use: the send's tracked short link (`links.baseUrl`, `links.targets`). */
export const LINK_VARIABLES = ["link"] as const;

/**
 * The longest value of each template variable, as the journeys declare them: what the lint renders a
 * template with to count its worst-case segments (`lint.variableLengths` overrides any).
 */
export const DECLARED_VARIABLE_LENGTHS: Readonly<Record<string, number>> = Object.assign(
  {},
  SHARED_VARIABLE_LENGTHS,
  ...JOURNEY_MODULES.map((journey) => ("variableLengths" in journey ? journey.variableLengths : {})),
);

/** The id of a message template, as decision records carry it (`<journey>.<key>`). */
export type TemplateId = string;

/**
 * Every message template with text, by the id decision records carry, gathered from the journey modules.
 * Lint, config validation and the Aliyun template-code mapping all work from this list.
 */
export const TEMPLATE_SPECS: Readonly<Record<TemplateId, TemplateSpec>> = Object.fromEntries(
  JOURNEY_MODULES.flatMap((journey) =>
    Object.entries(journey.templates).flatMap(([key, declaration]) =>
      "setting" in declaration
        ? [
            [
              `${journey.id}.${key}`,
              {
                journey: journey.id,
                path: ["journeys", journey.configKey, ...declaration.setting],
                messageClass: declaration.messageClass,
                // Every marketing message may name the customer's member level (`members.levels`).
                // And every message may carry a tracked short link (`links`).
                variables: [
                  ...declaration.variables,
                  ...(declaration.messageClass === "marketing" ? MARKETING_VARIABLES : []),
                  ...LINK_VARIABLES,
                ],
                text: declaration.text,
              },
            ],
          ]
        : [],
    ),
  ),
);

/** The journeys that know each link's target themselves (the checkout's recovery URL). */
const OWN_LINK_TARGETS = new Map(
  JOURNEY_MODULES.filter((journey) => "linkTarget" in journey).map((journey) => [
    journey.id as string,
    journey.configKey as string,
  ]),
);

/**
 * Whether a template counts for the lint and the link checks: always, except the templates of a journey that
 * knows its own link target while it is off — its shipped texts carry `{link}`, which needs `links.baseUrl`
 * only once the shop turns it on.
 */
export function templateInUse(config: unknown, spec: Pick<TemplateSpec, "journey">): boolean {
  const key = OWN_LINK_TARGETS.get(spec.journey);
  if (key === undefined) return true;
  const journeys = (config as { journeys?: Record<string, { enabled?: boolean } | undefined> }).journeys;
  return journeys?.[key]?.enabled === true;
}

/** Whether a journey's `{link}` leads where the journey says (no `links.targets` entry needed). */
export const hasOwnLinkTarget = (journey: string): boolean => OWN_LINK_TARGETS.has(journey);

/** The template a config holds at a spec's path: its text, or its variants. */
export function templateValueAt(config: unknown, id: TemplateId): TemplateValue {
  const spec = TEMPLATE_SPECS[id];
  if (!spec) throw new Error(`unknown template ${JSON.stringify(id)}`);
  const value = spec.path.reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], config);
  return Array.isArray(value) ? (value as TemplateVariant[]) : String(value);
}

/** The template text a config holds at a spec's path (a template with variants: its first). */
export function templateAt(config: unknown, id: TemplateId): string {
  const value = templateValueAt(config, id);
  return typeof value === "string" ? value : (value[0]?.text ?? "");
}

/** The `{variable}` names a template uses, in order of appearance. */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
}
