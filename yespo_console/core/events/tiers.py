"""What Yespo does with a body that breaks a rule, and where each rule comes from.

`severity` says how far a body strays from the documented structure; the `Tier` says what Yespo
answers: `rejected` (4xx whatever the account's settings), `rejected_if_validated` (400 only when
the event type has Validate parameters on), `accepted_but` (accepted, but a recommendation block,
a trigger's condition, segmentation or a report will not work as meant) or `note`. `RULES` gives
every finding code its tier and its source, a short reference to the public page or file the rule
rests on (the references are explained in docs/api-facts.md); a rule no source states says so.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Tier(StrEnum):
    REJECTED = "rejected"
    REJECTED_IF_VALIDATED = "rejected_if_validated"
    ACCEPTED_BUT = "accepted_but"
    NOTE = "note"


TIER_LABELS = {
    Tier.REJECTED: "Yespo rejects",
    Tier.REJECTED_IF_VALIDATED: "rejected if Validate parameters is on",
    Tier.ACCEPTED_BUT: "accepted, but downstream",
    Tier.NOTE: "note",
}

# The short references, one per public page or file (docs/api-facts.md, "Sources").
PAGE = "doc: Generate event v2"
VALIDATING = "D validating-event-parameters.md"
EVENT_DTO = "O EventDto"
KEY_LIMITS = f"{VALIDATING}; {EVENT_DTO}"
V1_PAGE = "D how-use-v1event-api-resource.md"
PARAMS = "doc: Generate event v2; O EventParameter"
SEGMENTATION = "D how-to-use-event-segmentation.md"
CONTACT_KEY = f"{SEGMENTATION}; O Contact (id and contactKey)"
SIZE = "D: an event is at most 20 KB"
JSON_BODY = "O registerEvent_1: an application/json body"
CURRENCIES = "D getting-started (USD, EUR, UAH supported)"
NO_KEY_VALUE = "doc: Generate event v2 (keyValue optional; O Event omits it: the two disagree)"
PAST_EVENTS = "D how-send-past-events.md; O PastEventDto"
CONSOLE = "console's own reading: no public source"
# The web tracking REST format (core.events.tracker_rules): its page, and Yespo's own integrations that send it.
TRACKER_PAGE = "D how-transfer-website-behavior-data-through-rest-api.md"
WOO = "Woo integrations/webtracking"
SHOPIFY = "Shopify app/services/send-*.server.ts"
OPENCART = "OpenCart catalog/model/extension/module"
ESJS = "D eS.js web tracking page"


class Rule(NamedTuple):
    tier: Tier
    source: str


def _rules(tier: Tier, source: str, *codes: str) -> dict[str, Rule]:
    return dict.fromkeys(codes, Rule(tier, source))


RULES: dict[str, Rule] = {
    # The text and the envelope: Yespo cannot read the event at all.
    **_rules(Tier.REJECTED, JSON_BODY, "body.encoding", "body.empty", "body.not_json", "body.comments",
             "body.unescaped_nested_json", "body.not_object"),
    **_rules(Tier.REJECTED, SIZE, "body.too_large"),
    **_rules(Tier.REJECTED, PAGE, "event_type.missing", "event_type.not_string", "event_type.empty"),
    **_rules(Tier.REJECTED, EVENT_DTO, "key_value.not_string"),
    **_rules(Tier.REJECTED, KEY_LIMITS, "event_type.too_long", "event_type.forbidden_chars",
             "key_value.too_long", "key_value.forbidden_chars", "locator.too_long", "locator.forbidden_chars"),
    **_rules(Tier.REJECTED, PARAMS, "params.not_array", "param.not_object", "param.name_missing",
             "param.name_not_string", "param.name_empty", "param.name_too_long", "param.duplicate_name",
             "param.value_missing"),
    **_rules(Tier.REJECTED, V1_PAGE, "param.value_not_string"),
    **_rules(Tier.REJECTED, NO_KEY_VALUE, "locator.none"),
    **_rules(Tier.REJECTED, PAST_EVENTS, "past_events.field"),
    # Validate parameters: only the presence of the event type's required params is documented.
    **_rules(Tier.REJECTED_IF_VALIDATED, VALIDATING, "field.missing", "field.missing_list"),
    # Accepted; what reads the event later (segmentation, recommendations, triggers) misses it.
    **_rules(Tier.ACCEPTED_BUT, PAGE, "event_type.case_mismatch", "param.name_case", "field.name_case",
             "field.wrong_type", "field.numeric_string", "field.out_of_range", "field.pattern", "field.empty",
             "nested.not_json", "nested.not_list", "nested.not_object", "nested.empty_list",
             "nested.item_not_object"),
    **_rules(Tier.ACCEPTED_BUT, SEGMENTATION, "locator.alias"),
    **_rules(Tier.ACCEPTED_BUT, V1_PAGE, "email.invalid", "phone.invalid", "phone.not_international"),
    **_rules(Tier.ACCEPTED_BUT, CURRENCIES, "currency.unknown", "currency.case",
             "currency.unsupported"),
    # Most JSON parsers keep the last of two equal keys; which one Yespo keeps is not documented.
    **_rules(Tier.ACCEPTED_BUT, CONSOLE, "body.duplicate_key"),
    **_rules(Tier.NOTE, PAGE, "params.missing", "locator.ignored", "key_value.empty",
             "key_value.differs_from_locator", "field.unknown", "field.extra_not_list", "field.not_string",
             "field.url"),
    **_rules(Tier.NOTE, SEGMENTATION, "locator.case"),
    **_rules(Tier.NOTE, CONTACT_KEY, "locator.contact_key"),
    **_rules(Tier.NOTE, CONSOLE, "body.bom", "event_type.whitespace", "key_value.whitespace", "locator.whitespace",
             "param.unknown_key",
             "param.value_null", "phone.formatting"),
}


# The tracker answers 200 to everything as far as its page documents, so no tracker rule is a rejection: what
# breaks a rule is lost or misread downstream (accepted_but), or worth knowing (note).
RULES.update({
    **_rules(Tier.ACCEPTED_BUT, TRACKER_PAGE, "tracker.general_info.missing", "tracker.general_info.not_object",
             "tracker.event_name.missing", "tracker.event_name.not_string", "tracker.event_name.unknown",
             "tracker.event_name.case", "tracker.event_name.page_table", "tracker.event_object.missing",
             "tracker.event_object.mismatch", "tracker.event_object.not_object", "tracker.site_id.missing",
             "tracker.site_id.not_string", "tracker.identity.none", "tracker.cookies.missing", "tracker.field.missing",
             "tracker.field.wrong_type", "tracker.field.out_of_range", "tracker.items.not_list", "tracker.items.empty",
             "tracker.item.not_object", "tracker.guid.missing", "tracker.tag.prefix", "tracker.tag.not_list",
             "tracker.tag.item_not_string", "tracker.tags.not_object", "tracker.datetime.seconds",
             "tracker.datetime.not_number", "tracker.sequence.guid_unchanged"),
    **_rules(Tier.ACCEPTED_BUT, f"{TRACKER_PAGE} (example: ProductImpression; table: ProductImpressions)",
             "tracker.event_object.page_example"),
    **_rules(Tier.ACCEPTED_BUT, f"{SHOPIFY} (productKey); {TRACKER_PAGE}, {WOO}, {OPENCART} (product_id)",
             "tracker.purchase.product_key"),
    **_rules(Tier.ACCEPTED_BUT, f"{ESJS} (requires it); {TRACKER_PAGE} (its example has none)",
             "tracker.sequence.guid_not_carried"),
    **_rules(Tier.NOTE, TRACKER_PAGE, "tracker.general_info.unknown_key", "tracker.cookies.string",
             "tracker.sequence.product_not_in_cart", "tracker.sequence.abandoned"),
    **_rules(Tier.NOTE, f"{TRACKER_PAGE} (price typed string, its examples show numbers)", "tracker.price.number"),
    **_rules(Tier.NOTE, f"{TRACKER_PAGE} (isInStock typed int, its examples show \"1\")", "tracker.in_stock.string"),
    **_rules(Tier.NOTE, f"{WOO}, {SHOPIFY} (top level); {OPENCART} (inside PurchasedItems)",
             "tracker.order_id.placement"),
    **_rules(Tier.NOTE, f"{ESJS} (requires it); {TRACKER_PAGE} (its example has none)",
             "tracker.purchase.guid_missing"),
})

# A field missing inside a nested object is not checked by Validate parameters, which knows params only.
NESTED_FIELD_MISSING = Rule(Tier.ACCEPTED_BUT, PAGE)
