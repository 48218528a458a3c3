/*
 * Public figures whose names a policy may choose to keep (`redaction.publicFigures.keep`): what
 * they do in public is discussed by name, and a dataset where "the president" replaces every
 * head of state loses meaning. The default keeps nothing: whether a person is a public figure
 * depends on what the text is about, a private person may share a famous name, and a name
 * wrongly kept cannot be taken back from a trained model, while a name wrongly redacted costs a
 * little meaning. The list is a starting point, not an authority: heads of state and government
 * of the EU member states and the G7, and the presidents of the EU institutions, in office in
 * 2024-2025, under the forms they are written. Operators extend it with `redaction.publicFigures
 * .names` (a name is matched whole, without regard to case or accents).
 */
export const PUBLIC_FIGURES: readonly string[] = [
  // EU institutions
  'Ursula von der Leyen',
  'von der Leyen',
  'Charles Michel',
  'António Costa',
  'Roberta Metsola',
  'Christine Lagarde',
  'Kaja Kallas',
  // EU member states (heads of state and government)
  'Alexander Van der Bellen',
  'Karl Nehammer',
  'Christian Stocker',
  'Philippe',
  'Alexander De Croo',
  'Bart De Wever',
  'Rumen Radev',
  'Zoran Milanović',
  'Andrej Plenković',
  'Nikos Christodoulides',
  'Petr Pavel',
  'Petr Fiala',
  'Frederik X',
  'Mette Frederiksen',
  'Alar Karis',
  'Kristen Michal',
  'Alexander Stubb',
  'Petteri Orpo',
  'Emmanuel Macron',
  'Macron',
  'Gabriel Attal',
  'Michel Barnier',
  'François Bayrou',
  'Frank-Walter Steinmeier',
  'Olaf Scholz',
  'Scholz',
  'Friedrich Merz',
  'Katerina Sakellaropoulou',
  'Kyriakos Mitsotakis',
  'Tamás Sulyok',
  'Viktor Orbán',
  'Orbán',
  'Michael D. Higgins',
  'Simon Harris',
  'Micheál Martin',
  'Sergio Mattarella',
  'Giorgia Meloni',
  'Meloni',
  'Edgars Rinkēvičs',
  'Evika Siliņa',
  'Gitanas Nausėda',
  'Gintautas Paluckas',
  'Luc Frieden',
  'Myriam Spiteri Debono',
  'Robert Abela',
  'Willem-Alexander',
  'Mark Rutte',
  'Rutte',
  'Dick Schoof',
  'Andrzej Duda',
  'Donald Tusk',
  'Tusk',
  'Marcelo Rebelo de Sousa',
  'Luís Montenegro',
  'Klaus Iohannis',
  'Marcel Ciolacu',
  'Peter Pellegrini',
  'Robert Fico',
  'Nataša Pirc Musar',
  'Robert Golob',
  'Felipe VI',
  'Pedro Sánchez',
  'Carl XVI Gustaf',
  'Ulf Kristersson',
  // G7 beyond the EU
  'Justin Trudeau',
  'Trudeau',
  'Mark Carney',
  'Shigeru Ishiba',
  'Fumio Kishida',
  'Charles III',
  'Rishi Sunak',
  'Keir Starmer',
  'Starmer',
  'Joe Biden',
  'Biden',
  'Donald Trump',
  'Trump',
  'Kamala Harris',
];

/** Lower case, no accents, single spaces: how names are compared. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\s.]+/g, ' ')
    .trim();
}

/** A test of a found name against the shipped list and the operator's names. */
export function publicFigureMatcher(extra: readonly string[]): (name: string) => boolean {
  const names = new Set([...PUBLIC_FIGURES, ...extra].map(normaliseName));
  return (name) => names.has(normaliseName(name));
}
