/** The small part of mvdan-sh (mvdan/sh compiled to JavaScript) that backburner uses. */
declare module 'mvdan-sh' {
  interface ShNode {
    [key: string]: unknown;
  }
  interface ShParser {
    Parse(source: string, name: string): ShNode;
  }
  interface ShSyntax {
    NewParser(...options: unknown[]): ShParser;
    Walk(node: ShNode, visit: (node: ShNode | null) => boolean): void;
    NodeType(node: ShNode): string;
    /** A parser option: the shell dialect to parse. */
    Variant(language: unknown): unknown;
    LangPOSIX: unknown;
    LangBash: unknown;
  }
  const sh: { syntax: ShSyntax };
  export default sh;
}
