"""compare's repair search: the shortcut for families whose every route passes a place twice
(`_Searcher.always_twice`) gives what the full search of repairs gives."""

from __future__ import annotations

import numpy as np

from corridor.errors import CorridorError
from corridor.routing import itineraries
from corridor.routing.candidates import family_candidates
from corridor.world import World


def _answers(net, pairs, world):
    out = []
    for o, d in pairs:
        try:
            best = family_candidates(net, o, d, world=world, objective="generalized", commodity="container")
        except CorridorError as exc:  # an end in an avoided country
            out.append(str(exc))
            continue
        out.append([(fam, None if c is None else (c.cost, c.key), why) for fam, c, why in best.families])
    return out


def test_always_twice_shortcut_changes_no_answer(net, monkeypatch):
    ids = net.places()["node_id"].to_numpy()
    rng = np.random.default_rng(2026)
    pairs = [("Hamburg", "Bremerhaven"), ("Istanbul", "Duisburg")]
    pairs += [tuple(ids[rng.choice(len(ids), 2, replace=False)]) for _ in range(40)]
    fired = []
    real = itineraries._Searcher.always_twice

    def spy(self, found):
        hit = real(self, found)
        fired.append(hit)
        return hit

    monkeypatch.setattr(itineraries._Searcher, "always_twice", spy)
    world = World.make("RUS")
    with_shortcut = _answers(net, pairs, world)
    assert any(fired)
    monkeypatch.setattr(itineraries._Searcher, "always_twice", lambda self, found: False)
    world = World.make("RUS")
    assert _answers(net, pairs, world) == with_shortcut
