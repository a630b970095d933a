/**
 * Carriers as shops name them (the Chinese name, its short form, a platform's code) → Kuaidi100's company
 * code ("快递公司编码", Kuaidi100's code table; the lower-case codes its subscription API takes). A carrier
 * not listed is subscribed with `autoCom: 1`: Kuaidi100 tells the company from the number.
 */
const COMPANY_CODES: Readonly<Record<string, string>> = {
  shunfeng: "shunfeng",
  顺丰: "shunfeng",
  顺丰速运: "shunfeng",
  sf: "shunfeng",
  "sf express": "shunfeng",
  zhongtong: "zhongtong",
  中通: "zhongtong",
  中通快递: "zhongtong",
  zto: "zhongtong",
  yuantong: "yuantong",
  圆通: "yuantong",
  圆通速递: "yuantong",
  yto: "yuantong",
  yunda: "yunda",
  韵达: "yunda",
  韵达快递: "yunda",
  shentong: "shentong",
  申通: "shentong",
  申通快递: "shentong",
  sto: "shentong",
  jtexpress: "jtexpress",
  极兔: "jtexpress",
  极兔速递: "jtexpress",
  "j&t": "jtexpress",
  jd: "jd",
  京东: "jd",
  京东快递: "jd",
  ems: "ems",
  youzhengguonei: "youzhengguonei",
  邮政: "youzhengguonei",
  中国邮政: "youzhengguonei",
  邮政快递包裹: "youzhengguonei",
  debangkuaidi: "debangkuaidi",
  德邦: "debangkuaidi",
  德邦快递: "debangkuaidi",
};

/** Kuaidi100's company code for a carrier as the order named it, or undefined to let Kuaidi100 tell. */
export function kuaidi100Company(carrier: string | undefined): string | undefined {
  if (!carrier) return undefined;
  return COMPANY_CODES[carrier.trim().toLowerCase()] ?? COMPANY_CODES[carrier.trim()];
}
