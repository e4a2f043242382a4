"""Value types shared by the commands and events: ids, codes, enumerations, households."""

from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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

# JSON numbers only: "3" or true is not a count.
Count = Annotated[int, Field(strict=True, ge=0)]
PositiveCount = Annotated[int, Field(strict=True, gt=0)]
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

    adults: Annotated[int, Field(strict=True, ge=1)]
    minors: Count

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
