import { runFaultInjection } from "../../tests/support/fault-run.js";
import { num, record, round } from "../harness.js";

export async function faults(_dynamo?: unknown) {
  const seed = num("seed");
  const orders = num("fault-orders");
  const started = performance.now();
  const report = await runFaultInjection({ orders, days: 30, seed });
  const seconds = (performance.now() - started) / 1000;
  const broken =
    report.lost +
    report.duplicated +
    report.sentAfterOptOut +
    report.unsettled +
    report.undecided +
    report.deadLinks;
  const injected = Object.entries(report.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind} ${count}`)
    .join(", ");
  for (const line of report.details.slice(0, 20)) process.stderr.write(`  ${line}\n`);
  record({
    figure: "fault injection: lost / duplicated / sent after opt-out / unsettled / undecided / dead links",
    value: broken,
    unit: "",
    target: "0 of each",
    met: broken === 0,
    detail: `${orders} orders, seed ${seed} (reproduce: npm run bench -- --only faults --fault-orders ${orders} --seed ${seed}): lost ${report.lost}, duplicated ${report.duplicated}, sent after opt-out ${report.sentAfterOptOut}, unsettled ${report.unsettled}, undecided ${report.undecided}, dead links ${report.deadLinks} of ${report.linked} sent with a link; ${report.webhooks} webhook deliveries, ${report.providerCalls} provider calls, ${report.decisions} decisions in ${round(seconds, 1)} s; faults injected: ${injected}`,
  });
}
