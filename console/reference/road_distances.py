"""Approximate road distances between provinces' chefs-lieux, for matchmaking.

No official distance table was found: these are estimates of the main road legs
between neighbouring chefs-lieux (national roads RN1–RN18, rounded to 5 km), and the
distance between any two provinces is the shortest chain of legs. Every seeded row is
flagged approximate; an administrator corrects it in the console.
"""

from __future__ import annotations

import heapq

# Chef-lieu of each province, both maps (Bujumbura Rural's is Isale).
CHEF_LIEU = {
    "BI-BB": "Bubanza",
    "BI-BL": "Isale",
    "BI-BM": "Bujumbura",
    "BI-BR": "Bururi",
    "BI-CA": "Cankuzo",
    "BI-CI": "Cibitoke",
    "BI-GI": "Gitega",
    "BI-KR": "Karuzi",
    "BI-KY": "Kayanza",
    "BI-KI": "Kirundo",
    "BI-MA": "Makamba",
    "BI-MU": "Muramvya",
    "BI-MW": "Mwaro",
    "BI-MY": "Muyinga",
    "BI-NG": "Ngozi",
    "BI-RM": "Rumonge",
    "BI-RT": "Rutana",
    "BI-RY": "Ruyigi",
    "BI25-BH": "Cankuzo",
    "BI25-BJ": "Bujumbura",
    "BI25-BR": "Makamba",
    "BI25-BT": "Ngozi",
    "BI25-GI": "Gitega",
}

# Road legs between neighbouring towns, km (estimates).
ROAD_LEGS = [
    ("Bujumbura", "Isale", 25),
    ("Bujumbura", "Bubanza", 40),
    ("Bujumbura", "Cibitoke", 70),
    ("Bubanza", "Cibitoke", 50),
    ("Bujumbura", "Muramvya", 50),
    ("Isale", "Muramvya", 35),
    ("Bujumbura", "Kayanza", 95),
    ("Bujumbura", "Rumonge", 75),
    ("Muramvya", "Gitega", 55),
    ("Muramvya", "Mwaro", 40),
    ("Muramvya", "Kayanza", 65),
    ("Mwaro", "Gitega", 45),
    ("Mwaro", "Bururi", 70),
    ("Kayanza", "Ngozi", 30),
    ("Ngozi", "Kirundo", 65),
    ("Ngozi", "Gitega", 95),
    ("Ngozi", "Muyinga", 100),
    ("Kirundo", "Muyinga", 60),
    ("Gitega", "Karuzi", 60),
    ("Gitega", "Ruyigi", 60),
    ("Gitega", "Rutana", 85),
    ("Gitega", "Bururi", 95),
    ("Karuzi", "Muyinga", 60),
    ("Karuzi", "Ruyigi", 55),
    ("Ruyigi", "Cankuzo", 65),
    ("Ruyigi", "Rutana", 75),
    ("Cankuzo", "Muyinga", 70),
    ("Rutana", "Makamba", 60),
    ("Rutana", "Bururi", 75),
    ("Bururi", "Rumonge", 35),
    ("Bururi", "Makamba", 65),
    ("Rumonge", "Makamba", 95),
]

NOTE = "Estimation : plus court itinéraire routier entre chefs-lieux, à vérifier"


def _shortest_from(start: str, graph: dict[str, list[tuple[str, int]]]) -> dict[str, int]:
    """Dijkstra over the road legs."""
    best = {start: 0}
    queue = [(0, start)]
    while queue:
        km, town = heapq.heappop(queue)
        if km > best.get(town, km):
            continue
        for other, leg in graph[town]:
            candidate = km + leg
            if candidate < best.get(other, candidate + 1):
                best[other] = candidate
                heapq.heappush(queue, (candidate, other))
    return best


def town_distances() -> dict[tuple[str, str], int]:
    """Shortest road distance (km) between every pair of chefs-lieux."""
    graph: dict[str, list[tuple[str, int]]] = {}
    for a, b, km in ROAD_LEGS:
        graph.setdefault(a, []).append((b, km))
        graph.setdefault(b, []).append((a, km))
    return {(a, b): km for a in graph for b, km in _shortest_from(a, graph).items()}


def province_pairs(codes_by_map: dict[str, list[str]]) -> list[tuple[str, str, int]]:
    """(code, code, km) for every unordered pair of provinces of the same map."""
    towns = town_distances()
    pairs = []
    for codes in codes_by_map.values():
        ordered = sorted(code for code in codes if code in CHEF_LIEU)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                pairs.append((a, b, towns[(CHEF_LIEU[a], CHEF_LIEU[b])]))
    return pairs
