import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { ConsentWriteBack } from "../../core/customers/consent-writeback.js";
import {
  type DataSubject,
  exportCustomer,
  exportView,
  forgetCustomer,
  type PersonalData,
} from "../../core/customers/forget.js";
import { phone as e164 } from "../../core/intake/fields.js";
import type { JourneyStarter } from "../../core/shared/ports.js";
import type { LocalRoute } from "../emulator/server.js";
import { bodyOf, json } from "./route-json.js";

/** The local shop's forget route (`shopcare forget --url`). */
export const LOCAL_FORGET_PATH = "/admin/forget";
/** The local shop's export route (`shopcare export --url`). */
export const LOCAL_EXPORT_PATH = "/admin/export";

/** A request's subject: exactly one of `customerId` and `phone`, else undefined. */
export function dataSubjectOf(body: unknown): DataSubject | undefined {
  const { customerId, phone } = (body ?? {}) as { customerId?: unknown; phone?: unknown };
  if (typeof customerId === "string" && customerId !== "" && phone === undefined) return { customerId };
  if (typeof phone === "string" && e164.safeParse(phone).success && customerId === undefined)
    return { phone };
  return undefined;
}

/** A customer's data rights on the local shop: forget (stopping their executions on its engine) and export. */
export function dataRightsRoutes(deps: {
  readonly personal: PersonalData;
  readonly now: () => Date;
  readonly journeys?: Pick<JourneyStarter, "stop">;
  /** Where a forgotten Shopify customer's SMS consent is withdrawn first. @default none */
  readonly consentWriteBack?: ConsentWriteBack;
}): Omit<LocalRoute, "access">[] {
  const subjectOf = (event: APIGatewayProxyEventV2) => {
    try {
      return dataSubjectOf(bodyOf(event));
    } catch {
      return undefined;
    }
  };
  const refused = {
    statusCode: 400,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      error: "customerId: expected a customer id, or phone: an E.164 number (one of them)",
    }),
  };
  const { journeys } = deps;
  return [
    {
      method: "POST",
      path: LOCAL_FORGET_PATH,
      handler: async (event) => {
        const subject = subjectOf(event);
        if (!subject) return refused;
        const stopExecution = journeys
          ? (journey: string, name: string) => journeys.stop(journey as never, name)
          : undefined;
        return json(
          await forgetCustomer(
            { personal: deps.personal, stopExecution, consentWriteBack: deps.consentWriteBack },
            subject,
            deps.now().toISOString(),
          ),
        );
      },
    },
    {
      method: "POST",
      path: LOCAL_EXPORT_PATH,
      handler: async (event) => {
        const subject = subjectOf(event);
        if (!subject) return refused;
        return json((await exportCustomer(deps.personal, subject)).map(exportView));
      },
    },
  ];
}
