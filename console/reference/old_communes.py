"""The 119 communes of the 2015 map, each linked to its province on the 2025 map.

Key: the commune's name **and** its 2015 province (Butaganzwa exists in Kayanza and in
Ruyigi). Names are written in full; the shipped boundaries (dashboards/geo/) cut some to
ten characters, and GEO_NAMES gives the name each is drawn under there.

How the table was made (../shared/DOMAIN.md): a commune goes to the 2025 successor of its
2015 province (geography_data.PROVINCES_2015), except where DOMAIN.md or the 2025
communes (geography_data.COMMUNES_2025) say otherwise:
- Muhuta (Rumonge in 2015) is a commune of Bujumbura province since 2025, which is why
  Burunga holds only « most of Rumonge »;
- Bugarama (Rumonge), between Muhuta and Rumonge along the lake, is marked as shared
  between Burunga and Bujumbura: the zones of the 2025 communes do not follow it, and it
  is drawn with Burunga.

The last field lists the other 2025 provinces an old commune was split with: the map
draws such a commune with its main province and marks its outline as approximate. The
split list rests on DOMAIN.md's summary, not on the law's annex of zones: check it there
before relying on a boundary drawn through a shared commune.
"""

# name, 2015 province code, 2025 province code, other 2025 provinces it was split with
OLD_COMMUNES: list[tuple[str, str, str, tuple[str, ...]]] = [
    # Bubanza
    ("Bubanza", "BI-BB", "BI25-BJ", ()),
    ("Gihanga", "BI-BB", "BI25-BJ", ()),
    ("Mpanda", "BI-BB", "BI25-BJ", ()),
    ("Musigati", "BI-BB", "BI25-BJ", ()),
    ("Rugazi", "BI-BB", "BI25-BJ", ()),
    # Bujumbura Rural
    ("Isale", "BI-BL", "BI25-BJ", ()),
    ("Kabezi", "BI-BL", "BI25-BJ", ()),
    ("Kanyosha", "BI-BL", "BI25-BJ", ()),
    ("Mubimbi", "BI-BL", "BI25-BJ", ()),
    ("Mugongomanga", "BI-BL", "BI25-BJ", ()),
    ("Mukike", "BI-BL", "BI25-BJ", ()),
    ("Mutambu", "BI-BL", "BI25-BJ", ()),
    ("Mutimbuzi", "BI-BL", "BI25-BJ", ()),
    ("Nyabiraba", "BI-BL", "BI25-BJ", ()),
    # Bujumbura Mairie
    ("Muha", "BI-BM", "BI25-BJ", ()),
    ("Mukaza", "BI-BM", "BI25-BJ", ()),
    ("Ntahangwa", "BI-BM", "BI25-BJ", ()),
    # Bururi
    ("Bururi", "BI-BR", "BI25-BR", ()),
    ("Matana", "BI-BR", "BI25-BR", ()),
    ("Mugamba", "BI-BR", "BI25-BR", ()),
    ("Rutovu", "BI-BR", "BI25-BR", ()),
    ("Songa", "BI-BR", "BI25-BR", ()),
    ("Vyanda", "BI-BR", "BI25-BR", ()),
    # Cankuzo
    ("Cankuzo", "BI-CA", "BI25-BH", ()),
    ("Cendajuru", "BI-CA", "BI25-BH", ()),
    ("Gisagara", "BI-CA", "BI25-BH", ()),
    ("Kigamba", "BI-CA", "BI25-BH", ()),
    ("Mishiha", "BI-CA", "BI25-BH", ()),
    # Cibitoke
    ("Buganda", "BI-CI", "BI25-BJ", ()),
    ("Bukinanyana", "BI-CI", "BI25-BJ", ()),
    ("Mabayi", "BI-CI", "BI25-BJ", ()),
    ("Mugina", "BI-CI", "BI25-BJ", ()),
    ("Murwi", "BI-CI", "BI25-BJ", ()),
    ("Rugombo", "BI-CI", "BI25-BJ", ()),
    # Gitega
    ("Bugendana", "BI-GI", "BI25-GI", ()),
    ("Bukirasazi", "BI-GI", "BI25-GI", ()),
    ("Buraza", "BI-GI", "BI25-GI", ()),
    ("Giheta", "BI-GI", "BI25-GI", ()),
    ("Gishubi", "BI-GI", "BI25-GI", ()),
    ("Gitega", "BI-GI", "BI25-GI", ()),
    ("Itaba", "BI-GI", "BI25-GI", ()),
    ("Makebuko", "BI-GI", "BI25-GI", ()),
    ("Mutaho", "BI-GI", "BI25-GI", ()),
    ("Nyarusange", "BI-GI", "BI25-GI", ()),
    ("Ryansoro", "BI-GI", "BI25-GI", ()),
    # Kirundo
    ("Bugabira", "BI-KI", "BI25-BT", ()),
    ("Busoni", "BI-KI", "BI25-BT", ()),
    ("Bwambarangwe", "BI-KI", "BI25-BT", ()),
    ("Gitobe", "BI-KI", "BI25-BT", ()),
    ("Kirundo", "BI-KI", "BI25-BT", ()),
    ("Ntega", "BI-KI", "BI25-BT", ()),
    ("Vumbi", "BI-KI", "BI25-BT", ()),
    # Karuzi
    ("Bugenyuzi", "BI-KR", "BI25-GI", ()),
    ("Buhiga", "BI-KR", "BI25-GI", ()),
    ("Gihogazi", "BI-KR", "BI25-GI", ()),
    ("Gitaramuka", "BI-KR", "BI25-GI", ()),
    ("Mutumba", "BI-KR", "BI25-GI", ()),
    ("Nyabikere", "BI-KR", "BI25-GI", ()),
    ("Shombo", "BI-KR", "BI25-GI", ()),
    # Kayanza
    ("Butaganzwa", "BI-KY", "BI25-BT", ()),
    ("Gahombo", "BI-KY", "BI25-BT", ()),
    ("Gatara", "BI-KY", "BI25-BT", ()),
    ("Kabarore", "BI-KY", "BI25-BT", ()),
    ("Kayanza", "BI-KY", "BI25-BT", ()),
    ("Matongo", "BI-KY", "BI25-BT", ()),
    ("Muhanga", "BI-KY", "BI25-BT", ()),
    ("Muruta", "BI-KY", "BI25-BT", ()),
    ("Rango", "BI-KY", "BI25-BT", ()),
    # Makamba
    ("Kayogoro", "BI-MA", "BI25-BR", ()),
    ("Kibago", "BI-MA", "BI25-BR", ()),
    ("Mabanda", "BI-MA", "BI25-BR", ()),
    ("Makamba", "BI-MA", "BI25-BR", ()),
    ("Nyanza-Lac", "BI-MA", "BI25-BR", ()),
    ("Vugizo", "BI-MA", "BI25-BR", ()),
    # Muramvya
    ("Bukeye", "BI-MU", "BI25-GI", ()),
    ("Kiganda", "BI-MU", "BI25-GI", ()),
    ("Mbuye", "BI-MU", "BI25-GI", ()),
    ("Muramvya", "BI-MU", "BI25-GI", ()),
    ("Rutegama", "BI-MU", "BI25-GI", ()),
    # Mwaro
    ("Bisoro", "BI-MW", "BI25-GI", ()),
    ("Gisozi", "BI-MW", "BI25-GI", ()),
    ("Kayokwe", "BI-MW", "BI25-GI", ()),
    ("Ndava", "BI-MW", "BI25-GI", ()),
    ("Nyabihanga", "BI-MW", "BI25-GI", ()),
    ("Rusaka", "BI-MW", "BI25-GI", ()),
    # Muyinga
    ("Buhinyuza", "BI-MY", "BI25-BH", ()),
    ("Butihinda", "BI-MY", "BI25-BH", ()),
    ("Gashoho", "BI-MY", "BI25-BH", ()),
    ("Gasorwe", "BI-MY", "BI25-BH", ()),
    ("Giteranyi", "BI-MY", "BI25-BH", ()),
    ("Muyinga", "BI-MY", "BI25-BH", ()),
    ("Mwakiro", "BI-MY", "BI25-BH", ()),
    # Ngozi
    ("Busiga", "BI-NG", "BI25-BT", ()),
    ("Gashikanwa", "BI-NG", "BI25-BT", ()),
    ("Kiremba", "BI-NG", "BI25-BT", ()),
    ("Marangara", "BI-NG", "BI25-BT", ()),
    ("Mwumba", "BI-NG", "BI25-BT", ()),
    ("Ngozi", "BI-NG", "BI25-BT", ()),
    ("Nyamurenza", "BI-NG", "BI25-BT", ()),
    ("Ruhororo", "BI-NG", "BI25-BT", ()),
    ("Tangara", "BI-NG", "BI25-BT", ()),
    # Rumonge
    ("Bugarama", "BI-RM", "BI25-BR", ("BI25-BJ",)),
    ("Burambi", "BI-RM", "BI25-BR", ()),
    ("Buyengero", "BI-RM", "BI25-BR", ()),
    ("Muhuta", "BI-RM", "BI25-BJ", ()),
    ("Rumonge", "BI-RM", "BI25-BR", ()),
    # Rutana
    ("Bukemba", "BI-RT", "BI25-BR", ()),
    ("Giharo", "BI-RT", "BI25-BR", ()),
    ("Gitanga", "BI-RT", "BI25-BR", ()),
    ("Mpinga-Kayove", "BI-RT", "BI25-BR", ()),
    ("Musongati", "BI-RT", "BI25-BR", ()),
    ("Rutana", "BI-RT", "BI25-BR", ()),
    # Ruyigi
    ("Butaganzwa", "BI-RY", "BI25-BH", ()),
    ("Butezi", "BI-RY", "BI25-BH", ()),
    ("Bweru", "BI-RY", "BI25-BH", ()),
    ("Gisuru", "BI-RY", "BI25-BH", ()),
    ("Kinyinya", "BI-RY", "BI25-BH", ()),
    ("Nyabitsinda", "BI-RY", "BI25-BH", ()),
    ("Ruyigi", "BI-RY", "BI25-BH", ()),
]

# Full name → the name the boundaries file (geoBoundaries, cut to 10 characters) uses.
GEO_NAMES = {
    ("Bukinanyana", "BI-CI"): "Bukinanyan",
    ("Bwambarangwe", "BI-KI"): "Bwambarang",
    ("Kanyosha", "BI-BL"): "Kanyosha1",
    ("Mpinga-Kayove", "BI-RT"): "Mpinga-Kay",
    ("Mugongomanga", "BI-BL"): "Mugongoman",
    ("Nyabitsinda", "BI-RY"): "Nyabitsind",
    ("Nyarusange", "BI-GI"): "Nyanrusang",
}
