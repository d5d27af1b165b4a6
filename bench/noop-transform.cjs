// jscodeshift no-op for the benchmark: parse and print each file, change nothing.
// The same two steps our pipeline does before parsing (keyword tokens masked with identifiers of the
// same length, a name given to an anonymous rule function), so jscodeshift parses the same files.
const ANONYMOUS_RULE = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/|(['"])use strict\1;?)*(?:async\s+)?function\s*(?=\()/;

module.exports = function noop(file, api) {
  const masked = file.source.replace(/@@[A-Za-z0-9_]+@@|##[A-Za-z0-9_]+##/g, (token) => `$${'_'.repeat(token.length - 1)}`);
  const match = ANONYMOUS_RULE.exec(masked);
  const source = match ? masked.slice(0, match[0].length) + '__rule' + masked.slice(match[0].length) : masked;
  return api.jscodeshift(source).toSource();
};
