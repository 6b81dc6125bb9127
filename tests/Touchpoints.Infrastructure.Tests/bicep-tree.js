// Parses Bicep files with tree-sitter-bicep and prints, per file, its syntax errors (ERROR and MISSING nodes) and its
// declarations as JSON: literals become JSON values; identifiers {"$ref"}; calls {"$call", "$args"}; loops {"$for",
// "$body"}; conditions {"$if", "$body"}; anything else {"$expr": text, "$parts": [...]}. Every non-literal carries
// its source text in "$text". Usage: node bicep-tree.js <file.bicep>... | node bicep-tree.js --stdin (one file).
'use strict';
const fs = require('fs');
const Parser = require('tree-sitter');
const Bicep = require('tree-sitter-bicep');

const parser = new Parser();
parser.setLanguage(Bicep);

function errors(root) {
  const found = [];
  const walk = (node) => {
    if (node.type === 'ERROR' || node.isMissing) {
      found.push({
        kind: node.isMissing ? 'MISSING' : 'ERROR',
        type: node.type,
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        text: node.text.slice(0, 120),
      });
      if (node.isMissing) return;
    }
    for (const child of node.children) walk(child);
  };
  walk(root);
  return found;
}

const named = (node) => node.namedChildren.filter((c) => c.type !== 'comment' && c.type !== 'diagnostic_comment');

function keyOf(node) {
  if (node.type === 'string') return stringText(node);
  return node.text;
}

// A string's value with interpolations kept as ${...}.
function stringText(node) {
  let out = '';
  for (const part of named(node)) {
    if (part.type === 'string_content') out += part.text;
    else if (part.type === 'escape_sequence') out += JSON.parse('"' + part.text.replace(/^\\'/, "'").replace(/^\\\$/, '$') + '"');
    else if (part.type === 'interpolation') out += '${' + named(part).map((e) => e.text).join('') + '}';
  }
  return out;
}

function convert(node) {
  switch (node.type) {
    case 'object': {
      const result = {};
      for (const prop of named(node)) {
        if (prop.type !== 'object_property') continue;
        const parts = named(prop);
        if (parts.length < 2) continue;
        result[keyOf(parts[0])] = convert(parts[parts.length - 1]);
      }
      return result;
    }
    case 'array':
      return named(node).filter((c) => c.type !== 'decorators').map(convert);
    case 'string':
      return named(node).some((c) => c.type === 'interpolation')
        ? { $expr: stringText(node), $text: node.text, $interpolated: true, $parts: named(node).filter((c) => c.type === 'interpolation').map((i) => convert(named(i)[0])) }
        : stringText(node);
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    case 'identifier':
      return { $ref: node.text, $text: node.text };
    case 'parenthesized_expression':
      return convert(named(node)[0]);
    case 'call_expression': {
      const fn = node.childForFieldName('function');
      const args = node.childForFieldName('arguments');
      return { $call: fn ? fn.text : '', $args: args ? named(args).map(convert) : [], $text: node.text };
    }
    case 'for_statement': {
      const body = node.childForFieldName('body');
      const header = node.text.slice(0, body ? body.startIndex - node.startIndex : node.text.length);
      return { $for: header, $body: body ? convert(body) : null, $text: node.text };
    }
    case 'if_statement': {
      const kids = named(node);
      const cond = kids.find((c) => c.type === 'parenthesized_expression');
      const body = kids.find((c) => c.type === 'object');
      return { $if: cond ? cond.text : '', $body: body ? convert(body) : null, $text: node.text };
    }
    case 'lambda_expression':
    default:
      return { $expr: node.text, $text: node.text, $parts: named(node).map(convert) };
  }
}

function decoratorsOf(node) {
  // Decorators precede a declaration, inside it or as a sibling "decorators" node depending on the grammar version.
  const found = [];
  const take = (d) => { for (const c of named(d)) if (c.type === 'decorator') found.push(c.text); };
  for (const c of named(node)) if (c.type === 'decorators') take(c);
  let prev = node.previousNamedSibling;
  while (prev && (prev.type === 'comment' || prev.type === 'diagnostic_comment')) prev = prev.previousNamedSibling;
  if (prev && prev.type === 'decorators') take(prev);
  return found;
}

function declarations(root) {
  const result = [];
  for (const node of named(root)) {
    const kids = named(node).filter((c) => c.type !== 'decorators');
    const base = { line: node.startPosition.row + 1, text: node.text };
    switch (node.type) {
      case 'target_scope_assignment':
        result.push({ ...base, kind: 'targetScope', value: convert(kids[0]) });
        break;
      case 'parameter_declaration':
        result.push({ ...base, kind: 'param', name: kids[0].text, type: kids[1] ? kids[1].text : null, value: kids[2] ? convert(kids[2]) : undefined, decorators: decoratorsOf(node) });
        break;
      case 'variable_declaration':
        result.push({ ...base, kind: 'var', name: kids[0].text, value: convert(kids[kids.length - 1]) });
        break;
      case 'output_declaration':
        result.push({ ...base, kind: 'output', name: kids[0].text, type: kids[1].text, value: convert(kids[kids.length - 1]) });
        break;
      case 'resource_declaration':
      case 'module_declaration':
        result.push({
          ...base,
          kind: node.type === 'resource_declaration' ? 'resource' : 'module',
          name: kids[0].text,
          type: stringText(kids[1]),
          value: convert(kids[kids.length - 1]),
        });
        break;
      default:
        if (node.type !== 'decorators') result.push({ ...base, kind: node.type });
    }
  }
  return result;
}

function parse(file, source) {
  const tree = parser.parse(source);
  return { file, errors: errors(tree.rootNode), declarations: declarations(tree.rootNode) };
}

const args = process.argv.slice(2);
const out = args[0] === '--stdin'
  ? [parse('<stdin>', fs.readFileSync(0, 'utf8'))]
  : args.map((file) => parse(file, fs.readFileSync(file, 'utf8')));
process.stdout.write(JSON.stringify(out));
