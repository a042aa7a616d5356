/**
 * Drop-in replacement for the `string-width` package (v7/v8 API: `stringWidth(text, options)`),
 * wired in by the bundler (`alias: {'string-width': './lib/sys/string-width-lite.ts'}`).
 *
 * Why: string-width 7/8, used by yargs 18 (via cliui and wrap-ansi), constructs an
 * `Intl.Segmenter` at module load. That costs ~17 ms per copy (two copies in the tree), on every
 * start of the CLI, and a Segmenter cannot be serialised into a V8 startup snapshot.
 * Here the Segmenter is created lazily, only for non-ASCII text, which help texts and
 * error messages of a container runtime practically never contain.
 *
 * Width rules (close to string-width's): ANSI escape codes are not counted (unless
 * `countAnsiEscapeCodes`); printable ASCII is one column per character; otherwise per grapheme
 * cluster: zero for control/format/combining-only clusters, two for emoji presentation and East
 * Asian Wide/Fullwidth characters, one otherwise (East Asian Ambiguous counts one unless
 * `ambiguousIsNarrow: false`).
 */

export interface StringWidthOptions {
  ambiguousIsNarrow?: boolean;
  countAnsiEscapeCodes?: boolean;
}

// eslint-disable-next-line no-control-regex
const ANSI = /[\u001B\u009B][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g;
const PRINTABLE_ASCII = /^[\u0020-\u007E]*$/;
const ZERO_WIDTH_CLUSTER = /^[\p{Default_Ignorable_Code_Point}\p{Control}\p{Format}\p{Mark}\p{Surrogate}]+$/u;
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|^[\d#*]\uFE0F?\u20E3$/u;

let segmenter: Intl.Segmenter | undefined;

/** East Asian Wide (W) and Fullwidth (F) ranges, condensed from Unicode's EastAsianWidth.txt. */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x231a && cp <= 0x231b) ||
    (cp >= 0x2329 && cp <= 0x232a) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe10 && cp <= 0xfe19) ||
    (cp >= 0xfe30 && cp <= 0xfe6f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x16fe0 && cp <= 0x18cff) ||
    (cp >= 0x1b000 && cp <= 0x1b2ff) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** A few common East Asian Ambiguous characters (Greek, Cyrillic, box drawing, ...). */
function isAmbiguous(cp: number): boolean {
  return (
    cp === 0xa1 || cp === 0xa4 || cp === 0xa7 || cp === 0xa8 || cp === 0xaa || cp === 0xb0 || cp === 0xb1 ||
    (cp >= 0x391 && cp <= 0x3c9) ||
    (cp >= 0x401 && cp <= 0x451) ||
    (cp >= 0x2010 && cp <= 0x2027) ||
    (cp >= 0x2460 && cp <= 0x24ff) ||
    (cp >= 0x2500 && cp <= 0x257f) ||
    (cp >= 0x25a0 && cp <= 0x25ff)
  );
}

export default function stringWidth(input: unknown, options: StringWidthOptions = {}): number {
  if (typeof input !== 'string' || input.length === 0) return 0;
  let text = input;
  if (!options.countAnsiEscapeCodes && (text.includes('\u001B') || text.includes('\u009B'))) {
    text = text.replace(ANSI, '');
  }
  if (PRINTABLE_ASCII.test(text)) return text.length;

  const ambiguousWide = options.ambiguousIsNarrow === false;
  segmenter ??= new Intl.Segmenter();
  let width = 0;
  for (const { segment } of segmenter.segment(text)) {
    if (ZERO_WIDTH_CLUSTER.test(segment)) continue;
    if (EMOJI_PRESENTATION.test(segment)) {
      width += 2;
      continue;
    }
    // the first visible code point decides; trailing Halfwidth/Fullwidth Forms (e.g. a
    // halfwidth dakuten after a halfwidth katakana) add their own column, as in string-width
    let base = true;
    for (const ch of segment) {
      const cp = ch.codePointAt(0) ?? 0;
      if (base) {
        if (ZERO_WIDTH_CLUSTER.test(ch)) continue;
        width += isWide(cp) || (ambiguousWide && isAmbiguous(cp)) ? 2 : 1;
        base = false;
      } else if (cp >= 0xff00 && cp <= 0xffef) {
        width += isWide(cp) ? 2 : 1;
      }
    }
  }
  return width;
}
