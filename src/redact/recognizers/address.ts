import { nameLexicon } from '../names/lexicon.ts';
import { KW, scanText } from '../scan.ts';
import type { PiiSpan } from '../types.ts';
import { hasDigit, matchInWindow, numericRuns, type Recognizer } from './recognizer.ts';

/*
 * Postal addresses in French and English forms:
 *   FR: [number [bis|ter]] [,] <voie> <name words> [, <post code> <city>]
 *       "12, rue de la Paix 75002 Paris", "28 bis chemin Etienne d'ORGE", "17 AVENUE GABRIEL PERI"
 *   EN: <number> <name words> <street type> [Apt/Suite n] [, City, ST 12345]
 *       "385 Gemsbok St", "22 Pollen Crescent Apt. 4", "P.O. Box 242", "PSC 3294, Box 9168"
 *   Post code + city alone: "75013 Paris", "92 100 BOULOGNE-BILLANCOURT".
 * Street names are capitalised words and the particles between them; the name ends at the first
 * lower-case word that is not a particle, at punctuation or at a line break.
 */
/** Each word as written in lower case, capitalised or in capitals ("rue", "Rue", "RUE"). */
function anyCase(words: string): string {
  const forms = new Set<string>();
  for (const w of words.split(' ')) {
    forms.add(w);
    forms.add(w[0]!.toUpperCase() + w.slice(1));
    forms.add(w.toUpperCase());
  }
  return [...forms].map((w) => w.replace(/\./g, '\\.')).join('|');
}
/*
 * The street type is matched in any case, the rest of the street case-sensitively: with the 'i'
 * flag, \p{Lu} matches lower-case letters too, and "153 rue du Lys à Lille avaient été
 * abandonnées" ran to the end of the sentence.
 */
const FR_VOIE = `(?:${anyCase(
  'rue avenue av. av boulevard bd bld place pl. chemin ch. allée allee impasse imp. quai route rte cours square sq. faubourg fbg passage voie résidence residence lotissement hameau lieu-dit sentier promenade esplanade villa cité cite parvis rond-point montée montee port cour traverse zone za zi zac',
)})`;
const PARTICLE = `(?:${anyCase('de du des la le les sur sous en aux au à et of the')}|[lLdD]['’])`;
/** French unit designators after the street: "APPT 283", "STUDIO 25", "Bât. B". */
const FR_UNIT = `(?:,?\\s*(?:${anyCase('appt appt. apt. studio bat. bât. bâtiment esc. escalier étage')})\\s*\\w+)*`;
const NAME_WORD = "(?:[\\p{Lu}][\\p{L}\\p{M}'’.\\-]*)";
const STREET_NAME = `(?:${PARTICLE}\\s*)*${NAME_WORD}(?:[ ](?:${PARTICLE}\\s*)*${NAME_WORD}){0,6}`;
const FR_POSTCODE_CITY =
  "(?:(?:,\\s*|\\s+)(?:\\d{5}|\\d{2}\\s\\d{3}|2[AB]\\s?\\d{3})(?:,?\\s+\\p{Lu}[\\p{L}\\p{M}'’\\-]*(?:[ \\-](?:sur|sous|en|le|la|les|de|du|\\p{Lu}[\\p{L}\\p{M}'’\\-]*))*(?:\\s+(?:cedex|CEDEX)(?:\\s\\d{1,2})?)?)?)?";
const FR_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:\\d{1,4}(?:[ -]?\\d{1,4})?(?:\\s?(?:bis|ter|quater|BIS|TER|[A-Da-d])(?![\\p{L}]))?,?\\s+)?${FR_VOIE}(?![\\p{L}])\\s+${STREET_NAME}${FR_UNIT}${FR_POSTCODE_CITY}`,
  'gu',
);
const EN_TYPE =
  '(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Square|Sq|Terrace|Ter|Way|Crescent|Cres|Close|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Trl|Turnpike|Tpke|Row|Alley|Plaza|Walk|Grove|Gardens|Gdns|Hill|Mews|Rise|View|Park|Green|Path|Pike|Loop|Run|Point|Ridge|Harbor|Heights|Junction|Via|Piazza|Rua|Calle|Strasse|Straße|Str|gade|vej|katu|tie|út|utca|ul)\\.?';
const EN_UNIT =
  '(?:,?\\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Fl|Floor|Bldg|Room|Rm|#)\\.?\\s*#?[\\w-]+)?';
const EN_CITY_STATE_ZIP =
  "(?:,?\\s+\\p{Lu}[\\p{L}\\p{M}'\\-]*(?:\\s\\p{Lu}[\\p{L}\\p{M}'\\-]*){0,3},?\\s+(?:[A-Z]{2}\\s+)?\\d{4,5}(?:-\\d{3,4})?)?";
const EN_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}])\\d{1,6}[A-Za-z]?(?:\\s+\\d{1,4})?\\s+(?:${NAME_WORD}\\s+){0,4}${EN_TYPE}(?![\\p{L}])(?:\\s+\\d{1,5}\\.?)?${EN_UNIT}${EN_CITY_STATE_ZIP}`,
  'gu',
);
/** "…, 10623 Berlin", "…, 3049 Leipzig", "…, 2B826 Leipzig": post code and city after a street. */
const EU_POSTCODE_CITY =
  "(?:,\\s*(?:\\d{4,5}|\\d{2}\\s\\d{3}|2[AB]\\d{3})\\s+\\p{Lu}[\\p{L}\\p{M}'’\\-]*)?";
/** European "Name-of-street 25" forms: Koskikatu 25, Via Roma 131, ul. Biskupa Bogedaina 118. */
const EU_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:\\d{1,6}\\s+)?(?:(?:Via|Viale|Piazza|Corso|Rua|Avenida|Calle|Paseo|Plaza|ul\\.|al\\.|Ulica|Straße|Strasse)\\s+(?:${STREET_NAME}|des \\d{1,2}\\. ${NAME_WORD})|\\p{Lu}[\\p{L}\\p{M}]+(?:[Ss]traße|[Ss]trasse|str\\.|gasse|weg|platz|allee|gade|vej|katu|tie|vägen|gatan|laan|straat|plein|út|utca))\\s+\\d{1,5}[A-Za-z]?\\.?${EN_UNIT}${EU_POSTCODE_CITY}`,
  'gu',
);
const PO_BOX =
  /(?<![\p{L}\p{N}])(?:P\.?\s?O\.?\s?Box\s+\d+|(?:PSC|Unit)\s+\d+,?\s+Box\s+\d+(?:\s+(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5})?|B\.?P\.?\s+\d+)/giu;
/** A French post code followed by a capitalised city ("75013 Paris", "92 100 BOULOGNE"). */
const POSTCODE_CITY =
  /(?<![\p{L}\p{N}]|\d[ .\-/])(?:\d{5}|\d{2}\s\d{3}|2[AB]\s?\d{3}),?\s+(?:\p{Lu}{2,}(?:[ -]\p{Lu}{2,})*|\p{Lu}[\p{Ll}\p{M}]+(?:-\p{Lu}[\p{Ll}\p{M}]+)*)(?:\s+(?:cedex|CEDEX)(?:\s\d{1,2})?)?(?![\p{L}\p{N}])/gu;

/*
 * International "number, street, number" forms, the way most of Europe and Latin America write
 * them after a building or delivery number: "6750 Koskikatu 25", "86036 Rua do Arenque 1634",
 * "808 Kálmán Imre u. 12.", "255 hersnapvej 18", then units and, when it ends in a post code, the
 * locality on the same line ("Apt. 263, Grand-Leez, Belgium 18431"). Street words are capitalised,
 * or particles, or lower-case words with a street suffix; a sentence ("has 3 children and 2 dogs")
 * has lower-case words and never matches. Neither number may continue a run of digits or a date
 * ("8 0 MARTIN Edouard 8 5 0 ...", "13/04/2022 Leite Maria 10/07/1980" are form fields).
 */
const LOWER_STREET =
  '[\\p{Ll}\\p{M}]+(?:vej|katu|kuja|tie|gade|gata|gatan|vägen|straße|strasse|weg|gasse|platz|braut|stræti|straeti|vegur|veien|stien|stræde|utca)';
const CAP_WORD = "\\p{Lu}[\\p{L}\\p{M}'’\\-]*\\.?";
const SMALL =
  '(?:do|da|dos|das|de|del|dei|della|di|du|la|le|van|von|der|den|u\\.|tér|utca|út|útja|rkp\\.|gate|vei|str\\.?|and|am|an|im)';
const INTL_WORD = `(?:${CAP_WORD}|${LOWER_STREET}|${SMALL})`;
const INTL_UNIT = '(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Flat)\\.? ?#?\\d{1,5}[A-Za-z]?)';
const LOCALITY_ZIP = `(?:,? (?:${CAP_WORD}|nan)(?: (?:${CAP_WORD}|de|del|la|nad|na|nan|\\([\\p{L} ]+\\)))*){1,3},? \\d{4,6}(?:-\\d{3,4})?`;
const INTL_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}]|\\d[ ./:-])(?:(?:Apt|Suite)\\.? \\d{1,5} )?\\d{1,5}[A-Za-z]? (?:\\d{1,4} )?(?:P\\.O\\. Box|(?:${CAP_WORD}|${LOWER_STREET})(?: ${INTL_WORD}){0,3}) \\d{1,5}[A-Za-z]?\\.?(?![\\p{L}\\p{N}]|[ /:-]\\d|[.,]\\d)${INTL_UNIT}*(?:${LOCALITY_ZIP})?`,
  'gu',
);
const ONE_WORD_STREET = /^\d{1,5}[A-Za-z]? (\p{L}+) \d/u;
/** "the corner of Dalbraut 99 and Frederikke Coves": two street names joined. */
const CORNER =
  /\bthe corner of [^,\n]{3,60}? and (?:\p{Lu}[\p{L}\p{M}'’.-]*|[\p{Ll}\p{M}]+)(?: (?:\p{Lu}[\p{L}\p{M}'’.-]*|[\p{Ll}\p{M}]+s)){0,3}/giu;

/** keyword kind (from the shared scan), regex, characters of window before and after it. */
const WINDOWS: readonly [number, RegExp, number, number][] = [
  [KW.FR_STREET, FR_ADDRESS, 16, 140],
  [KW.EN_STREET, EN_ADDRESS, 90, 90],
  [KW.EN_STREET, EU_ADDRESS, 40, 60],
  [KW.PO_BOX, PO_BOX, 12, 40],
  [KW.CORNER, CORNER, 4, 120],
];

/** "à Marseille, 13006" (city and post code) or "dans le 75001" (the arrondissement's code). */
const CITY_POSTCODE =
  /(?<=(?:^|\s)à )(\p{Lu}[\p{L}\p{M}'’-]*(?:[ -]\p{Lu}[\p{L}\p{M}'’-]*)*, (?:\d{5}|\d{2} \d{3}))(?![\p{L}\p{N}])|\bdans le ((?:\d{5}|\d{2} \d{3}))(?=\s*[.,;]|$)/dgu;

/** A zip code announced as such: "my zip code is 35350", "ZIP: 1098", "code postal : 75013". */
const ZIP_CONTEXT =
  /\b(?:zip(?: code)?|postcode|post code|postal code|code postal|CP)\b\s*(?:is|:|=)?\s*(\d{4,5}(?:-\d{3,4})?)\b/dgiu;
/**
 * The lines that continue an address ("Suite 680", "Kissousa", ", CO", "Cyprus 36903"): short
 * lines of capitalised words, unit designators, state codes and post codes.
 */
const CONTINUATION =
  /^(?:[ \t]*\n[ \t>]*|,[ \t]*)(?:(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Bldg|Room)\.?\s*#?[\w-]+|,?\s*[A-Z]{2}(?:\s+\d{4,6}(?:-\d{3,4})?)?|\p{Lu}[\p{L}\p{M}'().-]*(?:[ ,]+(?:\p{Lu}[\p{L}\p{M}'().-]*|nan|[A-Z]{2}))*(?:[ ,]+\d{3,6}(?:-\d{3,4})?)?|\d{4,6})(?=[ \t]*(?:\n|$|[,.?!]))/u;

function extend(text: string, end: number): number {
  for (let k = 0; k < 5; k++) {
    const m = CONTINUATION.exec(text.slice(end, end + 80));
    if (!m) break;
    end += m[0].length;
  }
  return end;
}

function pushMatch(text: string, re: RegExp, m: RegExpExecArray, at: number, out: PiiSpan[]) {
  // Never swallow trailing separators.
  const s = m[0].replace(/[\s,.'’-]+$/u, '');
  if (s.length < 6) return;
  const end = re === POSTCODE_CITY || re === CORNER ? at + s.length : extend(text, at + s.length);
  out.push({ category: 'ADDRESS', start: at, end });
}

function isLetterCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7);
}

function isUpperCode(text: string, i: number): boolean {
  if (i >= text.length) return false;
  const c = text.charCodeAt(i);
  if (c < 0x80) return c >= 65 && c <= 90;
  const ch = text[i]!;
  return ch !== ch.toLowerCase();
}

export const addressRecognizer: Recognizer = {
  name: 'address',
  categories: ['ADDRESS'],
  mayMatch: hasDigit,
  find(text, out: PiiSpan[]) {
    // The address regexes are expensive where they may start anywhere (any digit, any capital):
    // they only run on windows around a street-type keyword found by the shared scan, a word
    // followed by a number, or a 5-digit post code.
    const scan = scanText(text);
    if ((scan.kinds & (KW.FR_STREET | KW.EN_STREET | KW.PO_BOX | KW.CORNER)) !== 0) {
      const done = [-1, -1, -1, -1, -1];
      for (const kw of scan.keywords) {
        for (let w = 0; w < WINDOWS.length; w++) {
          const [kind, re, before, after] = WINDOWS[w]!;
          if ((kw.kinds & kind) === 0 || kw.start < done[w]!) continue;
          matchInWindow(text, re, kw.start, kw.end, before, after, (m, at) =>
            pushMatch(text, re, m, at, out),
          );
          done[w] = kw.start + after;
        }
      }
    }
    let doneIntl = -1;
    for (const at of scan.wordNumbers) {
      if (at < doneIntl) continue;
      // The street must start with a number right before its words: walk back over letters,
      // dots, apostrophes and single spaces only ("28030 Edeby 55"); "(TVA 20" or "; ISO 8418"
      // stop at once, so ordinary text never reaches the regex.
      let k = at - 1;
      let digitSpace = false;
      while (k > 0 && k >= at - 50) {
        const c = text.charCodeAt(k);
        if (c === 32) {
          const p = text.charCodeAt(k - 1);
          if (p >= 48 && p <= 57) {
            digitSpace = true;
            break;
          }
          if (p === 32) break;
        } else if (!(c === 46 || c === 39 || c === 45 || c === 0x2019 || isLetterCode(c))) break;
        k--;
      }
      if (!digitSpace) continue;
      matchInWindow(text, INTL_ADDRESS, k, at + 1, 24, 120, (m, s) => {
        // "page 12 Table 3": one ordinary word between two numbers is not a street.
        const one = ONE_WORD_STREET.exec(m[0]);
        if (one && nameLexicon().commonWords.has(one[1]!.toLowerCase())) return;
        pushMatch(text, INTL_ADDRESS, m, s, out);
      });
      doneIntl = at + 60;
    }
    for (const run of numericRuns(text)) {
      // A post code is followed by a capitalised city: test two characters before any regex.
      if (
        run.digits === 5 &&
        run.end - run.start <= 6 &&
        (((text.charCodeAt(run.end) === 32 || text.charCodeAt(run.end) === 10) &&
          isUpperCode(text, run.end + 1)) ||
          (text.charCodeAt(run.end) === 44 && isUpperCode(text, run.end + 2)))
      ) {
        matchInWindow(text, POSTCODE_CITY, run.start, run.end, 3, 40, (m, at) =>
          pushMatch(text, POSTCODE_CITY, m, at, out),
        );
      }
      // "résidant à Marseille, 13006", "à Paris dans le 75001.": the post code after its city.
      if (run.digits === 5 && run.end - run.start <= 6 && run.start > 4) {
        const c = text.charCodeAt(run.start - 2);
        if (c === 44 || c === 101) {
          matchInWindow(text, CITY_POSTCODE, run.start, run.end, 40, 3, (m, at) => {
            const g = m.indices![1] ?? m.indices![2]!;
            const ws = at - m.index;
            out.push({ category: 'ADDRESS', start: ws + g[0], end: ws + g[1] });
          });
        }
      }
    }
    if ((scan.kinds & KW.ZIP) === 0) return;
    for (const kw of scan.keywords) {
      if ((kw.kinds & KW.ZIP) === 0) continue;
      // "code postal": the cue may start one word before the keyword.
      const ws = Math.max(0, kw.start - 5);
      const w = text.slice(ws, Math.min(text.length, kw.end + 40));
      ZIP_CONTEXT.lastIndex = 0;
      const m = ZIP_CONTEXT.exec(w);
      if (m && m.index <= kw.start - ws) {
        const [start, end] = m.indices![1]!;
        out.push({ category: 'ADDRESS', start: ws + start, end: ws + end });
      }
    }
  },
};
