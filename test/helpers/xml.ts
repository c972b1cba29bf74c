/**
 * @module A strict little XML reader for tests: enough to prove a JUnit
 * report well-formed (balanced tags, quoted attributes, only valid entity
 * references, no stray `<` or `&`) and to look inside it. It throws on
 * anything it does not accept.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = "[A-Za-z_:][-A-Za-z0-9_:.]*";
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/g;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  if (raw.includes("<")) throw new Error(`${where}: raw '<'`);
  if (raw.replace(ENTITY, "").includes("&")) throw new Error(`${where}: '&' that is not an entity reference`);
  return raw.replace(ENTITY, (ref) => {
    const body = ref.slice(1, -1);
    if (body.startsWith("#x")) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith("#")) return String.fromCodePoint(Number(body.slice(1)));
    return ENTITIES[body]!;
  });
}

function parseAttributes(text: string, where: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  const pattern = new RegExp(`\\s+(${NAME})\\s*=\\s*"([^"]*)"`, "y");
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) throw new Error(`${where}: malformed attributes: ${text.slice(index)}`);
    if (match[1]! in attributes) throw new Error(`${where}: duplicate attribute ${match[1]}`);
    attributes[match[1]!] = decode(match[2]!, `${where} @${match[1]}`);
    index = pattern.lastIndex;
  }
  return attributes;
}

export function parseXml(xml: string): XmlElement {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const tag = new RegExp(`<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*"[^"]*")*)\\s*(/?)>`, "g");
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  let last = 0;
  for (const match of body.matchAll(tag)) {
    const between = body.slice(last, match.index);
    const top = stack[stack.length - 1]!;
    if (stack.length === 1 && between.trim() !== "") throw new Error("text outside the root element");
    top.text += decode(between, `text in <${top.name}>`);
    last = match.index + match[0].length;
    const [, closing, name, rawAttributes, selfClosing] = match;
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const element: XmlElement = { name: name!, attributes: parseAttributes(rawAttributes!, `<${name}>`), children: [], text: "" };
    top.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  const rest = body.slice(last);
  if (rest.trim() !== "") throw new Error(`unparsed content at the end: ${rest.slice(0, 40)}`);
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error(`expected one root element, found ${root.children.length}`);
  return root.children[0]!;
}

export function findAll(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...findAll(child, name)]);
}
