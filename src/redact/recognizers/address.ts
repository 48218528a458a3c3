import { countryNames } from '../names/countries.ts';
import { nameLexicon } from '../names/lexicon.ts';
import { KW, scanText } from '../scan.ts';
import type { PiiSpan } from '../types.ts';
import { hasDigit, matchInWindow, numericRuns, type Recognizer } from './recognizer.ts';
import { EN_STREET_TYPES, INTL_STREET_TYPES, STREET_ONLY_TYPES } from './street-types.ts';

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
/** Unit designators ("Apt. 4", "Suite 680", "APPT 283"): they end a street name. */
const UNIT_WORD =
  '(?:Apt|APT|Apartment|Appt|APPT|Suite|SUITE|Ste|STE|Unit|UNIT|Flat|FLAT|Floor|Fl|Bldg|Room|Rm)';
/** A capitalised word of a street name; a unit designator followed by its number ends the name. */
const NAME_WORD = `(?:(?!${UNIT_WORD}\\.?\\s?#?\\d)[\\p{Lu}][\\p{L}\\p{M}'’.\\-]*)`;
const STREET_NAME = `(?:${PARTICLE}\\s*)*${NAME_WORD}(?:[ ](?:${PARTICLE}\\s*)*${NAME_WORD}){0,6}`;
const FR_POSTCODE_CITY =
  "(?:(?:,\\s*|\\s+)(?:\\d{5}|\\d{2}\\s\\d{3}|2[AB]\\s?\\d{3})(?:,?\\s+\\p{Lu}[\\p{L}\\p{M}'’\\-]*(?:[ \\-](?:sur|sous|en|le|la|les|de|du|\\p{Lu}[\\p{L}\\p{M}'’\\-]*))*(?:\\s+(?:cedex|CEDEX)(?:\\s\\d{1,2})?)?)?)?";
const FR_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:\\d{1,4}(?:[ -]?\\d{1,4})?(?:\\s?(?:bis|ter|quater|BIS|TER|[A-Da-d])(?![\\p{L}]))?,?\\s+)?${FR_VOIE}(?![\\p{L}])\\s+${STREET_NAME}${FR_UNIT}${FR_POSTCODE_CITY}`,
  'gu',
);
const escapeRe = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * Street types after the name, as written ("Street", "STREET", "St."): the USPS and British list
 * (street-types.ts), the Romance ones some streets end with, and the Nordic, Hungarian and Polish
 * words written apart ("Trenerys gate", "Király utca"). Longest first, so "Streets" is not read
 * as "Street" + "s".
 */
const EN_TYPE_WORDS = [
  ...new Set([
    ...EN_STREET_TYPES,
    ...EN_STREET_TYPES.filter((w) => w.length >= 4 || /^(?:St|Ave|Rd|Dr|Ln|Ct|Pl)$/.test(w)).map(
      (w) => w.toUpperCase(),
    ),
    ...'Via Piazza Rua Calle Strasse Straße Str gade gate vei tee vej katu tie tér út útja utca ul'.split(
      ' ',
    ),
  ]),
].sort((a, b) => b.length - a.length);
const EN_TYPE_ALT = EN_TYPE_WORDS.map(escapeRe).join('|');
const EN_TYPE = `(?:${EN_TYPE_ALT})\\.?`;
/** A house number: "12", "12B", "12a", not a decade or a plural ("the 70s"). */
const HOUSE_NO = '\\d{1,6}(?:[A-Z]|[a-rt-z])?';
/** Between parts of an address: spaces, or one line break (a blank line ends the address). */
const GAP = '(?:[ \\t]+|[ \\t]*\\n[ \\t]*)';
/** Unit numbers after the street ("Apt. 4", "Suite 067 Apt. 162", "#12"), any number of them. */
const EN_UNIT = `(?:,?${GAP}(?:${UNIT_WORD}\\.?[ \\t]*#?|#[ \\t]?)(?:\\d[\\w-]*|[A-Z](?![\\p{L}\\p{N}])))*`;
/** A post code: 12345, 12345-6789, 394 13, 53-320, B0J 2H0 (Canada), SW1A 1AA (UK). */
const ZIP =
  '(?:\\d{2,3}[ -]\\d{2,3}(?![\\p{N}])|\\d{3,6}(?:-\\d{3,4})?|[A-Z]\\d[A-Z] ?\\d[A-Z]\\d|[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2})';
const EN_CITY_STATE_ZIP = `(?:,?${GAP}\\p{Lu}[\\p{L}\\p{M}'\\-]*(?:[ ]\\p{Lu}[\\p{L}\\p{M}'\\-]*){0,3},?[ \\t]+(?:[A-Z]{2}[ \\t]+)?\\d{4,5}(?:-\\d{3,4})?)?`;
const EN_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}])${HOUSE_NO}(?:[ \\t]+\\d{1,4})?[ \\t]+(?<names>(?:${NAME_WORD}[ \\t]+){1,4})(?<type>${EN_TYPE_ALT})\\.?(?![\\p{L}])(?:[ \\t]+\\d{1,5}\\.?)?${EN_UNIT}${EN_CITY_STATE_ZIP}`,
  'gu',
);
/** "…, 10623 Berlin", "…, 3049 Leipzig", "…, 2B826 Leipzig": post code and city after a street. */
const EU_POSTCODE_CITY =
  "(?:,\\s*(?:\\d{4,5}|\\d{2}\\s\\d{3}|2[AB]\\d{3})\\s+\\p{Lu}[\\p{L}\\p{M}'’\\-]*)?";
/** Particles inside Romance, Dutch and German street names: Via dei Fiorentini, Rua Vinte e Cinco. */
const EU_PARTICLE = `(?:${PARTICLE}|dei|degli|delle|della|dello|del|di|da|do|dos|das|e|y|van|von|der|den|het|ter)`;
const EU_STREET_NAME = `(?:${EU_PARTICLE}\\s*)*${NAME_WORD}(?:[ ](?:${EU_PARTICLE}\\s*)*${NAME_WORD}){0,6}`;
/**
 * European "Name-of-street 25" forms: Koskikatu 25, Via Roma 131, ul. Biskupa Bogedaina 118,
 * Brucker Bundesstrasse 31, Villacher Strasse 89.
 */
const EU_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:\\d{1,6}\\s+)?(?:(?:${INTL_STREET_TYPES.map(escapeRe).join('|')}|Avda\\.|ul\\.|al\\.)\\s+(?:${EU_STREET_NAME}|des \\d{1,2}\\. ${NAME_WORD})|(?:${NAME_WORD}[ ]){0,2}(?:\\p{Lu}[\\p{L}\\p{M}]+(?:[Ss]traße|[Ss]trasse|str\\.|gasse|weg|platz|allee|gade|vej|katu|tie|vägen|gatan|laan|straat|plein|út|utca)|(?:Straße|Strasse|Str\\.|Weg|Gasse|Platz|Allee)))\\s+\\d{1,5}[A-Za-z]?\\.?${EN_UNIT}${EU_POSTCODE_CITY}`,
  'gu',
);
const PO_BOX =
  /(?<![\p{L}\p{N}])(?:(?:P\.?\s?O\.?\s?|Post(?:al)?\s?(?:Office\s)?)Box\s+\d+|(?:PSC|Unit)\s+\d+,?\s+Box\s+\d+(?:\s+(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5})?|B\.?P\.?\s+\d+)/giu;
/** US military ship addresses: "USS Lorenzen\nFPO AE 25990" (the APO/FPO/DPO line is the keyword). */
const SHIP =
  /(?<![\p{L}\p{N}])(?:USS|USNS|USNV|USCGC)\s+\p{L}[\p{L}\p{M}'’.-]*(?:[ ]\p{Lu}[\p{L}\p{M}'’.-]*)?[ \t]*\n?[ \t]*(?:FPO|APO|DPO)\s+(?:AA|AE|AP)\s+\d{5}(?:-\d{4})?(?![\p{L}\p{N}])/giu;
/**
 * An address in lower case ("947 trg revolucije 17 apt. 858", "3911 fourth avenue suite 112"):
 * number, lower-case words, a house number or street type, then a unit designator with its
 * number, which a sentence with numbers in it ("has 3 children and 2 dogs in apt 4") never has.
 */
const LOWER_UNIT_ADDRESS =
  /(?<![\p{L}\p{N}])\d{1,6} (?:\d{1,4} )?\p{Ll}[\p{Ll}\p{M}'’.-]*(?: \p{Ll}[\p{Ll}\p{M}'’.-]*){0,4}(?: \d{1,5}[a-z]?|(?<= (?:street|avenue|road|lane|drive|boulevard|way|st|ave|rd)\.?)),? (?:apt|apartment|suite|unit|flat)\.? ?#?\d{1,5}(?![\p{L}\p{N}])/gu;
/** A French post code followed by a capitalised city ("75013 Paris", "92 100 BOULOGNE"). */
const POSTCODE_CITY =
  /(?<![\p{L}\p{N}]|\d[ .\-/])(?:\d{5}|\d{2}\s\d{3}|2[AB]\s?\d{3}),?[ \t]+(?:\p{Lu}{2,}(?:[ -]\p{Lu}{2,})*|\p{Lu}[\p{Ll}\p{M}]+(?:-\p{Lu}[\p{Ll}\p{M}]+)*)(?:\s+(?:cedex|CEDEX)(?:\s\d{1,2})?)?(?![\p{L}\p{N}])/gu;

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
  '(?:do|da|dos|das|de|del|dei|della|delle|degli|di|du|la|le|van|von|der|den|e|y|u\\.|tér|utca|út|útja|rkp\\.|gate|vei|tee|terrasse|str\\.?|and|am|an|im)';
const INTL_WORD = `(?:${CAP_WORD}|${LOWER_STREET}|${SMALL})`;
const INTL_UNIT = '(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Flat)\\.? ?#?\\d{1,5}[A-Za-z]?)';
const LOCALITY_ZIP = `(?:,? (?:${CAP_WORD}|nan)(?: (?:${CAP_WORD}|de|del|la|nad|na|nan|\\([\\p{L} ]+\\)))*){1,3},? \\d{4,6}(?:-\\d{3,4})?`;
const INTL_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}]|\\d[ ./:-])(?:(?:Apt|Suite)\\.? \\d{1,5} )?\\d{1,5}[A-Za-z]? (?:\\d{1,4} )?(?:P\\.O\\. Box|(?:${CAP_WORD}|${LOWER_STREET})(?: ${INTL_WORD}){0,3}) ${HOUSE_NO}\\.?(?![\\p{L}\\p{N}]|[ /:-]\\d|[.,]\\d)${INTL_UNIT}*(?:${LOCALITY_ZIP})?`,
  'gu',
);
const ONE_WORD_STREET = /^\d{1,5}[A-Za-z]? (\p{L}+) \d/u;
/** A unit right after the street ("5100 Quadra 104\n Suite 845"): an ordinary word is a street name. */
const UNIT_NEXT = new RegExp(`^[.,]?\\s*${UNIT_WORD}\\.?\\s?#?\\d`, 'u');
/** "the corner of Dalbraut 99 and Frederikke Coves": two street names joined. */
const CORNER =
  /\bthe corner of [^,\n]{3,60}? and (?:\p{Lu}[\p{L}\p{M}'’.-]*|[\p{Ll}\p{M}]+)(?: (?:\p{Lu}[\p{L}\p{M}'’.-]*|[\p{Ll}\p{M}]+s)){0,3}/giu;

/**
 * A street named without its number after "on" or "at": "shows on Marina Fort Street", "lives on
 * Maple Avenue". Only the full type words, and not when a capitalised word follows ("on Wall
 * Street Journal" is a title).
 */
const NAMED_STREET =
  /(?<=(?:^|[^\p{L}])(?:on|at) )(?:\p{Lu}[\p{L}\p{M}'’-]*[ ]){1,3}(?:Street|Avenue|Road|Lane|Drive|Boulevard)(?![\p{L}\p{N}]|[ ]\p{Lu})/gu;

/** keyword kind (from the shared scan), regex, characters of window before and after it. */
const WINDOWS: readonly [number, RegExp, number, number][] = [
  [KW.FR_STREET, FR_ADDRESS, 16, 140],
  [KW.EN_STREET, EN_ADDRESS, 90, 90],
  [KW.EN_STREET, EU_ADDRESS, 60, 60],
  [KW.PO_BOX, PO_BOX, 12, 40],
  [KW.CORNER, CORNER, 4, 120],
  [KW.PO_BOX, SHIP, 40, 20],
  [KW.UNIT, LOWER_UNIT_ADDRESS, 70, 20],
  [KW.EN_STREET, NAMED_STREET, 60, 12],
];

/** "à Marseille, 13006" (city and post code) or "dans le 75001" (the arrondissement's code). */
const CITY_POSTCODE =
  /(?<=(?:^|\s)à )(\p{Lu}[\p{L}\p{M}'’-]*(?:[ -]\p{Lu}[\p{L}\p{M}'’-]*)*, (?:\d{5}|\d{2} \d{3}))(?![\p{L}\p{N}])|\bdans le ((?:\d{5}|\d{2} \d{3}))(?=\s*[.,;]|$)/dgu;

/**
 * A zip code announced as such: "my zip code is 35350", "ZIP: 394 13", "code postal : 75013",
 * "postcode SW1A 1AA". Announced, a short code (3 digits: Iceland, Faroe) is one too.
 */
const ZIP_CONTEXT =
  /\b(?:zip(?: code)?|postcode|post code|postal code|code postal|CP)\b\s*(?:is|:|=)?\s*(\d{3}[ -]\d{2}(?!\d)|\d{3,5}(?:-\d{3,4})?|[A-Z]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})\b/dgiu;

/** A direction after the street type: "Devon Street West", "Main St NW". */
const DIRECTIONAL = '(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)';
/**
 * A place name: capitalised words (inner dots only: "U.S.A", never a sentence's end), lower-case
 * particles between them, a "(Greek)" gloss.
 */
const LOCALITY_WORD = "(?:\\p{Lu}(?:[\\p{L}\\p{M}'’\\-]|\\.(?=\\p{L}))*|\\([\\p{L}\\p{M} ]+\\))";
const LOCALITY = `(?!(?:Tel|Tél|Phone|Fax|Mobile|Cell|E-?mail|Mail|Web|Website|Attn)(?![\\p{L}]))${LOCALITY_WORD}(?:[ ](?:${LOCALITY_WORD}|(?:u|v|nad|na|pod|de|del|della|di|do|da|dos|das|la|le|les|sur|am|an|im|upon|en|y|e)(?=[ ]\\p{Lu}))){0,5}`;
/**
 * What may follow a street on its line: a direction, a second street name ("14 Crown Street
 * Kishiev Squares"), units ("Suite 067 Apt. 162"), and after a comma the locality, state and
 * post code (", Chomutice u Horic v Podkrkonoší, Czech Republic 33156").
 */
const TAIL = new RegExp(
  `\\.?(?:[ ]+\\d{1,5}[A-Za-z]?(?=,|[ ]+${UNIT_WORD}|[ \\t]*(?:\\n|$)))?(?:[ ]+${DIRECTIONAL}(?![\\p{L}\\p{N}]))?(?:[ ]+${NAME_WORD}(?:[ ]+${NAME_WORD})?[ ]+${EN_TYPE}(?![\\p{L}]))?(?:,?[ ]+(?:${UNIT_WORD}\\.?[ ]?#?|#[ ]?)\\d[\\w-]*)*(?:,[ ]*${LOCALITY}(?:,[ ]*(?:${LOCALITY}|nan))*(?:,?[ ]+(?:[A-Z]{2}[ ]+)?${ZIP})?(?![\\p{L}\\p{N}]|[ ]?:))?`,
  'uy',
);
/**
 * A line that continues an address ("Suite 680", "Kissousa", ", CO", "Caxias do Sul, RS 24893",
 * "Cyprus (Greek) 36903", "ASKER nan 1386", "53-320"): unit designators, place names, state
 * codes and post codes, ending the line (or before a sentence's punctuation).
 */
const LINE = new RegExp(
  `(?:${UNIT_WORD}\\.?\\s*#?[\\w-]+|,?[ ]*[A-Z]{2}(?:[ ]+${ZIP})?|${LOCALITY}(?:,?[ ]+(?:[A-Z]{2}|nan))?(?:,?[ ]+${ZIP})?|${ZIP})[ \\t]*(?=$|\\n|[,.?!](?:\\s|$))`,
  'uy',
);

const UNIT_LINE = new RegExp(`^${UNIT_WORD}`, 'u');

/**
 * Where a piece of address starts once a leading country name is left out ("Estonia 62488" ->
 * "62488", "Cyprus (Greek)" -> ""), or `start` when it does not begin with a country followed by
 * nothing but a post code. A country is no personal data and a post code may be: spans leave the
 * country out and keep what identifies, much as named-entity schemes label a country (GPE) apart
 * from a street address. "Jordan Road" is a street, not a country.
 */
function afterCountry(text: string, start: number, end: number): number {
  const line = text.slice(start, end);
  let cut = -1;
  for (let p = 1; p <= line.length; p++) {
    const c = line[p];
    if (p < line.length && c !== ' ' && c !== ',' && c !== '(') continue;
    if (countryNames().has(line.slice(0, p).trim().toLowerCase())) cut = p;
  }
  if (cut < 0) return start;
  const rest = /^(?: ?\([\p{L}\p{M} ]+\))?[ ,]*/u.exec(line.slice(cut))!;
  const from = cut + rest[0].length;
  return POST_CODE_ONLY.test(line.slice(from)) ? start + from : start;
}
/** Nothing, or a post code ("62488", "394 13", "SW1A 1AA", "IL 62704"). */
const POST_CODE_ONLY = new RegExp(`^(?:(?:[A-Z]{2}[ ]+)?${ZIP})?$`, 'u');

/** "Thanks", "Best Regards" after an address: its sign-off, not its town. */
const SIGN_OFF =
  /^(?:thanks?|thank you|thx|cheers|regards|sincerely|yours|love|bye|(?:best|kind|warm)(?: regards| wishes)?)(?![\p{L}])/iu;

/**
 * Extends an address over the lines that continue it, pushing its span(s). Lines joined by a bare
 * line break make one span. A line behind a quote marker ("> Suite 828") is a span of its own, so
 * the quoting of an e-mail survives the redaction; after a blank line, one more line counts, and
 * only as the post code it carries ("\n\n Estonia 62488").
 */
function pushWithLines(text: string, start: number, end: number, out: PiiSpan[]): void {
  let spanStart = start;
  let spanEnd = end;
  const flush = () => {
    if (spanEnd - spanStart >= 3) out.push({ category: 'ADDRESS', start: spanStart, end: spanEnd });
  };
  const n = text.length;
  let pos = end;
  let afterPostCode = false;
  for (let k = 0; k < 6; k++) {
    let i = pos;
    // "… u. 97.\n", "Street,\n": a dot or comma may end the line before the break.
    if (text.charCodeAt(i) === 46 || text.charCodeAt(i) === 44) i++;
    while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    if (text.charCodeAt(i) !== 10) break;
    i++;
    while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    let apart = false;
    let last = false;
    if (text.charCodeAt(i) === 10) {
      apart = true;
      last = true;
      i++;
      while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    }
    if (text.charCodeAt(i) === 62) {
      apart = true;
      while (i < n && (text.charCodeAt(i) === 62 || text.charCodeAt(i) === 32)) i++;
    }
    LINE.lastIndex = i;
    const m = LINE.exec(text);
    if (!m) break;
    const lineEnd = i + m[0].replace(/[\s,]+$/u, '').length;
    if (lineEnd <= i || SIGN_OFF.test(text.slice(i, lineEnd))) break;
    // The post code ends an address; only its country may follow ("…, IL 62704\nUSA").
    if (afterPostCode && afterCountry(text, i, lineEnd) !== lineEnd) break;
    afterPostCode = !UNIT_LINE.test(text.slice(i, lineEnd)) && /\d$/.test(text.slice(i, lineEnd));
    if (apart) {
      const from = afterCountry(text, i, lineEnd);
      // After a blank line only a country's post code still belongs to the address.
      if (last && (from === i || !/\d/.test(text.slice(from, lineEnd)))) break;
      flush();
      spanStart = from;
      spanEnd = lineEnd;
      if (last) break;
    } else {
      // A country starting the line: the span so far ends, the post code after it is its own.
      const from = afterCountry(text, i, lineEnd);
      if (from !== i) {
        flush();
        spanStart = from;
      }
      spanEnd = lineEnd;
    }
    pos = lineEnd;
  }
  flush();
}

/**
 * "3 Key Points", "Top 10 Ski Resorts Valley": a street type that is also an ordinary noun, after
 * ordinary words only and with nothing after it that only an address has (a unit, a locality
 * after a comma, a post code): a title, not an address.
 */
function titleNotStreet(text: string, m: RegExpExecArray, at: number): boolean {
  const type = m.groups?.type;
  if (!type || STREET_ONLY_TYPES.has(type[0]!.toUpperCase() + type.slice(1).toLowerCase()))
    return false;
  const common = nameLexicon().commonWords;
  const names = m.groups!.names!.trim().split(/[ \t]+/);
  // "88 Willow Creek Road West Hollow": a street word among the names makes it a street.
  if (names.some((w) => STREET_ONLY_TYPES.has(w.replace(/\.$/, '')))) return false;
  if (!names.every((w) => common.has(w.toLowerCase().replace(/[.'’-]+$/u, '')))) return false;
  const rest = m[0]
    .slice(m[0].lastIndexOf(type) + type.length)
    .replace(/^\./, '')
    .trim();
  if (rest.length > 0) return false;
  const after = text.slice(at + m[0].length, at + m[0].length + 24);
  return !UNIT_NEXT.test(after) && !/^\.?,[ ]*\p{Lu}/u.test(after);
}

function pushMatch(text: string, re: RegExp, m: RegExpExecArray, at: number, out: PiiSpan[]) {
  if (re === EN_ADDRESS && titleNotStreet(text, m, at)) return;
  // Never swallow trailing separators.
  const s = m[0].replace(/[\s,.'’-]+$/u, '');
  if (s.length < 6) return;
  let end = at + s.length;
  if (re === POSTCODE_CITY || re === CORNER || re === NAMED_STREET) {
    out.push({ category: 'ADDRESS', start: at, end });
    return;
  }
  TAIL.lastIndex = end;
  const t = TAIL.exec(text);
  if (t) end += t[0].replace(/[\s,.'’-]+$/u, '').length;
  // ", Czech Republic 33156" on the street's line: the country stays, the post code is a span.
  for (let c = text.indexOf(',', at); c >= 0 && c < end; c = text.indexOf(',', c + 1)) {
    let j = c + 1;
    while (text.charCodeAt(j) === 32) j++;
    const from = afterCountry(text, j, end);
    if (from === j) continue;
    out.push({ category: 'ADDRESS', start: at, end: c });
    if (from < end) out.push({ category: 'ADDRESS', start: from, end });
    return;
  }
  pushWithLines(text, at, end, out);
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
  // Digits, or a street type for a street named without its number ("lives on Maple Avenue"); the
  // scan is the one the person recogniser needs anyway.
  mayMatch: (text) => hasDigit(text) || (scanText(text).kinds & KW.EN_STREET) !== 0,
  find(text, out: PiiSpan[]) {
    // The address regexes are expensive where they may start anywhere (any digit, any capital):
    // they only run on windows around a street-type keyword found by the shared scan, a word
    // followed by a number, or a 5-digit post code.
    const scan = scanText(text);
    if ((scan.kinds & (KW.FR_STREET | KW.EN_STREET | KW.PO_BOX | KW.CORNER | KW.UNIT)) !== 0) {
      const done = WINDOWS.map(() => -1);
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
        if (
          one &&
          nameLexicon().commonWords.has(one[1]!.toLowerCase()) &&
          !UNIT_NEXT.test(text.slice(s + m[0].length, s + m[0].length + 16))
        )
          return;
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
