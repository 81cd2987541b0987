"""Burundi's provinces under the 2015 map (ISO 3166-2:BI) and the 2025 map, with communes.

Sources: ISO 3166-2:BI (also in pycountry) for the 18 provinces in force until 2025;
organic law of 16 March 2023 for the 5 provinces and 42 communes since the June 2025
elections. The correspondence old → new province is approximate (communes were
regrouped), see ../shared/DOMAIN.md.
"""

# code, name, chef-lieu, successor on the 2025 map
PROVINCES_2015 = [
    ("BI-BB", "Bubanza", "Bubanza", "BI25-BJ"),
    ("BI-BL", "Bujumbura Rural", "Isale", "BI25-BJ"),
    ("BI-BM", "Bujumbura Mairie", "Bujumbura", "BI25-BJ"),
    ("BI-BR", "Bururi", "Bururi", "BI25-BR"),
    ("BI-CA", "Cankuzo", "Cankuzo", "BI25-BH"),
    ("BI-CI", "Cibitoke", "Cibitoke", "BI25-BJ"),
    ("BI-GI", "Gitega", "Gitega", "BI25-GI"),
    ("BI-KR", "Karuzi", "Karuzi", "BI25-GI"),
    ("BI-KY", "Kayanza", "Kayanza", "BI25-BT"),
    ("BI-KI", "Kirundo", "Kirundo", "BI25-BT"),
    ("BI-MA", "Makamba", "Makamba", "BI25-BR"),
    ("BI-MU", "Muramvya", "Muramvya", "BI25-GI"),
    ("BI-MW", "Mwaro", "Mwaro", "BI25-GI"),
    ("BI-MY", "Muyinga", "Muyinga", "BI25-BH"),
    ("BI-NG", "Ngozi", "Ngozi", "BI25-BT"),
    ("BI-RM", "Rumonge", "Rumonge", "BI25-BR"),
    ("BI-RT", "Rutana", "Rutana", "BI25-BR"),
    ("BI-RY", "Ruyigi", "Ruyigi", "BI25-BH"),
]

# The 2025 provinces have no ISO code yet: Isoko uses its own stable codes.
PROVINCES_2025 = [
    ("BI25-BH", "Buhumuza", "Cankuzo"),
    ("BI25-BJ", "Bujumbura", "Bujumbura"),
    ("BI25-BR", "Burunga", "Makamba"),
    ("BI25-BT", "Butanyerera", "Ngozi"),
    ("BI25-GI", "Gitega", "Gitega"),
]

# 2025 province code → [(commune, former 2015 province code)]
COMMUNES_2025 = {
    "BI25-BH": [
        ("Butaganzwa", "BI-RY"),
        ("Butihinda", "BI-MY"),
        ("Cankuzo", "BI-CA"),
        ("Gisagara", "BI-CA"),
        ("Gisuru", "BI-RY"),
        ("Muyinga", "BI-MY"),
        ("Ruyigi", "BI-RY"),
    ],
    "BI25-BJ": [
        ("Bubanza", "BI-BB"),
        ("Bukinanyana", "BI-CI"),
        ("Cibitoke", "BI-CI"),
        ("Isare", "BI-BL"),
        ("Mpanda", "BI-BB"),
        ("Mugere", "BI-BL"),
        ("Mugina", "BI-CI"),
        ("Muhuta", "BI-BL"),
        ("Mukaza", "BI-BM"),
        ("Ntahangwa", "BI-BM"),
        ("Rwibaga", "BI-BL"),
    ],
    "BI25-BR": [
        ("Bururi", "BI-BR"),
        ("Makamba", "BI-MA"),
        ("Matana", "BI-BR"),
        ("Musongati", "BI-RT"),
        ("Nyanza", "BI-MA"),
        ("Rumonge", "BI-RM"),
        ("Rutana", "BI-RT"),
    ],
    "BI25-BT": [
        ("Busoni", "BI-KI"),
        ("Kayanza", "BI-KY"),
        ("Kiremba", "BI-NG"),
        ("Kirundo", "BI-KI"),
        ("Matongo", "BI-KY"),
        ("Muhanga", "BI-KY"),
        ("Ngozi", "BI-NG"),
        ("Tangara", "BI-NG"),
    ],
    "BI25-GI": [
        ("Bugendana", "BI-GI"),
        ("Gishubi", "BI-GI"),
        ("Gitega", "BI-GI"),
        ("Karusi", "BI-KR"),
        ("Kiganda", "BI-MU"),
        ("Muramvya", "BI-MU"),
        ("Mwaro", "BI-MW"),
        ("Nyabihanga", "BI-MW"),
        ("Shombo", "BI-KR"),
    ],
}
