/**
 * @module Roots a client asks an upstream server to see, narrowed to the
 * roots the operator configured for that server.
 */
import { isAbsolute, relative, resolve } from "node:path";

/**
 * Narrows requested roots (absolute paths or file:// URIs) to the
 * operator's: a requested root is kept only if it lies inside one of them.
 * With no operator roots nothing is allowed, so a client can never widen
 * what a server sees.
 */
export function constrainRoots(operatorRoots: readonly string[], requested: readonly string[]): { allowed: string[]; refused: string[] } {
  const allowed: string[] = [];
  const refused: string[] = [];
  for (const root of requested) {
    const path = rootPath(root);
    const inside = path !== undefined && operatorRoots.some((base) => isWithin(resolve(base), path));
    if (inside && path !== undefined) allowed.push(path);
    else refused.push(root);
  }
  return { allowed: [...new Set(allowed)], refused };
}

function rootPath(root: string): string | undefined {
  let path = root;
  if (root.startsWith("file://")) {
    try {
      const url = new URL(root);
      if (url.host !== "" && url.host !== "localhost") return undefined;
      path = decodeURIComponent(url.pathname);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(path) ? resolve(path) : undefined;
}

function isWithin(base: string, path: string): boolean {
  const rel = relative(base, path);
  return rel === "" || (rel !== ".." && !rel.startsWith("../") && !isAbsolute(rel));
}
