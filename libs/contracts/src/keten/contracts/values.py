"""Value types shared by the commands and events: ids, codes, enumerations, households."""

from datetime import date
from typing import Annotated, Any, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

# Ids are opaque keys chosen by the sending system; they never carry personal data.
_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"

CaseId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_ID_PATTERN)]
LocationId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_ID_PATTERN)]
SubjectId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_ID_PATTERN)]
MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^GM[0-9]{4}$")]
Period = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-H[12]$")]
Nationality = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
VNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Province = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]

# Every count of persons, places or moves, and every capacity: far above any real figure
# (COA's whole stock is some 41,000 places), far below what a store or a sum can hold.
MAX_COUNT: Final = 100_000
# Any other whole number a message carries fits a PostgreSQL integer.
MIN_STORED_INT: Final = -(2**31)
MAX_STORED_INT: Final = 2**31 - 1

# JSON numbers only: "3" or true is not a count.
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]
PositiveCount = Annotated[int, Field(strict=True, gt=0, le=MAX_COUNT)]
StoredInt = Annotated[int, Field(strict=True, ge=MIN_STORED_INT, le=MAX_STORED_INT)]
Flag = Annotated[bool, Field(strict=True)]

Track = Literal["dublin", "safe_country", "low_recognition", "general"]
LocationType = Literal["application_centre", "accelerated_azc", "azc", "htl", "ibo", "emergency"]
TieKind = Literal["family", "work", "study", "medical"]
HousingKind = Literal["regular", "transit", "intermediate"]
DepartureReason = Literal["voluntary", "forced", "unknown"]
LeaveReason = Literal["housed", "voluntary", "forced", "unknown"]
Outcome = Literal["granted", "rejected"]

ACCELERATED_TRACKS: Final[frozenset[Track]] = frozenset(
    {"dublin", "safe_country", "low_recognition"}
)


def is_accelerated(track: Track) -> bool:
    """Whether the track belongs to the accelerated group (spoor 1, 2 and low recognition)."""
    return track in ACCELERATED_TRACKS


class Value(BaseModel):
    """A frozen, strict value inside a message; not a message itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Household(Value):
    """The people who apply, are placed and are housed together; counted, never named."""

    adults: Annotated[int, Field(strict=True, ge=1, le=MAX_COUNT)]
    minors: Count

    @model_validator(mode="after")
    def _persons_is_a_count(self) -> Self:
        # `persons` is carried as a count by the events about the household.
        if self.adults + self.minors > MAX_COUNT:
            raise PydanticCustomError("too_many_persons", "more persons than a count holds")
        return self

    @property
    def persons(self) -> int:
        return self.adults + self.minors


class Tie(Value):
    """A hard tie (first-degree family, work, study, medical treatment) with a municipality."""

    municipality_code: MunicipalityCode
    kind: TieKind


class PersonalData(Value):
    """Who the applicant is; personal data, kept only in the registration store and case view."""

    model_config = ConfigDict(hide_input_in_errors=True)

    v_number: VNumber
    family_name: Name
    given_names: Name
    date_of_birth: date

    def __repr__(self) -> str:
        return "PersonalData(<redacted>)"

    def __str__(self) -> str:
        return "PersonalData(<redacted>)"

    def __repr_args__(self) -> Any:  # rich and devtools print these
        return []
