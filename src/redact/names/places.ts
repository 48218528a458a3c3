import { createRequire } from 'node:module';
import { catalogueLanguages } from '../../i18n/catalogue.ts';

/*
 * Names of places and peoples that are never a person on their own: countries in the 24 EU
 * languages (i18n-iso-countries: ISO 3166 names and their usual aliases), the countries' common,
 * official and alternative names, capitals and nationality words in English and French
 * (world-countries, from the mledoze/countries data set), and the continents and regions that
 * no country list holds ("America", "Britain", "Europe", "Scandinavie"). Lower case; multi-word
 * names ("United Kingdom", "Royaume-Uni") as written. Built once, on first use.
 */

const require = createRequire(import.meta.url);

/** Continents, regions and short forms no country list holds, in English and French. */
const REGIONS = [
  'america',
  'americas',
  'amérique',
  'amériques',
  'europe',
  'africa',
  'afrique',
  'asia',
  'asie',
  'oceania',
  'océanie',
  'antarctica',
  'antarctique',
  'arctic',
  'arctique',
  'britain',
  'great britain',
  'grande-bretagne',
  'england',
  'angleterre',
  'scotland',
  'écosse',
  'wales',
  'pays de galles',
  'northern ireland',
  'irlande du nord',
  'scandinavia',
  'scandinavie',
  'balkans',
  'middle east',
  'moyen-orient',
  'caribbean',
  'caraïbes',
  'latin america',
  'amérique latine',
  'north america',
  'south america',
  'amérique du nord',
  'amérique du sud',
  'usa',
  'u.s.',
  'u.s.a.',
  'us',
  'uk',
  'eu',
  'ue',
  'holland',
  'flanders',
  'flandre',
  'wallonia',
  'wallonie',
  'bavaria',
  'bavière',
  'catalonia',
  'catalogne',
  'corsica',
  'corse',
  'brittany',
  'bretagne',
  'normandy',
  'normandie',
  'provence',
  'alsace',
  'lorraine',
  'siberia',
  'sibérie',
  'gaza',
  'west bank',
  'cisjordanie',
  'kurdistan',
  'tibet',
  'crimea',
  'crimée',
  'donbass',
  'hawaii',
  'alaska',
  'texas',
  'california',
  'californie',
  'florida',
  'floride',
];

/** Peoples and their adjectives that the nationality lists leave out (plurals are added below). */
const PEOPLES = [
  'american',
  'américain',
  'américaine',
  'european',
  'européen',
  'européenne',
  'african',
  'africain',
  'africaine',
  'asian',
  'asiatique',
  'british',
  'britannique',
  'english',
  'anglais',
  'anglaise',
  'scottish',
  'scots',
  'écossais',
  'écossaise',
  'welsh',
  'gallois',
  'galloise',
  'irish',
  'irlandais',
  'irlandaise',
  'dutch',
  'flemish',
  'flamand',
  'walloon',
  'wallon',
  'arab',
  'arabe',
  'jewish',
  'juif',
  'juive',
  'muslim',
  'musulman',
  'musulmane',
  'christian',
  'chrétien',
  'chrétienne',
  'catholic',
  'catholique',
  'protestant',
  'protestante',
  'hindu',
  'hindou',
  'buddhist',
  'bouddhiste',
  'latino',
  'latina',
  'hispanic',
  'hispanique',
  'kurdish',
  'kurde',
  'basque',
  'catalan',
  'catalane',
  'corse',
  'breton',
  'bretonne',
  'yankee',
  'brit',
  'aussie',
  'kiwi',
  'scandinavian',
  'scandinave',
  'nordic',
  'balkan',
  'caribbean',
  'caribéen',
];

let places: ReadonlySet<string> | undefined;
let peoples: ReadonlySet<string> | undefined;

function build(): void {
  const p = new Set<string>(REGIONS);
  const d = new Set<string>(PEOPLES);
  const add = (set: Set<string>, name: string | undefined) => {
    if (!name) return;
    const w = name.normalize('NFC').toLowerCase().trim();
    if (w.length >= 2) set.add(w);
  };
  // The catalogue's languages are the EU's 24 official ones.
  for (const lang of catalogueLanguages()) {
    let file: { countries: Record<string, string | string[]> };
    try {
      file = require(`i18n-iso-countries/langs/${lang}.json`);
    } catch {
      continue;
    }
    for (const names of Object.values(file.countries)) {
      for (const n of [names].flat()) add(p, n);
    }
  }
  const world = require('world-countries') as {
    name: { common: string; official: string };
    altSpellings: string[];
    capital: string[];
    translations: Record<string, { common: string; official: string }>;
    demonyms?: Record<string, { f: string; m: string }>;
  }[];
  for (const c of world) {
    add(p, c.name.common);
    add(p, c.name.official);
    for (const a of c.altSpellings) if (a.length > 3) add(p, a);
    for (const cap of c.capital ?? []) add(p, cap);
    for (const t of Object.values(c.translations)) {
      add(p, t.common);
      add(p, t.official);
    }
    for (const dm of Object.values(c.demonyms ?? {})) {
      add(d, dm.f);
      add(d, dm.m);
    }
  }
  // "Germans", "Françaises": the plurals of the nationality words.
  for (const w of [...d]) if (!w.includes(' ')) d.add(w.endsWith('s') ? w : `${w}s`);
  places = p;
  peoples = d;
}

/** Countries, capitals, regions in the EU languages (lower case, as written). */
export function placeNames(): ReadonlySet<string> {
  if (!places) build();
  return places!;
}

/** Nationality and people words in English and French, singular and plural. */
export function peopleNames(): ReadonlySet<string> {
  if (!peoples) build();
  return peoples!;
}
