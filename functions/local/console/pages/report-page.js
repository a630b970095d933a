import { chooseLocale, chosenLocale, LOCALES, translator } from "shopcare/i18n.js";
import { render } from "shopcare/lit-html.js";
import { reportView } from "shopcare/report.js";

/**
 * The report written to a file (`shopcare report --html`, `simulate --report`): its data is in the page
 * (`#report-data`), its modules inline, so it opens offline from the file in any browser, in the shop's
 * language with a switch to the other.
 */
const data = JSON.parse(document.getElementById("report-data").textContent);
let locale = chosenLocale(data.locale);

function update() {
  const fmt = translator(locale, data.timeZone);
  document.documentElement.lang = locale;
  document.title = fmt.t("report.documentTitle", { shop: data.shop });
  render(reportView(fmt, data.report, data.shop), document.getElementById("report"));
  const select = document.getElementById("locale");
  select.replaceChildren(
    ...Object.entries(LOCALES).map(([value, name]) => new Option(name, value, false, value === locale)),
  );
}

document.getElementById("locale").addEventListener("change", (event) => {
  locale = event.target.value;
  chooseLocale(locale);
  update();
});
update();
document.body.dataset.ready = "true";
