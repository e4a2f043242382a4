"""Reference data: the municipalities (CBS layout 2025, population on 1 January 2025), their
provinces, COA's five regions, and the split of a national figure by population."""

from keten.reference.places import (
    COA_REGIONS,
    PROVINCES,
    Municipality,
    municipalities,
    municipality,
    region_of_province,
)
from keten.reference.split import split_national_quota, split_over_municipalities

__all__ = [
    "COA_REGIONS",
    "PROVINCES",
    "Municipality",
    "municipalities",
    "municipality",
    "region_of_province",
    "split_national_quota",
    "split_over_municipalities",
]
