import * as z from "zod";
import { timeOfDay, windowEnd } from "./settings.js";

/**
 * Jurisdiction rules on when a message may reach a recipient, judged in the recipient's local time and
 * applied by their region (ISO 3166-2: the shipping address's region, else the number's area code). A row
 * is a window for one message class on the days it names; the rows of one region and class together say
 * when that region allows it, and every region the recipient is in must allow it (the US and Florida).
 * docs/sending-rules.md lists the defaults with their sources.
 */

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const SendingRuleSchema = z
  .strictObject({
    /** `US` (the whole country) or `US-FL` (a state or province), as ISO 3166 writes them. */
    region: z.string().regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, {
      error: 'expected an ISO 3166 region like "US" or "US-FL"',
    }),
    messageClass: z.enum(["marketing", "notice"]).default("marketing"),
    /** The local days the window is for. @default every day */
    days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
    start: timeOfDay,
    end: windowEnd,
    /** Where the rule comes from (a statute, a page): shown by `config` and in docs. */
    source: z.string().min(1).optional(),
  })
  .refine((row) => row.start < row.end, { error: "start must be before end", path: ["start"] });

export type SendingRule = z.infer<typeof SendingRuleSchema>;

const FEDERAL = "47 CFR § 64.1200(c)(1) (TCPA: 8:00–21:00 at the called party's location)";
const REFERRIZER =
  "support.referrizer.com/en/category/text-campaigns/article/tcpa-quiet-hours-and-state-specific-rules-for-text-campaigns";
const STELLO = "usestello.com/compliance (reviewed 2026-04-08)";

const row = (region: string, start: string, end: string, source: string, days?: Weekday[]): SendingRule => ({
  region,
  messageClass: "marketing",
  start,
  end,
  source,
  ...(days ? { days } : {}),
});

/**
 * The US federal window and the states stricter than it, for marketing: each row's source names the
 * statute as the compliance tables it was read from cite it. A shop's row for the same region and class
 * replaces these.
 */
export const DEFAULT_SENDING_RULES: readonly SendingRule[] = [
  row("US", "08:00", "21:00", FEDERAL),
  row("US-AL", "08:00", "20:00", `Ala. Code § 8-19A (Alabama Telemarketing Act); ${STELLO}`),
  row("US-CA", "09:00", "21:00", `Cal. Pub. Util. Code § 2872(c); ${STELLO}`),
  row("US-CT", "09:00", "20:00", `Conn. Gen. Stat. § 42-288a (SB 1058, 2023); ${REFERRIZER}`),
  row("US-FL", "08:00", "20:00", `Fla. Stat. § 501.059 (Florida Telephone Solicitation Act); ${REFERRIZER}`),
  row("US-IL", "09:00", "21:00", `815 ILCS 413/15; ${STELLO}`),
  row("US-KY", "10:00", "21:00", `KRS 367.46955(3); ${STELLO}`),
  row("US-LA", "08:00", "20:00", `La. R.S. § 45:844.31 et seq.; ${STELLO}`),
  row("US-MA", "08:00", "20:00", `Mass. Gen. Laws ch. 159C § 3; ${STELLO}`),
  row(
    "US-MD",
    "08:00",
    "20:00",
    `Md. Code Com. Law § 14-3201 et seq. (Stop the Spam Calls Act); ${REFERRIZER}`,
  ),
  row("US-MI", "09:00", "21:00", `MCL 750.540e; ${STELLO}`),
  row("US-MN", "09:00", "21:00", `Minn. Stat. § 325E.30; ${STELLO}`),
  row("US-MS", "08:00", "20:00", `Mississippi's telephone solicitation act; ${REFERRIZER}`),
  row("US-NJ", "08:00", "20:00", `New Jersey's telemarketing rules (2024); ${REFERRIZER}`),
  row(
    "US-OK",
    "08:00",
    "20:00",
    `Okla. Stat. tit. 15 § 775C.4 (Telephone Solicitation Act of 2022); ${REFERRIZER}`,
  ),
  row("US-RI", "09:00", "18:00", `R.I. Gen. Laws § 5-61-3.4; ${REFERRIZER}`, [
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
  ]),
  row("US-RI", "10:00", "17:00", `R.I. Gen. Laws § 5-61-3.4; ${REFERRIZER}`, ["sat", "sun"]),
  row(
    "US-TX",
    "09:00",
    "21:00",
    `Tex. Bus. & Com. Code § 301.051 (texts since SB 140, 2025); ${REFERRIZER}`,
    ["mon", "tue", "wed", "thu", "fri", "sat"],
  ),
  row(
    "US-TX",
    "12:00",
    "21:00",
    `Tex. Bus. & Com. Code § 301.051 (texts since SB 140, 2025); ${REFERRIZER}`,
    ["sun"],
  ),
];

/** The rules in force: the defaults, less each region and class the shop wrote rows for, and the shop's rows. */
export function sendingRulesOf(shopRows: readonly SendingRule[]): readonly SendingRule[] {
  const replaced = new Set(shopRows.map((rule) => `${rule.region}#${rule.messageClass}`));
  return [
    ...DEFAULT_SENDING_RULES.filter((rule) => !replaced.has(`${rule.region}#${rule.messageClass}`)),
    ...shopRows,
  ];
}

/** US states and DC by code, for the number's area code (libphonenumber names states) and explain. */
export const US_STATES: Readonly<Record<string, string>> = {
  AL: "Alabama",
  AK: "Alaska",
  AZ: "Arizona",
  AR: "Arkansas",
  CA: "California",
  CO: "Colorado",
  CT: "Connecticut",
  DE: "Delaware",
  DC: "Washington D.C.",
  FL: "Florida",
  GA: "Georgia",
  HI: "Hawaii",
  ID: "Idaho",
  IL: "Illinois",
  IN: "Indiana",
  IA: "Iowa",
  KS: "Kansas",
  KY: "Kentucky",
  LA: "Louisiana",
  ME: "Maine",
  MD: "Maryland",
  MA: "Massachusetts",
  MI: "Michigan",
  MN: "Minnesota",
  MS: "Mississippi",
  MO: "Missouri",
  MT: "Montana",
  NE: "Nebraska",
  NV: "Nevada",
  NH: "New Hampshire",
  NJ: "New Jersey",
  NM: "New Mexico",
  NY: "New York",
  NC: "North Carolina",
  ND: "North Dakota",
  OH: "Ohio",
  OK: "Oklahoma",
  OR: "Oregon",
  PA: "Pennsylvania",
  RI: "Rhode Island",
  SC: "South Carolina",
  SD: "South Dakota",
  TN: "Tennessee",
  TX: "Texas",
  UT: "Utah",
  VT: "Vermont",
  VA: "Virginia",
  WA: "Washington",
  WV: "West Virginia",
  WI: "Wisconsin",
  WY: "Wyoming",
};
