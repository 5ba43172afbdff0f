import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Static checks on the signature verifiers' source: they compare signatures only with
 * crypto.timingSafeEqual, never with `===`, `!==`, `Buffer.equals` or `Buffer.compare`, whose time
 * depends on how many leading bytes match. Read with the TypeScript parser, not with regexes, so
 * comments and strings do not count.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const VERIFIERS = [
  "functions/sources/stripe/verify.ts",
  "functions/sources/standard-webhooks.ts",
  "functions/sources/paddle/verify.ts",
  "functions/sources/chargebee/verify.ts",
  "functions/sources/lemonsqueezy/verify.ts",
  "functions/sources/workos/verify.ts",
];
const SECRET_NAMES = /sig|expected|candidate|digest|hmac|mac\b/i;

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(path.join(root, file), "utf8"), ts.ScriptTarget.ES2022, true);
}

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

/** Comparisons of signature material by value: `a === b` on signature-named operands (lengths and presence aside), `.equals`, `Buffer.compare`. */
function unsafeComparisons(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const EQUALITY = [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken];
  // Lengths are public (a hex or base64 HMAC has one length), and so is whether a header is there at all.
  const isPublic = (e: ts.Expression) =>
    (ts.isPropertyAccessExpression(e) && e.name.text === "length") || e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === "undefined");
  walk(source, (n) => {
    if (ts.isBinaryExpression(n) && EQUALITY.includes(n.operatorToken.kind)) {
      const operands = [n.left, n.right];
      if (!operands.some(isPublic) && operands.some((e) => SECRET_NAMES.test(e.getText()))) found.push(n.getText());
    }
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ["equals", "compare", "localeCompare"].includes(n.expression.name.text)) {
      found.push(n.getText());
    }
  });
  return found;
}

const calls = (source: ts.SourceFile, name: string) => {
  let n = 0;
  walk(source, (node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === name) n++;
  });
  return n;
};

describe("constant-time signature comparison (static check of the verifier source)", () => {
  for (const file of VERIFIERS) {
    it(`${file} compares signatures with crypto.timingSafeEqual imported from node:crypto`, () => {
      const source = parse(file);
      const imported = source.statements.some(
        (s) =>
          ts.isImportDeclaration(s) &&
          (s.moduleSpecifier as ts.StringLiteral).text === "node:crypto" &&
          s.importClause?.namedBindings !== undefined &&
          ts.isNamedImports(s.importClause.namedBindings) &&
          s.importClause.namedBindings.elements.some((e) => e.name.text === "timingSafeEqual"),
      );
      expect(imported).toBe(true);
      expect(calls(source, "timingSafeEqual")).toBeGreaterThan(0);
    });

    it(`${file} never compares signature material with ===, !==, .equals or Buffer.compare`, () => {
      expect(unsafeComparisons(parse(file))).toEqual([]);
    });
  }

  it("flags a verifier that compares signatures with === (the check can fail)", () => {
    const bad = ts.createSourceFile("bad.ts", "const ok = expected.toString('hex') === signature;", ts.ScriptTarget.ES2022, true);
    const alsoBad = ts.createSourceFile("bad2.ts", "const ok = candidate.equals(expected);", ts.ScriptTarget.ES2022, true);
    const fine = ts.createSourceFile("ok.ts", "const ok = candidate.length === expected.length && timingSafeEqual(candidate, expected);", ts.ScriptTarget.ES2022, true);
    expect(unsafeComparisons(bad)).toHaveLength(1);
    expect(unsafeComparisons(alsoBad)).toHaveLength(1);
    expect(unsafeComparisons(fine)).toEqual([]);
  });
});
