"""Word lists and composers for realistic Burundian names: people, cooperatives, businesses.

Names are composed from the lists below with the caller's random generator, so the
same seed gives the same names. Kirundi cooperative names are common mottos
("Dukorere Hamwe": let us work together); none refers to a real registered body.
"""

from __future__ import annotations

import numpy as np

MALE_GIVEN = [
    "Jean",
    "Pierre",
    "Emmanuel",
    "Léonidas",
    "Pascal",
    "Déogratias",
    "Évariste",
    "Gervais",
    "Térence",
    "Cyprien",
    "Fabrice",
    "Innocent",
    "Audace",
    "Prosper",
    "Alexis",
    "Claver",
    "Aloys",
    "Joseph",
    "Révérien",
    "Salvator",
    "Désiré",
    "Éric",
    "Ferdinand",
    "Gilbert",
    "Jean-Bosco",
    "Jean-Marie",
    "Ildephonse",
    "Willy",
    "Bonaventure",
    "Onesphore",
    "Gaspard",
    "Thaddée",
    "Anicet",
    "Zacharie",
    "Vianney",
    "Dieudonné",
    "Patrice",
    "Lambert",
]
FEMALE_GIVEN = [
    "Marie",
    "Claudine",
    "Jeanine",
    "Espérance",
    "Fidès",
    "Générose",
    "Béatrice",
    "Consolate",
    "Godelive",
    "Immaculée",
    "Joséphine",
    "Nadine",
    "Odette",
    "Pélagie",
    "Sandrine",
    "Spès",
    "Scholastique",
    "Annonciate",
    "Chantal",
    "Diane",
    "Aline",
    "Goreth",
    "Jacqueline",
    "Angélique",
    "Euphrasie",
    "Médiatrice",
    "Perpétue",
    "Liliane",
    "Francine",
    "Clarisse",
    "Gloriose",
    "Daphrose",
    "Evelyne",
    "Jeanne",
    "Rénilde",
    "Capitoline",
]
FAMILY = [
    "Ndayishimiye",
    "Nduwimana",
    "Niyonzima",
    "Hakizimana",
    "Ndikumana",
    "Niyongabo",
    "Nshimirimana",
    "Bizimana",
    "Habonimana",
    "Manirakiza",
    "Nkurunziza",
    "Irakoze",
    "Iradukunda",
    "Ndayizeye",
    "Nizigiyimana",
    "Ntahomvukiye",
    "Havyarimana",
    "Bigirimana",
    "Ndihokubwayo",
    "Ciza",
    "Nibizi",
    "Kwizera",
    "Nzeyimana",
    "Ndayikengurukiye",
    "Barutwanayo",
    "Ntakirutimana",
    "Nahimana",
    "Niyonkuru",
    "Minani",
    "Sindayigaya",
    "Hatungimana",
    "Girukwishaka",
    "Nsengiyumva",
    "Ndabashinze",
    "Butoyi",
    "Ntirampeba",
    "Nininahazwe",
    "Kubwimana",
    "Ndimurukundo",
    "Nimbona",
    "Nyandwi",
    "Ngendakumana",
    "Mpawenayo",
    "Nkeshimana",
    "Bukuru",
    "Ndereyimana",
    "Niyibizi",
    "Harerimana",
    "Nsabimana",
    "Ndizeye",
    "Nzigamasabo",
    "Barankitse",
    "Sinzinkayo",
    "Ntunzwenimana",
]
# Cooperative mottos in Kirundi.
KIRUNDI_NAMES = [
    "Dukorere Hamwe",
    "Twiyungunganye",
    "Abahuzabikorwa",
    "Dufatanye",
    "Terimbere",
    "Twisungane",
    "Jijuka",
    "Tugwize",
    "Turwanye Inzara",
    "Dushigikirane",
    "Abanyamwete",
    "Twizigire",
    "Ubumwe",
    "Amizero",
    "Duterimbere",
    "Abishizehamwe",
    "Tuzamurane",
    "Twitezimbere",
    "Girumwete",
    "Kazoza Keza",
    "Abakundanyi",
    "Twungubumwe",
    "Sangwe",
    "Tubiteho",
    "Dusangire",
    "Abadahigwa",
    "Imboneza",
    "Iterambere",
    "Umugambi",
    "Dukundane",
    "Tujijukirwe",
    "Abizerwa",
    "Ejo Heza",
    "Twikenure",
    "Dukomezumwete",
    "Amahoro",
    "Shishikara",
    "Turikumwe",
    "Twese Hamwe",
    "Dukire",
    "Abahizi",
    "Inkingi",
    "Umwizero",
    "Tugire Amahoro",
    "Urumuri",
    "Twiteze Imbere",
    "Umucyo",
    "Dutabarane",
    "Tuvugurure",
    "Abasangirangendo",
]
# How a cooperative names its trade, by its main value chain.
COOPERATIVE_FORMS = {
    "cafe": "Coopérative des caféiculteurs",
    "riz": "Coopérative des riziculteurs",
    "haricot": "Coopérative des producteurs de haricot",
    "mais": "Coopérative des maïsiculteurs",
    "palmier": "Coopérative des palmiculteurs",
    "lait": "Coopérative des éleveurs",
    "miel": "Coopérative des apiculteurs",
    "tomate": "Coopérative des maraîchers",
    "cuir": "Coopérative des artisans du cuir",
    "foyers": "Coopérative des artisans",
    "poisson": "Coopérative des pêcheurs",
    "manioc": "Coopérative agricole",
}
BUSINESS_PREFIXES = [
    "Alimentation",
    "Supermarché",
    "Hôtel",
    "Restaurant",
    "Boulangerie",
    "Grossiste",
    "Dépôt",
    "Épicerie",
    "Cantine scolaire",
    "Comptoir",
    "Agro-Business",
    "Savonnerie",
    "Minoterie",
]
BUSINESS_SUFFIXES = ["", " SURL", " SPRL", " SA"]
# ISO 3166-1 country → cities of the buyers importing from Burundi.
FOREIGN_CITIES = {
    "RW": ["Kigali", "Huye", "Rubavu"],
    "TZ": ["Kigoma", "Dar es Salaam", "Mwanza"],
    "CD": ["Bukavu", "Uvira", "Goma"],
    "UG": ["Kampala", "Mbarara"],
    "KE": ["Nairobi", "Mombasa"],
}
FOREIGN_TRADES = [
    "Fresh Foods",
    "Coffee Traders",
    "Agro Distributors",
    "Honey Company",
    "Commodities",
    "Import-Export",
    "Food Market",
]
FOREIGN_SUFFIX = {"RW": "Ltd", "TZ": "Ltd", "CD": "SARL", "UG": "Ltd", "KE": "Ltd"}


def pick(rng: np.random.Generator, words: list[str], n: int) -> np.ndarray:
    """n words drawn with replacement."""
    return np.asarray(words, dtype=object)[rng.integers(0, len(words), n)]


def person_names(rng: np.random.Generator, female: np.ndarray) -> list[str]:
    """'Family Given' names (the Burundian administrative order), one per gender flag."""
    n = len(female)
    family = pick(rng, FAMILY, n)
    women = pick(rng, FEMALE_GIVEN, n)
    men = pick(rng, MALE_GIVEN, n)
    return [
        f"{f} {w if is_f else m}" for f, w, m, is_f in zip(family, women, men, female, strict=True)
    ]


def make_unique(names: list[str], qualifiers: list[str]) -> list[str]:
    """Append the qualifier, then a counter, to names already taken."""
    seen: set[str] = set()
    out = []
    for name, qualifier in zip(names, qualifiers, strict=True):
        candidate = name
        if candidate in seen:
            candidate = f"{name} {qualifier}"
        counter = 2
        while candidate in seen:
            candidate = f"{name} {qualifier} {counter}"
            counter += 1
        seen.add(candidate)
        out.append(candidate)
    return out


def acronym(kirundi: str) -> str:
    """CODUHA for 'Dukorere Hamwe': 'CO' then two letters of each word."""
    return "CO" + "".join(word[:2] for word in kirundi.split()).upper()


def cooperative_names(
    rng: np.random.Generator, main_chains: list[str], communes: list[str]
) -> tuple[list[str], list[str]]:
    """Cooperative names and acronyms, unique, from a Kirundi motto and the main trade."""
    n = len(main_chains)
    mottos = pick(rng, KIRUNDI_NAMES, n)
    with_trade = rng.random(n) < 0.45
    with_place = rng.random(n) < 0.55
    names = []
    for motto, chain, commune, trade, place in zip(
        mottos, main_chains, communes, with_trade, with_place, strict=True
    ):
        form = COOPERATIVE_FORMS.get(chain, "Coopérative") if trade else "Coopérative"
        name = f"{form} « {motto} »" if trade else f"{form} {motto}"
        names.append(f"{name} de {commune}" if place else name)
    return make_unique(names, [f"de {c}" for c in communes]), [acronym(m) for m in mottos]


def entrepreneur_names(rng: np.random.Generator, female: np.ndarray) -> list[str]:
    """Trade names of individual entrepreneurs: 'Ets Nduwimana' or the person's name."""
    people = person_names(rng, female)
    styles = rng.integers(0, 3, len(people))
    names = [
        person
        if style == 0
        else f"Ets {person.split()[0]}"
        if style == 1
        else f"Atelier {person.split()[0]}"
        for person, style in zip(people, styles, strict=True)
    ]
    return make_unique(names, [p.split()[1] for p in people])


def business_names(rng: np.random.Generator, places: list[str]) -> list[str]:
    """Domestic business buyers: 'Boulangerie Amahoro SPRL'."""
    n = len(places)
    prefix = pick(rng, BUSINESS_PREFIXES, n)
    middle = np.where(rng.random(n) < 0.5, pick(rng, KIRUNDI_NAMES, n), pick(rng, FAMILY, n))
    suffix = pick(rng, BUSINESS_SUFFIXES, n)
    names = [f"{p} {m}{s}" for p, m, s in zip(prefix, middle, suffix, strict=True)]
    return make_unique(names, [f"({place})" for place in places])


def foreign_business_names(rng: np.random.Generator, countries: list[str]) -> list[str]:
    """Importers in neighbouring countries: 'Kigoma Fresh Foods Ltd'."""
    names = []
    trades = pick(rng, FOREIGN_TRADES, len(countries))
    for country, trade in zip(countries, trades, strict=True):
        cities = FOREIGN_CITIES[country]
        city = cities[int(rng.integers(0, len(cities)))]
        names.append(f"{city} {trade} {FOREIGN_SUFFIX[country]}")
    return make_unique(names, [f"({c})" for c in countries])
