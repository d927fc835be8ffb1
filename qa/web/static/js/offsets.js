// qa's offsets count code points (Python str indices); JavaScript strings count UTF-16 units.
// They differ only after a character outside the Basic Multilingual Plane (an emoji, some
// mathematical letters), so the map is built only for a text that has one.

/** A function from a code point offset in `text` to its UTF-16 index. */
export function codePointIndex(text) {
  if (!/[\uD800-\uDFFF]/.test(text)) return (offset) => offset;
  const units = [0];
  for (const ch of text) units.push(units[units.length - 1] + ch.length);
  return (offset) => units[Math.max(0, Math.min(offset, units.length - 1))];
}
