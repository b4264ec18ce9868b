import re

from yespo_console.core.events.catalog import (
    CUSTOM,
    EVENTS,
    LOCATOR_PRIORITY,
    LOCATORS,
    ORDER_EVENTS,
    EventSpec,
    FieldSpec,
    Shape,
)
from yespo_console.core.events.profiles import BUILTIN

EVENTS_BY_KEY = BUILTIN.by_key

DOCUMENTED = ["pageViewed", "productViewed", "productCategoryViewed", "cartUpdated", "productImpressions",
              "productAddedToWishlist", "searchRequest"]


def field_paths(spec: EventSpec) -> list[tuple[str, FieldSpec]]:
    """Every scalar of the event as (catalog path, spec): `search`, `product.price`, `products[].quantity`."""
    paths: list[tuple[str, FieldSpec]] = []
    for param in spec.params:
        if param.field is not None:
            paths.append((param.name, param.field))
        nested = f"{param.name}[]" if param.shape is Shape.LIST else param.name
        paths.extend((f"{nested}.{field.name}", field) for field in param.fields)
    return paths


def test_the_seven_documented_events_in_doc_order():
    assert [spec.key for spec in EVENTS] == DOCUMENTED


def test_locators_in_yespo_priority_order():
    assert LOCATOR_PRIORITY == ("contactId", "externalCustomerId", "email", "phone", "pushToken")
    assert tuple(spec.name for spec in LOCATORS) == LOCATOR_PRIORITY


def test_required_fields_follow_the_documentation():
    required = {key: sorted(path for path, spec in field_paths(EVENTS_BY_KEY[key]) if spec.required)
                for key in DOCUMENTED}
    assert required == {
        "pageViewed": ["page.location"],
        "productViewed": ["product.price", "product.productId"],
        "productCategoryViewed": ["category.productCategoryId"],
        "cartUpdated": ["products[].price", "products[].productId", "products[].quantity", "recycleStateId"],
        "productImpressions": ["products[].productId", "recomVariantId"],
        "productAddedToWishlist": ["product.price", "product.productId"],
        "searchRequest": ["search"],
    }


def test_every_field_has_help_an_example_and_a_label():
    for spec in (*EVENTS, *ORDER_EVENTS):
        for path, field in field_paths(spec):
            assert field.help and field.label, path
            assert field.example is not None, path
            if field.pattern:
                assert re.fullmatch(field.pattern, str(field.example)), path
            if field.allowed:
                assert field.example in field.allowed, path


def test_shapes_and_unknown_types():
    assert EVENTS_BY_KEY["cartUpdated"].param("products").shape is Shape.LIST
    assert EVENTS_BY_KEY["productViewed"].param("product").shape is Shape.OBJECT
    assert BUILTIN.spec("somethingElse") is CUSTOM
    assert BUILTIN.spec(None) is CUSTOM
    assert not CUSTOM.documented and CUSTOM.params == ()


def test_the_built_in_profile_has_the_documented_order_events():
    assert [spec.key for spec in ORDER_EVENTS] == ["orderCreated", "orderUpdated", "orderDelivered", "orderCancelled"]
    assert BUILTIN.keys == (*DOCUMENTED, "orderCreated", "orderUpdated", "orderDelivered", "orderCancelled")
    created = BUILTIN.spec("orderCreated")
    assert [p.name for p in created.params if p.required] == ["externalOrderId", "totalCost", "status", "date",
                                                                 "items"]
    assert created.param("status").field.allowed == (
        "INITIALIZED", "IN_PROGRESS", "DELIVERED", "CANCELLED", "ABANDONED_SHOPPING_CART")
    assert [f.name for f in created.param("items").fields if f.required] == [
        "externalItemId", "name", "quantity", "cost", "url", "imageUrl"]
