from keten.reference import COA_REGIONS, PROVINCES, municipalities, municipality


def test_the_reference_list_has_the_342_municipalities_of_the_2025_layout() -> None:
    assert len(municipalities()) == 342
    assert sum(m.population for m in municipalities().values()) == 18_044_027
    assert {m.province for m in municipalities().values()} == set(PROVINCES)


def test_every_province_lies_in_exactly_one_coa_region() -> None:
    listed = [p for provinces in COA_REGIONS.values() for p in provinces]
    assert sorted(listed) == sorted(PROVINCES)
    groningen = municipality("GM0014")
    assert groningen is not None
    assert groningen.region == "north"
    assert municipality("GM9999") is None
