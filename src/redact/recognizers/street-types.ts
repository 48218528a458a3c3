/*
 * English street types: the primary street suffixes of USPS Publication 28 (appendix C1), with
 * their plurals where the list has them ("Squares", "Points", "Extensions"), the British ones
 * it lacks ("Close", "Mews", "Parade") and the common abbreviations. They end the street name of
 * a "number + name + type" address ("385 Gemsbok St", "178 Piermark Drive Zak Points").
 *
 * Abbreviations that are ordinary English words or initials once capitalised ("Is", "Pr", "Un")
 * are left out: the type is matched case-sensitively, and "St" or "Dr" already need a number
 * and a capitalised name before them.
 */
export const EN_STREET_TYPES: readonly string[] = (
  'Alley Annex Arcade Avenue Bayou Beach Bend Bluff Bluffs Bottom Boulevard Branch Bridge Brook Brooks ' +
  'Burg Burgs Bypass Camp Canyon Cape Causeway Center Centers Centre Circle Circles Cliff Cliffs Club ' +
  'Common Commons Corner Corners Course Court Courts Cove Coves Creek Crescent Crest Crossing ' +
  'Crossroad Crossroads Curve Dale Dam Divide Drive Drives Estate Estates Expressway Extension ' +
  'Extensions Falls Ferry Field Fields Flat Flats Ford Fords Forest Forge Forges Fork Forks Fort ' +
  'Freeway Garden Gardens Gateway Glen Glens Green Greens Grove Groves Harbor Harbors Harbour Haven ' +
  'Heights Highway Hill Hills Hollow Inlet Island Islands Isle Junction Junctions Key Keys Knoll ' +
  'Knolls Lake Lakes Landing Lane Light Lights Loaf Lock Locks Lodge Loop Mall Manor Manors Meadow ' +
  'Meadows Mews Mill Mills Mission Motorway Mount Mountain Mountains Neck Orchard Oval Overpass Park ' +
  'Parks Parkway Parkways Pass Passage Path Pike Pine Pines Place Plain Plains Plaza Point Points ' +
  'Port Ports Prairie Radial Ramp Ranch Rapid Rapids Ridge Ridges River Road Roads Route Row Rue Run ' +
  'Shoal Shoals Shore Shores Skyway Spring Springs Spur Spurs Square Squares Station Stravenue Stream ' +
  'Street Streets Summit Terrace Throughway Trace Track Trafficway Trail Trailer Tunnel Turnpike ' +
  'Underpass Union Unions Valley Valleys Viaduct View Views Village Villages Ville Vista Walk Walks ' +
  'Wall Way Ways Well Wells ' +
  // British and Commonwealth
  'Approach Broadway Chase Close Drove Embankment Gate Parade Quay Rise Vale Wharf Wynd Yard ' +
  // abbreviations
  'Aly Ave Av Blvd Bnd Brg Brk Byp Cir Cres Crk Crst Cswy Ct Ctr Cv Cyn Dr Expy Ext Fwy Gdns Gln Grn ' +
  'Grv Hbr Hts Hwy Jct Lk Ln Lndg Mnr Mtn Pkwy Pl Plz Pt Pts Rd Rdg Sq Sqr St Sta Ter Terr Tpke Trl ' +
  'Vly Vw Xing'
).split(' ');

/**
 * The types that name nothing but a street ("Street", "Avenue", "Crescent"). The others are also
 * ordinary nouns ("Points", "Key", "Station", "Falls"): in a title-case line ("3 Key Points",
 * "Top 10 Ski Resorts Valley") they need a proper name before them, or a unit, a locality or a
 * post code after, to make an address.
 */
export const STREET_ONLY_TYPES: ReadonlySet<string> = new Set(
  (
    'Street Avenue Road Boulevard Lane Drive Court Place Square Terrace Way Crescent Close Parkway ' +
    'Highway Circle Trail Turnpike Row Alley Plaza Walk Grove Gardens Hill Mews Rise View Park Green ' +
    'Path Pike Loop Run Point Ridge Harbor Heights Junction Expressway Freeway Motorway Causeway ' +
    'Throughway Stravenue Rue ' +
    'Aly Ave Av Blvd Bnd Brg Brk Byp Cir Cres Crk Crst Cswy Ct Ctr Cv Cyn Dr Expy Ext Fwy Gdns Gln ' +
    'Grn Grv Hbr Hts Hwy Jct Lk Ln Lndg Mnr Mtn Pkwy Pl Plz Pt Pts Rd Rdg Sq Sqr St Sta Ter Terr Tpke ' +
    'Trl Vly Vw Xing'
  ).split(' '),
);

/** International street words written before the name or after it: Via Roma, Rua do Sol, Koskikatu. */
export const INTL_STREET_TYPES: readonly string[] =
  'Via Viale Piazza Piazzale Corso Vicolo Strada Rua Avenida Avda Calle Paseo Plaza Rambla Travessa Largo Strasse Straße Str Ulica'.split(
    ' ',
  );
