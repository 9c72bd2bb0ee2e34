"""Reciprocal rank fusion and convex fusion, hand-computed."""
import pytest

from rag.search.fusion import convex, rrf


def test_rrf_fuses_and_breaks_ties_by_first_appearance():
    fused = rrf([[1, 2, 3], [3, 2, 4]], k=60)
    # 3: 1/63 + 1/61 = 0.032266 beats 2: 2/62 = 0.032258; 1 (1/61) beats 4 (1/63)
    assert [i for i, _ in fused] == [3, 2, 1, 4]
    assert dict(fused)[2] == pytest.approx(2 / 62)
    assert [i for i, _ in rrf([[1, 2], [3]], weights=[1.0, 2.0])] == [3, 1, 2]
    assert [i for i, _ in rrf([[5, 6], [6, 5]])] == [5, 6]  # exact tie: first seen wins
    assert rrf([[], []]) == []


def test_convex_fusion_hand_computed():
    dense = [(1, 0.90), (2, 0.85), (3, 0.80)]
    lexical = [(3, 12.0), (4, 6.0)]
    fused = dict(convex(dense, lexical, dense_weight=0.3))
    # dense min-max over ids 1,2,3,4 (4 takes the dense floor 0.80): 1.0, 0.5, 0.0, 0.0
    # lexical min-max with 0 for the missing: 1,2 -> 0, 3 -> 1.0, 4 -> 0.5
    assert fused[1] == 0.3 and abs(fused[2] - 0.15) < 1e-9 and fused[3] == 0.7 and fused[4] == 0.35
    assert [i for i, _ in convex(dense, lexical, 0.3)] == [3, 4, 1, 2]
    assert [i for i, _ in convex(dense, lexical, 1.0)][:2] == [1, 2]


def test_convex_fusion_edge_cases():
    assert convex([], []) == []
    assert convex([(1, 0.5), (2, 0.4)], []) == [(1, 1.0), (2, 0.0)]
    assert convex([], [(7, 3.0)]) == [(7, 1.0)]
    assert [i for i, _ in convex([(1, 0.5), (2, 0.5)], [(2, 1.0), (1, 1.0)])] == [1, 2]  # tie: dense order
