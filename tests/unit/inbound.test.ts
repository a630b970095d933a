import { describe, expect, it } from "vitest";
import { maskPhone, maskPhonesIn } from "../../functions/core/config/messaging.js";
import { isOptOutReply } from "../../functions/core/intake/replies.js";
import { aliyunPercentEncode, aliyunPhoneNumber, aliyunSignature } from "../../functions/providers/aliyun.js";
import {
  AliyunRepliesSchema,
  AliyunReportsSchema,
  fromAliyunReplies,
  fromAliyunReports,
  fromSnsNotification,
} from "../../functions/providers/inbound-payloads.js";

const KEYWORDS = ["T", "TD", "退订", "R", "STOP"];

describe("inbound replies and receipts", () => {
  it("treats T, TD, 退订, R and STOP in any case, with stray spaces or punctuation, as opt-outs", () => {
    for (const reply of ["T", "td", " 退订 ", "r", "Stop", "STOP!", "退订。"]) {
      expect(isOptOutReply(reply, KEYWORDS), reply).toBe(true);
    }
    for (const reply of ["Thanks", "不要退订", "TDD", "restart"])
      expect(isOptOutReply(reply, KEYWORDS), reply).toBe(false);
  });

  it("reads Aliyun's upstream-message and delivery-report pushes (Beijing time, bare mainland numbers)", () => {
    const replies = AliyunRepliesSchema.parse([
      {
        phone_number: "13800000000",
        send_time: "2026-06-18 10:00:00",
        content: "TD",
        sign_name: "Shop",
        dest_code: "1",
        sequence_id: 7,
      },
    ]);
    expect(fromAliyunReplies(replies)).toEqual([
      {
        kind: "reply",
        from: "+8613800000000",
        text: "TD",
        at: "2026-06-18T10:00:00.000+08:00",
        source: "aliyun",
      },
    ]);
    const reports = AliyunReportsSchema.parse([
      {
        phone_number: "13800000000",
        send_time: "2026-06-18 10:00:00",
        report_time: "2026-06-18 10:00:05",
        success: false,
        err_code: "MK:0001",
        err_msg: "失败",
        sms_size: "1",
        biz_id: "9^0",
        out_id: "x",
      },
    ]);
    expect(fromAliyunReports(reports)).toEqual([
      {
        kind: "receipt",
        provider: "aliyun",
        messageId: "9^0",
        // OutId as sent: what matches the report to a send whose BizId never came back.
        reference: "x",
        delivery: "failed",
        at: "2026-06-18T10:00:05.000+08:00",
      },
    ]);
  });

  it("reads two-way SMS replies and End User Messaging delivery events from the inbound topic", () => {
    const reply = JSON.stringify({
      originationNumber: "+14255550182",
      destinationNumber: "+12125550101",
      messageKeyword: "KEYWORD_1",
      messageBody: "STOP",
      inboundMessageId: "cae173d2",
    });
    expect(fromSnsNotification(reply, "2026-06-18T02:00:00.000Z")).toEqual([
      {
        kind: "reply",
        from: "+14255550182",
        text: "STOP",
        at: "2026-06-18T02:00:00.000Z",
        source: "sms-two-way",
      },
    ]);
    const delivered = JSON.stringify({
      eventType: "TEXT_DELIVERED",
      eventTimestamp: 1781748000000,
      messageId: "m-1",
    });
    expect(fromSnsNotification(delivered, "2026-06-18T02:00:00.000Z")).toEqual([
      {
        kind: "receipt",
        provider: "end-user-messaging",
        messageId: "m-1",
        delivery: "delivered",
        at: new Date(1781748000000).toISOString(),
      },
    ]);
    expect(fromSnsNotification(JSON.stringify({ eventType: "TEXT_QUEUED", messageId: "m-1" }), "x")).toEqual(
      [],
    );
    expect(() => fromSnsNotification(JSON.stringify({ hello: 1 }), "x")).toThrow(/messageBody or eventType/);
  });

  it("masks phone numbers for logs", () => {
    expect(maskPhone("+8613800000000")).toBe("+86138****0000");
    expect(maskPhone("13812345678")).toBe("138****5678");
    expect(maskPhonesIn("sent to +8613812345678 and 13812345678")).toBe(
      "sent to +86138****5678 and 138****5678",
    );
    // Longer digit runs are ids (Shopify's are 18 digits), not phone numbers.
    expect(maskPhonesIn("order 820982911946154508")).toBe("order 820982911946154508");
  });
});

describe("Aliyun signature method V1", () => {
  it("matches the worked example in Aliyun's documentation (DescribeRegions, testsecret)", () => {
    const params = {
      AccessKeyId: "testid",
      Action: "DescribeRegions",
      Format: "XML",
      SignatureMethod: "HMAC-SHA1",
      SignatureNonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
      SignatureVersion: "1.0",
      Timestamp: "2016-02-23T12:46:24Z",
      Version: "2014-05-26",
    };
    expect(aliyunSignature("GET", params, "testsecret")).toBe("OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
  });

  it("percent-encodes what encodeURIComponent leaves alone and writes numbers the way Aliyun wants", () => {
    expect(aliyunPercentEncode("a b*c~d!'()")).toBe("a%20b%2Ac~d%21%27%28%29");
    expect(aliyunPhoneNumber("+8613800000000")).toBe("13800000000");
    expect(aliyunPhoneNumber("+85291234567")).toBe("85291234567");
  });
});
