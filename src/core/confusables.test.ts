import { describe, expect, it } from "vitest";
import { hasNonAscii, nameCollision, skeleton } from "./confusables.js";

describe("skeleton", () => {
  it("maps Cyrillic and Greek lookalikes to Latin", () => {
    expect(skeleton("\u0455end_email")).toBe("send_email"); // Cyrillic dze
    expect(skeleton("s\u0435nd_\u0435mail")).toBe("send_email"); // Cyrillic ie
    expect(skeleton("\u0392\u039f\u03a4")).toBe("bot"); // Greek capitals
    expect(skeleton("r\u03bfot")).toBe("root"); // Greek omicron
  });

  it("folds fullwidth letters and digits with NFKC", () => {
    expect(skeleton("\uff53\uff45\uff4e\uff44_email")).toBe("send_email");
    expect(skeleton("tool\uff12")).toBe("tool2");
  });

  it("maps digit lookalikes and drops invisible characters", () => {
    expect(skeleton("ver\u0417")).toBe("ver3");
    expect(skeleton("send\u200b_email")).toBe("send_email");
    expect(skeleton("send_email\udb40\udc41")).toBe("send_email");
  });
});

describe("nameCollision", () => {
  it("is undefined for equal and for unalike names", () => {
    expect(nameCollision("send_email", "send_email")).toBeUndefined();
    expect(nameCollision("send_email", "read_email")).toBeUndefined();
  });

  it("tells a case-only difference from a lookalike", () => {
    expect(nameCollision("Send_Email", "send_email")).toBe("case");
    expect(nameCollision("\u0455end_email", "send_email")).toBe("confusable");
    expect(nameCollision("\uff33end_email", "send_email")).toBe("confusable");
  });

  it("knows which side imitates", () => {
    expect(hasNonAscii("\u0455end_email")).toBe(true);
    expect(hasNonAscii("send_email")).toBe(false);
  });
});
