"""What an entry's editable fields may hold: one set of rules for editors' writes and for imports.

The API's schemas (api/schemas.py: EntryPatchSchema, EntryCreateSchema) are made from these limits and
patterns; ``check_entry`` applies the same rules without marshmallow, with its messages, for the front ends
that have no schemas (``kb import``). tests/test_import.py holds the two to the same verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

HEADWORD = (1, 100)  # characters, as validate.Length(min, max)
DEFINITION = (1, 10_000)
FULL_NAME = (1, 100)
LABEL = (1, 100)
LABELS_MAX = 50
COMPONENT_LABEL = (1, 100)
COMPONENT_MEANING = (1, 1000)
COMPONENTS_MAX = 50
RELATED_ID = (1, 220)  # an entry id: the store's column is 220 characters
RELATED_MAX = 50
NOTE = (0, 1000)

# no control characters (C0, DEL, C1); matched whole (Python's ``$`` would let a final newline through)
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
NO_CONTROL_MESSAGE = "control characters are not allowed"
SURROGATE = re.compile("[\ud800-\udfff]")  # half an emoji, as JavaScript may send it: not text
SURROGATE_MESSAGE = "the text has a lone surrogate (half of a character); send whole characters"
BLANK_MESSAGE = "must not be blank (only spaces)"

_NO_CONTROL = re.compile(NO_CONTROL_PATTERN)
# marshmallow's own messages, so that a row reads the same whichever front end checked it
REQUIRED = "Missing data for required field."
NOT_NULL = "Field may not be null."
NOT_STRING = "Not a valid string."
NOT_LIST = "Not a valid list."
NOT_OBJECT = "Invalid input type."
UNKNOWN = "Unknown field."

Errors = dict[str, list[str]]  # messages by field path: "headword", "labels.3", "components.0.meaning"
Validate = Callable[[dict[str, Any]], Errors]  # an entry's fields -> what is wrong with them ({}: nothing)


def length_message(low: int, high: int) -> str:
    return f"Length must be between {low} and {high}."


def text_errors(value: Any, bounds: tuple[int, int], blank: bool = True, control: bool = True) -> list[str]:
    """What is wrong with one text field (every rule, as marshmallow runs every validator); ``control``:
    refuse control characters and lone surrogates (every text but an entry id)."""
    if not isinstance(value, str):
        return [NOT_STRING]
    found = []
    if not bounds[0] <= len(value) <= bounds[1]:
        found.append(length_message(*bounds))
    if not control:
        pass
    elif _NO_CONTROL.fullmatch(value) is None:
        found.append(NO_CONTROL_MESSAGE)
    elif SURROGATE.search(value):
        found.append(SURROGATE_MESSAGE)
    if not blank and not value.strip():
        found.append(BLANK_MESSAGE)
    return found


def _list_errors(name: str, value: Any, most: int, item: Callable[[str, Any], Errors]) -> Errors:
    if not isinstance(value, list):
        return {name: [NOT_LIST]}
    found: Errors = {}
    for index, element in enumerate(value):
        found.update(item(f"{name}.{index}", element))
    if not found and len(value) > most:
        found[name] = [f"Longer than maximum length {most}."]
    return found


def _text(bounds: tuple[int, int], control: bool = True) -> Callable[[str, Any], Errors]:
    def check(path: str, value: Any) -> Errors:
        found = text_errors(value, bounds, control=control)
        return {path: found} if found else {}
    return check


def _component(path: str, value: Any) -> Errors:
    if not isinstance(value, dict):
        return {f"{path}._schema": [NOT_OBJECT]}  # marshmallow's Nested says it of the whole item
    found: Errors = {}
    for key, bounds in (("label", COMPONENT_LABEL), ("meaning", COMPONENT_MEANING)):
        if key not in value:
            found[f"{path}.{key}"] = [REQUIRED]
        elif value[key] is None:
            found[f"{path}.{key}"] = [NOT_NULL]
        else:
            found.update(_text(bounds)(f"{path}.{key}", value[key]))
    for key in value:
        if key not in ("label", "meaning"):
            found[f"{path}.{key}"] = [UNKNOWN]
    return found


def check_entry(fields: dict[str, Any]) -> Errors:
    """What is wrong with a whole entry's fields (headword and definition required), as EntryCreateSchema
    would say it; {} if nothing is."""
    found: Errors = {}
    for name, bounds, blank in (("headword", HEADWORD, False), ("definition", DEFINITION, True)):
        if name not in fields:
            found[name] = [REQUIRED]
        elif fields[name] is None:
            found[name] = [NOT_NULL]
        elif errors := text_errors(fields[name], bounds, blank):
            found[name] = errors
    if fields.get("full_name") is not None and (errors := text_errors(fields["full_name"], FULL_NAME)):
        found["full_name"] = errors
    for name, most, item in (("labels", LABELS_MAX, _text(LABEL)), ("related", RELATED_MAX, _text(RELATED_ID, False))):
        if name in fields:
            found.update({name: [NOT_NULL]} if fields[name] is None else
                         _list_errors(name, fields[name], most, item))
    if fields.get("components") is not None:
        found.update(_list_errors("components", fields["components"], COMPONENTS_MAX, _component))
    return found


def flatten(messages: Any, path: str = "") -> Errors:
    """Nested messages (marshmallow's: {"labels": {3: ["..."]}}) as messages by field path ("labels.3")."""
    if isinstance(messages, dict):
        found: Errors = {}
        for key, value in messages.items():
            found.update(flatten(value, f"{path}.{key}" if path else str(key)))
        return found
    texts = messages if isinstance(messages, list) else [messages]
    return {path or "_schema": [str(text) for text in texts]}
