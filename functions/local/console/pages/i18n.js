import { MESSAGES_EN } from "shopcare/messages-en.js";
import { MESSAGES_ZH_CN } from "shopcare/messages-zh-CN.js";

/**
 * The console's and the report's words in the languages they speak, and numbers and times formatted for
 * the language with `Intl`. Ids stay as they are in every language (journeys, steps, reasons, templates,
 * event types): operators search logs and records for them.
 */

/** The languages, with their own names for the switch. */
export const LOCALES = { "zh-CN": "中文", en: "English" };

const MESSAGES = { en: MESSAGES_EN, "zh-CN": MESSAGES_ZH_CN };

/** Where a page's language choice is kept (this browser only; the shop's `locale` is the default). */
const CHOICE_KEY = "shopcare-locale";

/** The language a page opens in: this browser's choice if it made one, else the shop's. */
export function chosenLocale(shopLocale) {
  let chosen;
  try {
    chosen = localStorage.getItem(CHOICE_KEY);
  } catch {
    // A page opened from a file may have no storage: the shop's language it is.
  }
  return chosen in MESSAGES ? chosen : shopLocale in MESSAGES ? shopLocale : "en";
}

/** Remembers this browser's choice of language. */
export function chooseLocale(locale) {
  try {
    localStorage.setItem(CHOICE_KEY, locale);
  } catch {
    // Without storage the choice lasts until the page is closed.
  }
}

/**
 * The words and formats of one language. `t(key, params)` fills `{name}` placeholders; times are shown in
 * the shop's time zone, as its windows and slots are.
 */
export function translator(locale, timeZone) {
  const messages = MESSAGES[locale] ?? MESSAGES_EN;
  const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const money = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const oneDecimal = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium", timeZone });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone });
  const t = (key, params = {}) =>
    (messages[key] ?? MESSAGES_EN[key] ?? key).replace(/\{(\w+)\}/g, (_, name) =>
      params[name] === undefined ? "" : String(params[name]),
    );
  return {
    locale,
    t,
    /** A count: `1,234` / `1,234`. */
    count: (value) => integer.format(value),
    /** An amount of money, two decimals; `—` when there is none. */
    money: (value) => (value === undefined || value === null ? "—" : money.format(value)),
    /** A ratio with one decimal (ROI); `—` when there is none. */
    ratio: (value) => (value === undefined || value === null ? "—" : oneDecimal.format(value)),
    /** A share as a percentage with one decimal. */
    percent: (fraction) => `${oneDecimal.format(100 * fraction)}%`,
    /** An instant in the shop's time zone; `—` when there is none. */
    time: (iso) => (iso ? dateTime.format(new Date(iso)) : "—"),
    /** A day in the shop's time zone. */
    day: (iso) => (iso ? date.format(new Date(iso)) : "—"),
  };
}
