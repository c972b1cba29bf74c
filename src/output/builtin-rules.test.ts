import { describe, expect, it } from "vitest";
import { BUILTIN_RULES } from "./builtin-rules.js";
import { scanText } from "./text-scan.js";

/** Fake credentials are assembled from parts so this file does not trip secret scanners. */
const j = (...parts: string[]): string => parts.join("");
const R36 = "Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe6QuV";
const R40 = "wq8R3k/Tn5WmX2pLv9Yb+C4dHf7JsG1aNe6QuVx0";
const jwt = (header: object): string =>
  [JSON.stringify(header), JSON.stringify({ sub: "42", iat: 1700000000 })].map((p) => btoa(p).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")).join(".") + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

/** Types found at the confidence a policy acts on (≥ 0.5). */
function types(text: string): string[] {
  return scanText(text, BUILTIN_RULES).matches.filter((m) => m.confidence >= 0.5).map((m) => m.type);
}

describe("secret detectors", () => {
  it.each([
    ["aws_access_key", `AWS_ACCESS_KEY_ID=${j("AK", "IA")}Q3ZKX7MHB2RL5TNV`],
    ["aws_access_key", `"AccessKeyId": "${j("AS", "IA")}Y6T2PWQK4M7XJ3BD"`],
    ["aws_secret_key", `aws_secret_access_key = ${R40}`],
    ["aws_secret_key", `"SecretAccessKey": "${R40}"`],
    ["gcp_api_key", `apiKey: ${j("AI", "za")}SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY`],
    ["private_key", `${j("-----BEGIN", " RSA PRIVATE KEY-----")}\n${"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n".repeat(3)}${j("-----END", " RSA PRIVATE KEY-----")}`],
    ["private_key", `{"private_key": "${j("-----BEGIN", " PRIVATE KEY-----")}\\n${"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj".repeat(2)}\\n${j("-----END", " PRIVATE KEY-----")}\\n"}`],
    ["azure_storage_key", `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${"Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe6QuV/+".repeat(3).slice(0, 86)}==;EndpointSuffix=core.windows.net`],
    ["github_token", `GITHUB_TOKEN=${j("gh", "p_")}${R36}`],
    ["github_token", `token: ${j("github", "_pat_")}11ABCDEFG0123456789abc_${"Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe6QuVZq8R3kTn5WmX2pLv9YbC4dH".slice(0, 59)}`],
    ["slack_token", `SLACK_BOT_TOKEN=${j("xo", "xb-")}123456789012-1234567890123-${R36.slice(0, 24)}`],
    ["slack_webhook", `url: ${j("https://hooks.", "slack.com/services/")}T0A1B2C3D/B0A1B2C3D4E/${R36.slice(0, 24)}`],
    ["stripe_key", `STRIPE_SECRET_KEY=${j("sk", "_live_")}${R36.slice(0, 24)}`],
    ["stripe_key", `key=${j("rk", "_live_")}${R36.slice(0, 24)}`],
    ["npm_token", `//registry.npmjs.org/:_authToken=${j("np", "m_")}${R36}`],
    ["openai_key", `OPENAI_API_KEY=${j("sk", "-proj-")}${R36}${R36}`],
    ["anthropic_key", `ANTHROPIC_API_KEY=${j("sk", "-ant-api03-")}${R36}${R36}AA`],
    ["jwt", `Authorization: Bearer ${jwt({ alg: "HS256", typ: "JWT" })}`],
    ["url_password", "DATABASE_URL=postgres://app:Xk9mP2vL8qR4wZ7t@db.internal:5432/app"],
    ["url_password", "redis://:s3cr3tPassw0rdX@cache.local:6379/0"],
    ["generic_secret", "DB_PASSWORD=Maple!2024rocks"],
    ["generic_secret", '"client_secret": "8f3kd93kLw0qpZm4Nx7vBt2Rj5Hs"'],
    ["generic_secret", "Authorization: Bearer 9f8e7d6c5b4a39281706abcDEFghiJKL"],
  ])("finds %s in %j", (type, text) => {
    expect(types(text)).toEqual([type]);
  });

  it.each([
    ["the documented example key id", `AWS_ACCESS_KEY_ID=${j("AK", "IA")}IOSFODNN7EXAMPLE`],
    ["the documented example secret", `aws_secret_access_key=${j("wJalrXUtnFEMI/K7MDENG/bPxRfi", "CYEXAMPLEKEY")}`],
    ["a placeholder GitHub token", `GITHUB_TOKEN=${j("gh", "p_")}${"x".repeat(36)}`],
    ["a publishable Stripe key", `${j("pk", "_live_")}${R36.slice(0, 24)}`],
    ["a template reference", "password: ${DB_PASSWORD}"],
    ["a placeholder password", "password=changeme"],
    ["a masked password", 'password: "********"'],
    ["settings about tokens", "max_tokens: 4096\ntoken_type: Bearer\npassword_min_length: 12"],
    ["a secret's name", "secret_name: prod/db/credentials"],
    ["a code reference", "const token = process.env.GITHUB_TOKEN;"],
    ["a PEM header in code", `if (line.startsWith("${j("-----BEGIN", " PRIVATE KEY-----")}")) return true;`],
    ["a public key", `${j("-----BEGIN", " PUBLIC KEY-----")}\n${"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n".repeat(3)}${j("-----END", " PUBLIC KEY-----")}`],
    ["a base64 cursor starting with eyJ", `"next_cursor": "${btoa('{"page":2}').replace(/=+$/, "")}"`],
    ["a URL without a password", "https://jane@git.acme-corp.com/repo.git"],
    ["a URL with a placeholder password", "postgresql://app:password@localhost/app"],
    ["UUIDs", "request_id=273390f4-ea23-46f8-8c9f-f8bd6dc5a790"],
    ["hashes", "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\ncommit da39a3ee5e6b4b0d3255bfef95601890afd80709"],
    ["an npm integrity hash", `"integrity": "sha512-${"Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe6QuV/+".repeat(3).slice(0, 86)}=="`],
  ])("ignores %s", (_name, text) => {
    expect(types(text)).toEqual([]);
  });

  it("reports Stripe test keys at low confidence", () => {
    const [match] = scanText(`${j("sk", "_test_")}${R36.slice(0, 24)}`, BUILTIN_RULES).matches;
    expect(match?.type).toBe("stripe_key");
    expect(match!.confidence).toBeLessThan(0.5);
  });

  it("prefers the specific credential over the generic assignment", () => {
    expect(types(`password=${j("gh", "p_")}${R36}`)).toEqual(["github_token"]);
  });

  it("covers a whole PEM block, END line included", () => {
    const key = `${j("-----BEGIN", " EC PRIVATE KEY-----")}\n${"MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n".repeat(2)}${j("-----END", " EC PRIVATE KEY-----")}`;
    const [match] = scanText(`key:\n${key}\nrest`, BUILTIN_RULES).matches;
    expect(match).toMatchObject({ start: 5, end: 5 + key.length, confidence: 0.99 });
  });
});

describe("PII detectors", () => {
  it.each([
    ["email", "contact: jane.doe@acme-corp.com"],
    ["email", "Mail <omar.haddad42@initech.co.uk> for access."],
    ["phone", "phone: (415) 555-0132"],
    ["phone", "call +44 20 7946 0958 today"],
    ["phone", "mobile=+14155550132"],
    ["phone", "tel 415-555-0132"],
    ["credit_card", "card_number: 4539 1488 0343 6467"],
    ["credit_card", "pan=4539148803436467"],
    ["credit_card", "amex 3782 822463 10005"],
    ["iban", "iban: DE89 3704 0044 0532 0130 00"],
    ["iban", "GB82WEST12345698765432"],
    ["ssn", "ssn: 123-45-6789"],
    ["ip_address", "client_ip=81.2.69.142"],
    ["ip_address", "remote 2a01:4f8:c17:b8f::2"],
  ])("finds %s in %j", (type, text) => {
    expect(types(text)).toEqual([type]);
  });

  it.each([
    ["an SSH remote", "origin git@github.com:acme/api.git"],
    ["package specs", "lodash@4.17.21 and @types/node@20.11.0"],
    ["an image name", "logo@2x.png"],
    ["a host without a domain", "jane@localhost"],
    ["dates and times", "2024-01-15 10:22:03, 15/01/2024, 2024.01.15"],
    ["a version", "version 1.2.3.4 and assembly_version: 1.0.0.0"],
    ["an order number", "order ORD-2024-004512, invoice INV-000123456"],
    ["a Unix timestamp", "epoch 1705312923123"],
    ["a card number failing Luhn", "card 4539 1488 0343 6468"],
    ["a 16-digit reference with no card prefix", "ref 1234567812345670"],
    ["an IBAN with a wrong check", "iban DE88370400440532013000"],
    ["invalid SSN ranges", "000-12-3456 666-12-3456 912-12-3456 123-00-4567 123-45-0000"],
    ["a MAC address", "hw 00:1a:2b:3c:4d:5e"],
    ["times with colons", "at 10:30:45"],
    ["an OID", "oid 1.3.6.1.4.1.311"],
    ["prices", "total 1,299.00 or 12999.99"],
    ["an ISBN", "978-0-306-40615-7"],
  ])("ignores %s", (_name, text) => {
    expect(types(text)).toEqual([]);
  });

  it("reports private and loopback addresses at low confidence", () => {
    const matches = scanText("bind 10.0.0.5, 192.168.1.1, 127.0.0.1, ::1 and fe80::1ff:fe23:4567:890a", BUILTIN_RULES).matches;
    expect(matches.map((m) => m.type)).toEqual(Array(5).fill("ip_address"));
    expect(matches.every((m) => m.confidence < 0.5)).toBe(true);
  });

  it("does not report the password@host of a URL as an email", () => {
    expect(types("amqp://deploy:Xk9mP2vL8qR4wZ7t@mq.acme-corp.com:5672/prod")).toEqual(["url_password"]);
  });
});

describe("context from tables and sentences", () => {
  const psql = (header: string, value: string): string =>
    [` status | ${header} | region`, `--------+${"-".repeat(header.length + 2)}+--------`, ` active | ${value} | eu-west-1`, "(1 row)"].join("\n");

  it("ignores four-part versions in a version column, not addresses beside them", () => {
    expect(types("assembly_version,user_id,status\n7.4.4.9,146454,ok\n")).toEqual([]);
    expect(types(psql("firmware", "1.5.0.186"))).toEqual([]);
    expect(types("file_version,client_ip\n5.3.4.76,81.2.69.142\n")).toEqual(["ip_address"]);
  });

  it("lets a sentence's full stop end an IPv6 address or a generic secret", () => {
    expect(types("The x-forwarded-for is 2a01:4f8:1da6:60::53.")).toEqual(["ip_address"]);
    expect(types(`The api secret is ${"5f5add46d48b31f9a0d18854281cf8a6".repeat(2)}.`)).toEqual(["generic_secret"]);
  });
});

describe("code is not a secret", () => {
  it.each([
    ["a type annotation", "    progressToken: z.ZodOptional<z.ZodUnion<readonly [z.ZodString, z.ZodNumber]>>;"],
    ["a type name", "    password: BinaryLike, salt: BinaryLike"],
    ["a type name in an interface", "  credentials: RequestCredentials;"],
    ["an identifier", "const varToken = declarationIsDefault;"],
    ["a property path", "privateKey: options.privateKey,"],
    ["an optional chain", "this.#withCredentials = eventSourceInitDict?.withCredentials;"],
    ["an exported constant", "exports.AST_TOKEN_TYPES = exports.AST_NODE_TYPES;"],
    ["a quoted identifier", 'TSPrivateKeyword = "TSPrivateKeyword",'],
    ["a working directory", "PWD: '/Users/maciej/src/app'"],
    ["a section number", "the key size (RFC 7518, Section 6.2.1.3) and section 24.5.1.1"],
    ["an IPv6 prefix", "the NAT64 prefix 64:ff9b:1:: is local"],
    ["a documentation URL password", "new URL('https://abc:xyz@example.com'); amqp://guest:guest@localhost"],
    ["a constant in minified code", "n=this._imul(n,5)+3864292196"],
  ])("ignores %s", (_name, text) => {
    expect(types(text)).toEqual([]);
  });

  it.each([
    ["a bare random token", `API_TOKEN=${R36}`],
    ["a bare password with digits", "password: hunter2abc"],
    ["a quoted password made of words", '"password": "CorrectHorseBatteryStaple"'],
    ["a quoted random secret", `client_secret = "${R36}"`],
  ])("still finds %s", (_name, text) => {
    expect(types(text)).toEqual(["generic_secret"]);
  });
});
