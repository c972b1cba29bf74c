import { describe, expect, it } from "vitest";
import { cardBrand, ibanValid, isHexDigest, isJwtHeader, isPlaceholder, isUuid, luhnValid, parseIpv6, shannonEntropy, ssnValid } from "./validators.js";

describe("checksums", () => {
  it("Luhn accepts valid numbers and rejects a changed digit", () => {
    expect(luhnValid("4539 1488 0343 6467")).toBe(true);
    expect(luhnValid("4539 1488 0343 6468")).toBe(false);
    expect(luhnValid("378282246310005")).toBe(true);
  });

  it("mod-97 accepts IBANs with and without spaces and rejects a wrong check", () => {
    expect(ibanValid("DE89370400440532013000")).toBe(true);
    expect(ibanValid("GB82 WEST 1234 5698 7654 32")).toBe(true);
    expect(ibanValid("DE88370400440532013000")).toBe(false);
    expect(ibanValid("XX89370400440532013000")).toBe(false);
    expect(ibanValid("DE8937040044053201300")).toBe(false);
  });

  it("knows card brands by prefix and length", () => {
    expect(cardBrand("4539148803436467")).toBe("visa");
    expect(cardBrand("5500005555555559")).toBe("mastercard");
    expect(cardBrand("378282246310005")).toBe("amex");
    expect(cardBrand("1234567812345670")).toBeUndefined();
  });

  it("excludes SSN ranges the SSA never issues", () => {
    expect(ssnValid("123", "45", "6789")).toBe(true);
    for (const [a, g, s] of [["000", "12", "3456"], ["666", "12", "3456"], ["912", "12", "3456"], ["123", "00", "4567"], ["123", "45", "0000"]]) {
      expect(ssnValid(a!, g!, s!)).toBe(false);
    }
  });
});

describe("shapes", () => {
  it("measures entropy", () => {
    expect(shannonEntropy("aaaaaaaa")).toBe(0);
    expect(shannonEntropy("abcdefgh")).toBe(3);
  });

  it.each(["AKIAIOSFODNN7EXAMPLE", "changeme", "${DB_PASSWORD}", "{{ .Values.token }}", "<your-api-key>", "xxxxxxxxxxxxxxxx", "%API_KEY%", "$TOKEN", "aaaaaaaaaaaaaaaaaaaa"])(
    "%s is a placeholder",
    (value) => expect(isPlaceholder(value)).toBe(true),
  );

  it.each(["Zq8R3kTn5WmX2pLv9YbC", "Maple!2024rocks"])("%s is not a placeholder", (value) => expect(isPlaceholder(value)).toBe(false));

  it("recognises UUIDs and hex digests", () => {
    expect(isUuid("273390f4-ea23-46f8-8c9f-f8bd6dc5a790")).toBe(true);
    expect(isHexDigest("da39a3ee5e6b4b0d3255bfef95601890afd80709")).toBe(true);
    expect(isHexDigest("da39a3ee5e6b4b0d3255bfef95601890afd8070")).toBe(false);
  });

  it("reads a JWT header only when it is JSON with alg", () => {
    expect(isJwtHeader(btoa(JSON.stringify({ alg: "HS256", typ: "JWT" })).replace(/=+$/, ""))).toBe(true);
    expect(isJwtHeader(btoa(JSON.stringify({ page: 2 })).replace(/=+$/, ""))).toBe(false);
    expect(isJwtHeader("!!!")).toBe(false);
  });

  it("parses IPv6 with and without ::", () => {
    expect(parseIpv6("2001:db8::1")).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("2600:1f18:1:2:3:4:5:6")).toHaveLength(8);
    expect(parseIpv6("10:30:45")).toBeUndefined();
    expect(parseIpv6("00:1a:2b:3c:4d:5e")).toBeUndefined();
    expect(parseIpv6("1::2::3")).toBeUndefined();
  });
});
