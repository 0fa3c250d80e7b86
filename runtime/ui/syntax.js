// Values of the web API (runtime §10.2, `{"type": …, "value": …}`) printed in configuration
// syntax, as `ferroalloy fmt` and Alloy print them: strings quoted like Go's %q, object keys
// bare when they are identifiers, short scalar lists on one line, everything else one entry per
// line. Pure functions, no DOM: the page inserts the result with textContent.
"use strict";

(function (global) {
  const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u;
  const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
  const INLINE_WIDTH = 60;

  function hex(code, width) {
    return code.toString(16).padStart(width, "0");
  }

  // Go's strconv.Quote: printable characters as themselves, the rest escaped.
  function quote(text) {
    let out = '"';
    for (const ch of String(text)) {
      const code = ch.codePointAt(0);
      switch (ch) {
        case '"': out += '\\"'; continue;
        case "\\": out += "\\\\"; continue;
        case "\u0007": out += "\\a"; continue;
        case "\b": out += "\\b"; continue;
        case "\f": out += "\\f"; continue;
        case "\n": out += "\\n"; continue;
        case "\r": out += "\\r"; continue;
        case "\t": out += "\\t"; continue;
        case "\v": out += "\\v"; continue;
        default: break;
      }
      if (code < 0x80 ? code >= 0x20 && code < 0x7f : PRINTABLE.test(ch)) {
        out += ch;
      } else if (code < 0x80) {
        out += "\\x" + hex(code, 2);
      } else if (code < 0x10000) {
        out += "\\u" + hex(code, 4);
      } else {
        out += "\\U" + hex(code, 8);
      }
    }
    return out + '"';
  }

  function key(name) {
    return IDENTIFIER.test(name) ? name : quote(name);
  }

  function isScalar(value) {
    return !value || (value.type !== "array" && value.type !== "object");
  }

  // One value; `indent` is the indentation of the line the value starts on.
  function format(value, indent) {
    indent = indent || "";
    if (!value || typeof value !== "object") {
      return "null";
    }
    const inner = indent + "  ";
    switch (value.type) {
      case "null":
        return "null";
      case "number":
        return String(value.value);
      case "string":
        return quote(value.value);
      case "bool":
        return value.value ? "true" : "false";
      case "function":
        return "function";
      case "capsule":
        return String(value.value);
      case "array": {
        const items = Array.isArray(value.value) ? value.value : [];
        if (items.length === 0) {
          return "[]";
        }
        if (items.every(isScalar)) {
          const line = "[" + items.map((item) => format(item, indent)).join(", ") + "]";
          if (line.length <= INLINE_WIDTH) {
            return line;
          }
        }
        return "[\n" + items.map((item) => inner + format(item, inner) + ",\n").join("") + indent + "]";
      }
      case "object": {
        const entries = Array.isArray(value.value) ? value.value : [];
        if (entries.length === 0) {
          return "{}";
        }
        return "{\n" + entries.map((entry) =>
          inner + key(String(entry.key)) + " = " + format(entry.value, inner) + ",\n").join("") + indent + "}";
      }
      default:
        return String(value.value);
    }
  }

  // One value on one line, for table cells: `{ a = 1, b = "x" }`, `[1, 2]`.
  function formatInline(value) {
    if (!value || typeof value !== "object") {
      return "null";
    }
    if (value.type === "array") {
      const items = Array.isArray(value.value) ? value.value : [];
      return "[" + items.map(formatInline).join(", ") + "]";
    }
    if (value.type === "object") {
      const entries = Array.isArray(value.value) ? value.value : [];
      if (entries.length === 0) {
        return "{}";
      }
      return "{ " + entries.map((entry) => key(String(entry.key)) + " = " + formatInline(entry.value)).join(", ") + " }";
    }
    return format(value, "");
  }

  global.FerroSyntax = { quote: quote, format: format, formatInline: formatInline, key: key };
})(typeof window !== "undefined" ? window : globalThis);
